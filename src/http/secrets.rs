//! `/v1/secrets`: environment- and space-scoped secrets for listeners. Values are sealed at rest
//! and shown only to Administrators and the environment's secret key.

use super::extract::{JsonBody, Query};
use super::reach::account_environment;
use super::{audit, data, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::{EnvironmentId, Event, Secret, SecretId, SpaceId};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

/// The wire `Secret`, with its value opened.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretBody {
    id: String,
    name: String,
    value: String,
    environment_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    space_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_id: Option<String>,
    created_at: String,
    updated_at: String,
}

impl SecretBody {
    /// `s` with its value opened; 500 when the master key does not open it.
    fn open(state: &AppState, s: &Secret) -> Result<Self, ApiError> {
        let value = state.auth.open_secret(s).ok_or_else(|| {
            ApiError::Internal(format!(
                "secret {} does not decrypt with this master key",
                s.id
            ))
        })?;
        Ok(Self {
            id: s.id.to_string(),
            name: s.name.clone(),
            value,
            environment_id: s.environment_id.to_string(),
            space_id: s.space_id.as_ref().map(|id| id.to_string()),
            actor_id: s.actor_id.clone(),
            created_at: s.created_at.to_rfc3339(),
            updated_at: s.updated_at.to_rfc3339(),
        })
    }

    /// Every secret of `secrets`, opened.
    fn all(state: &AppState, secrets: &[Secret]) -> Result<Vec<Self>, ApiError> {
        secrets.iter().map(|s| Self::open(state, s)).collect()
    }
}

/// Resolves (environment, space) from explicit ids or the caller's environment, checks that
/// the space belongs to the environment, and asks the policy for `action` on that scope.
fn scope(
    state: &AppState,
    p: &Principal,
    env: Option<&str>,
    space: Option<&str>,
    action: Action,
) -> Result<(EnvironmentId, Option<SpaceId>), ApiError> {
    let space = space.map(SpaceId::parse).transpose()?;
    let space_record = match &space {
        Some(id) => Some(
            state
                .store
                .space(id)?
                .filter(|s| s.account_id == p.account_id)
                .ok_or_else(|| ApiError::NotFound(format!("space {id} not found")))?,
        ),
        None => None,
    };
    let env = match (env, &space_record, p.environment()) {
        (Some(raw), _, _) => EnvironmentId::parse(raw)?,
        (None, Some(s), _) => s.environment_id.clone(),
        (None, None, Some(own)) => own.clone(),
        (None, None, None) => {
            return Err(ApiError::bad_request(
                "environmentId",
                "environmentId (or spaceId) is required",
            ))
        }
    };
    let resource = match &space {
        Some(s) => Resource::space(&p.account_id, &env, s),
        None => Resource::environment(&p.account_id, &env),
    };
    authorize(p, action, resource)?;
    account_environment(state, p, &env)?;
    if space_record.is_some_and(|s| s.environment_id != env) {
        return Err(ApiError::NotFound(format!(
            "space {} not found",
            space.as_ref().map_or("", |s| s.as_str())
        )));
    }
    Ok((env, space))
}

/// The secrets a scope sees, one per name (per name and actor when no actor asks): of those
/// meant for `actor` or for nobody in particular, the most specific wins — an actor's over the
/// scope's own, then a space's over the environment's.
fn visible(
    state: &AppState,
    env: &EnvironmentId,
    space: Option<&SpaceId>,
    actor: Option<&str>,
) -> Result<Vec<Secret>, ApiError> {
    let mut candidates = state.store.secrets_in(env, None)?;
    if let Some(space) = space {
        candidates.extend(state.store.secrets_in(env, Some(space))?);
    }
    let mut best: std::collections::BTreeMap<(String, Option<String>), (u8, Secret)> =
        Default::default();
    for s in candidates {
        let for_actor = match (actor, s.actor_id.as_deref()) {
            (Some(wanted), Some(theirs)) if wanted != theirs => continue,
            (Some(_), Some(_)) => true,
            _ => false,
        };
        let rank = u8::from(for_actor) * 2 + u8::from(s.space_id.is_some());
        let key = match actor {
            Some(_) => (s.name.clone(), None),
            None => (s.name.clone(), s.actor_id.clone()),
        };
        if best.get(&key).is_none_or(|(r, _)| rank > *r) {
            best.insert(key, (rank, s));
        }
    }
    Ok(best.into_values().map(|(_, s)| s).collect())
}

pub(super) async fn list_secrets(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let (env, space) = scope(
        &state,
        &p,
        q.optional("environmentId")?,
        q.optional("spaceId")?,
        Action::ReadSecrets,
    )?;
    let actor = q.optional("actorId")?;
    let secrets = visible(&state, &env, space.as_ref(), actor)?;
    Ok(data(SecretBody::all(&state, &secrets)?))
}

/// `WriteSecret`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WriteSecret {
    name: String,
    value: String,
    environment_id: Option<String>,
    space_id: Option<String>,
    actor_id: Option<String>,
}

fn checked(
    key: &str,
    text: &str,
    limits: &crate::domain::limits::TextLimits,
) -> Result<(), ApiError> {
    let n = text.chars().count();
    let max = limits.secret_length;
    if n == 0 || n > max {
        return Err(ApiError::unprocessable(
            key,
            format!("{key} must have 1 to {max} characters (limits.max_secret_length)"),
        ));
    }
    Ok(())
}

impl WriteSecret {
    /// The request, once its name, value and actor pass the limits.
    fn checked(self, limits: &crate::domain::limits::TextLimits) -> Result<Self, ApiError> {
        checked("name", &self.name, limits)?;
        checked("value", &self.value, limits)?;
        crate::domain::check_text("name", &self.name)?;
        if let Some(actor) = &self.actor_id {
            checked("actorId", actor, limits)?;
            if actor.chars().any(char::is_control) {
                return Err(ApiError::bad_request(
                    "actorId",
                    "actorId must not contain control characters",
                ));
            }
        }
        Ok(self)
    }
}

/// `POST /secrets`: upsert by (name, environment, space, actor); only the value changes. Answers
/// a list.
pub(super) async fn upsert_secret(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<WriteSecret>,
) -> Result<HttpResponse, ApiError> {
    let w = body.0.checked(&state.limits.text)?;
    let (env, space) = scope(
        &state,
        &p,
        w.environment_id.as_deref(),
        w.space_id.as_deref(),
        Action::WriteSecrets,
    )?;
    let (secret, existed) = secret_to_write(&state, &p, env, space, w)?;
    let topic = if existed {
        "secret:updated"
    } else {
        "secret:created"
    };
    let event = secret_event(&state, &p, topic, &secret);
    state
        .store
        .upsert_secret(&secret, state.limits.secrets_per_scope, &event)
        .await?;
    Ok(data([SecretBody::open(&state, &secret)?]))
}

/// The secret `w` writes in scope (`env`, `space`): the one of that name (and actor) with its
/// new value, else a new one; and whether it existed.
fn secret_to_write(
    state: &AppState,
    p: &Principal,
    env: EnvironmentId,
    space: Option<SpaceId>,
    w: WriteSecret,
) -> Result<(Secret, bool), ApiError> {
    let now = state.clock.now();
    let existing =
        state
            .store
            .secret_named(&env, space.as_ref(), w.actor_id.as_deref(), &w.name)?;
    let id = existing
        .as_ref()
        .map_or_else(SecretId::generate, |s| s.id.clone());
    let secret = Secret {
        sealed_value: state.auth.seal_secret(&id, &w.value),
        id,
        account_id: p.account_id.clone(),
        environment_id: env,
        space_id: space,
        actor_id: w.actor_id,
        name: w.name,
        created_at: existing.as_ref().map_or(now, |s| s.created_at),
        updated_at: now,
    };
    Ok((secret, existing.is_some()))
}

/// The audit event `topic` of `secret`, in its environment and space.
fn secret_event(state: &AppState, p: &Principal, topic: &str, secret: &Secret) -> Event {
    let event = audit(state, p, topic, "secret")
        .in_environment(&secret.environment_id)
        .with_payload(serde_json::json!({ "secretId": secret.id.as_str(), "name": secret.name }));
    match &secret.space_id {
        Some(space) => event.in_space(space),
        None => event,
    }
}

/// `DELETE /secrets/{id}`: answers the secrets that remain in the deleted one's scope.
pub(super) async fn delete_secret(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = SecretId::parse(&path)?;
    let secret = state
        .store
        .secret(&id)?
        .filter(|s| s.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("secret {id} not found")))?;
    let (env, space) = scope(
        &state,
        &p,
        Some(secret.environment_id.as_str()),
        secret.space_id.as_ref().map(|s| s.as_str()),
        Action::WriteSecrets,
    )?;
    let event = secret_event(&state, &p, "secret:deleted", &secret);
    state.store.delete_secret(&secret, &event).await?;
    let remaining = state.store.secrets_in(&env, space.as_ref())?;
    Ok(data(SecretBody::all(&state, &remaining)?))
}
