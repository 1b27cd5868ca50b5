//! `/v1/events`: the audit log. Administrators read every environment; a secret key reads its
//! own. Newest first; `until` pins a snapshot so pages stay stable while events arrive.

use super::bodies::strip_nulls;
use super::extract::{JsonBody, Query};
use super::{audit, data, success, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::topics::is_reserved_topic;
use crate::domain::{EnvironmentId, EventId, SpaceId, Timestamp};
use crate::store::{Event, EventQuery};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// The wire `Event`.
pub(super) fn event_body(e: &Event) -> serde_json::Value {
    let context = strip_nulls(serde_json::json!({
        "accountId": e.account_id.as_str(),
        "environmentId": e.environment_id.as_ref().map(|id| id.as_str()),
        "spaceId": e.space_id,
        "actorId": e.actor_id,
    }));
    strip_nulls(serde_json::json!({
        "id": e.id.as_str(),
        "topic": e.topic,
        "domain": e.domain,
        "context": context,
        "payload": serde_json::from_str::<serde_json::Value>(&e.payload).unwrap_or_else(|_| serde_json::json!({})),
        "createdAt": e.created_at.to_rfc3339(),
        "acknowledgedAt": e.acknowledged_at.map(|t| t.to_rfc3339()),
        "acknowledgedBy": e.acknowledged_by,
        "writtenBy": written_by(e),
    }))
}

/// `"latchkey"` for Latchkey's own audit events, `"client"` for events a caller created with
/// `POST /v1/events`: clients may use only topics outside `RESERVED_TOPIC_DOMAINS`, and Latchkey
/// writes only topics inside them.
fn written_by(e: &Event) -> &'static str {
    if is_reserved_topic(&e.topic) {
        "latchkey"
    } else {
        "client"
    }
}

fn time(q: &Query, name: &str) -> Result<Option<Timestamp>, ApiError> {
    q.optional(name)?
        .map(|raw| {
            Timestamp::parse_rfc3339(raw).ok_or_else(|| {
                ApiError::bad_request(name, format!("{name} must be an ISO-8601 date-time"))
            })
        })
        .transpose()
}

/// The environment a read is limited to: the named one, the caller's own, or none (every
/// environment, Administrators only), after the policy allows `action` on it.
fn reach(
    p: &Principal,
    named: Option<&str>,
    action: Action,
) -> Result<Option<EnvironmentId>, ApiError> {
    let env = match named {
        Some(raw) => Some(EnvironmentId::parse(raw)?),
        None => p.environment().cloned(),
    };
    match &env {
        Some(e) => authorize(p, action, Resource::environment(&p.account_id, e))?,
        None => authorize(p, action, Resource::account(&p.account_id))?,
    }
    Ok(env)
}

pub(super) async fn list_events(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let env = reach(&p, q.optional("environmentId")?, Action::ReadEvents)?;
    let page = q.page(10, state.limits.max_page_size)?;
    let space = q.optional("spaceId")?.map(str::to_owned);
    let domain = q.optional("domain")?.map(str::to_owned);
    let topic = q.optional("topic")?.map(str::to_owned);
    // Administrators always see acknowledged events: acknowledging hides nothing from them.
    let everything = || {
        authorize(
            &p,
            Action::SeeAcknowledgedEvents,
            Resource::account(&p.account_id),
        )
        .is_ok()
    };
    let acknowledged = match q.optional("includeAcknowledged")? {
        None | Some("false") => everything(),
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "includeAcknowledged",
                "includeAcknowledged must be true or false",
            ))
        }
    };
    let keep = |e: &Event| {
        e.account_id == p.account_id
            && env
                .as_ref()
                .is_none_or(|env| e.environment_id.as_ref() == Some(env))
            && space
                .as_ref()
                .is_none_or(|s| e.space_id.as_ref() == Some(s))
            && domain.as_ref().is_none_or(|d| e.domain == *d)
            && topic.as_ref().is_none_or(|t| e.topic == *t)
            && (acknowledged || e.acknowledged_at.is_none())
    };
    let query = EventQuery {
        since: time(&q, "since")?,
        until: time(&q, "until")?,
        keep: &keep,
        skip: usize::try_from((page.number - 1).saturating_mul(page.size)).unwrap_or(usize::MAX),
        limit: page.size as usize,
    };
    let events: Vec<serde_json::Value> = state
        .store
        .events_newest_first(&query)?
        .iter()
        .map(event_body)
        .collect();
    Ok(data(events))
}

/// Loads an event after `action` is allowed on its environment (account-level events are for
/// Administrators).
fn load(state: &AppState, p: &Principal, raw: &str, action: Action) -> Result<Event, ApiError> {
    let id = EventId::parse(raw)?;
    let event = state
        .store
        .event(&id)?
        .filter(|e| e.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("event {id} not found")))?;
    let resource = match &event.environment_id {
        Some(env) => Resource::environment(&p.account_id, env),
        None => Resource::account(&p.account_id),
    };
    authorize(p, action, resource).map_err(|denial| match denial {
        crate::auth::policy::Denial::NotFound(_) => {
            ApiError::NotFound(format!("event {id} not found"))
        }
        other => other.into(),
    })?;
    Ok(event)
}

pub(super) async fn get_event(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(data(event_body(&load(
        &state,
        &p,
        &path,
        Action::ReadEvents,
    )?)))
}

pub(super) async fn ack_event(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event = load(&state, &p, &path, Action::ReadEvents)?;
    state
        .store
        .acknowledge_event(&event.id, &p.actor_id(), state.clock.now())
        .await?;
    Ok(success())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Context {
    environment_id: String,
    space_id: Option<String>,
}

/// The contract's event create body (the optional extras are accepted and not kept).
#[derive(Deserialize)]
pub(super) struct CreateEvent {
    topic: String,
    domain: String,
    payload: serde_json::Map<String, serde_json::Value>,
    context: Context,
}

pub(super) async fn create_event(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<CreateEvent>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let env = EnvironmentId::parse(&b.context.environment_id)?;
    authorize(
        &p,
        Action::WriteEvents,
        Resource::environment(&p.account_id, &env),
    )?;
    state
        .store
        .environment(&env)?
        .filter(|e| e.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("environment {env} not found")))?;
    for (key, text) in [("topic", &b.topic), ("domain", &b.domain)] {
        crate::domain::check_text(key, text)?;
        if text.is_empty() || text.chars().count() > 128 {
            return Err(ApiError::unprocessable(
                key,
                format!("{key} must have 1 to 128 printable characters"),
            ));
        }
    }
    if is_reserved_topic(&b.topic) {
        return Err(ApiError::unprocessable(
            "topic",
            format!(
                "topics starting with {}: are reserved for Latchkey's own events; use another, such as job:…",
                b.topic.split(':').next().unwrap_or_default()
            ),
        ));
    }
    let payload = serde_json::Value::Object(b.payload);
    if payload.to_string().len() > 64 * 1024 {
        return Err(ApiError::PayloadTooLarge(
            "an event payload holds at most 64 KiB".into(),
        ));
    }
    let mut event = audit(&state, &p, &b.topic, &b.domain)
        .in_environment(&env)
        .with_payload(payload);
    if let Some(raw) = b.context.space_id {
        let space = SpaceId::parse(&raw)?;
        state
            .store
            .space(&space)?
            .filter(|s| s.environment_id == env)
            .ok_or_else(|| {
                ApiError::NotFound(format!("space {space} not found in environment {env}"))
            })?;
        event = event.in_space(&space);
    }
    state
        .store
        .record_events(std::slice::from_ref(&event))
        .await?;
    Ok(data(event_body(&event)))
}

/// `GET /v1/latchkey/events/export?since=&until=`: NDJSON, oldest first, streamed in batches so
/// the log is never held in memory (Administrators).
pub(super) async fn export_events(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    authorize(&p, Action::ExportEvents, Resource::account(&p.account_id))?;
    let since = time(&q, "since")?.unwrap_or(Timestamp(i64::MIN / 2));
    let until = time(&q, "until")?.unwrap_or_else(|| state.clock.now());
    let account = p.account_id.clone();
    let mut events = state.store.events_between(since, until);
    let batches = std::iter::from_fn(move || {
        let mut chunk = Vec::new();
        for item in events.by_ref() {
            match item {
                Ok(e) if e.account_id == account => {
                    chunk.extend_from_slice(event_body(&e).to_string().as_bytes());
                    chunk.push(b'\n');
                }
                Ok(_) => {}
                Err(e) => {
                    log::error!("event export stopped: {e}");
                    break;
                }
            }
            if chunk.len() >= 64 * 1024 {
                break;
            }
        }
        (!chunk.is_empty()).then(|| Ok::<_, actix_web::Error>(web::Bytes::from(chunk)))
    });
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(futures_util::stream::iter(batches)))
}
