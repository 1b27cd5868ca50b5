//! Event tokens: `GET /v1/subscription` (`events.getEventToken`) and
//! `GET /v1/environments/subscription-token` (`environments.getEnvironmentEventToken`) give a
//! short-lived token that opens the event stream (`streams`) for whoever may read the events.

use super::extract::Query;
use super::{audit, data, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::stream::StreamScope;
use crate::auth::Principal;
use crate::domain::{EnvironmentId, SpaceId};
use actix_web::{web, HttpResponse};
use serde::Serialize;

/// `GET /v1/environments/subscription-token?environmentId=`.
pub(super) async fn environment_event_token(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let env = EnvironmentId::parse(q.required("environmentId")?)?;
    let scope = StreamScope {
        environment: Some(env),
        space: None,
    };
    issue(&state, &p, scope).await
}

/// `GET /v1/subscription?scope=&spaceId=`: `scope` is an environment or space id; without
/// either, the caller's environment (or, for an Administrator, the whole account).
pub(super) async fn event_token(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let (space, named_env) = requested(&q)?;
    let environment = match &space {
        Some(id) => Some(environment_of(&state, &p, id, named_env.as_ref())?),
        None => named_env.or_else(|| p.environment().cloned()),
    };
    issue(&state, &p, StreamScope { environment, space }).await
}

/// The space (`spaceId`, or `scope` naming one) and the environment (`scope` naming one) asked for.
fn requested(q: &Query) -> Result<(Option<SpaceId>, Option<EnvironmentId>), ApiError> {
    let scope = q.optional("scope")?.filter(|s| !s.is_empty());
    let space = match (q.optional("spaceId")?, scope) {
        (Some(s), _) => Some(SpaceId::parse(s)?),
        (None, Some(s)) if s.starts_with(SpaceId::PREFIX) => Some(SpaceId::parse(s)?),
        _ => None,
    };
    let named_env = match scope {
        Some(s) if s.starts_with(EnvironmentId::PREFIX) => Some(EnvironmentId::parse(s)?),
        Some(s) if !s.starts_with(SpaceId::PREFIX) => {
            return Err(ApiError::bad_request(
                "scope",
                "scope must be an environment id (us_env_…) or a space id (us_sp_…)",
            ))
        }
        _ => None,
    };
    Ok((space, named_env))
}

/// The environment of the account's space `id`, which must be `named` when one is named.
fn environment_of(
    state: &AppState,
    p: &Principal,
    id: &SpaceId,
    named: Option<&EnvironmentId>,
) -> Result<EnvironmentId, ApiError> {
    let s = state
        .store
        .space(id)?
        .filter(|s| s.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("space {id} not found")))?;
    if named.is_some_and(|e| *e != s.environment_id) {
        return Err(ApiError::bad_request(
            "scope",
            format!(
                "space {id} is not in environment {}",
                named.map_or("", |e| e.as_str())
            ),
        ));
    }
    Ok(s.environment_id)
}

/// The wire `EventToken`, with Latchkey's stream URL; absent ids are left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventTokenBody {
    account_id: String,
    subscribe_key: &'static str,
    /// Minutes, rounded up.
    ttl: i64,
    ttl_seconds: i64,
    token: String,
    expires_at: String,
    stream_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    space_id: Option<String>,
}

async fn issue(
    state: &AppState,
    p: &Principal,
    scope: StreamScope,
) -> Result<HttpResponse, ApiError> {
    match &scope.environment {
        Some(env) => {
            authorize(
                p,
                Action::ReadEvents,
                Resource::environment(&p.account_id, env),
            )?;
            state
                .store
                .environment(env)?
                .filter(|e| e.account_id == p.account_id)
                .ok_or_else(|| ApiError::NotFound(format!("environment {env} not found")))?;
        }
        None => authorize(p, Action::ReadEvents, Resource::account(&p.account_id))?,
    }
    let issued = state
        .auth
        .issue_stream_token(p, &scope, state.streams.token_ttl_seconds());
    let mut event = audit(state, p, "auth:stream-token-issued", "auth").with_payload(
        serde_json::json!({ "parent": p.credential_id, "spaceId": scope.space.as_ref().map(|s| s.as_str()) }),
    );
    if let Some(env) = &scope.environment {
        event = event.in_environment(env);
    }
    state.store.record_events_soon(&[event])?;
    Ok(data(EventTokenBody {
        account_id: p.account_id.to_string(),
        subscribe_key: "latchkey-sse",
        ttl: (issued.ttl_seconds + 59) / 60,
        ttl_seconds: issued.ttl_seconds,
        stream_url: format!(
            "{}/v1/latchkey/events/stream?token={}",
            state.public_url, issued.token
        ),
        token: issued.token,
        expires_at: issued.expires_at.to_rfc3339(),
        environment_id: scope.environment.map(|e| e.to_string()),
        space_id: scope.space.map(|s| s.to_string()),
    }))
}
