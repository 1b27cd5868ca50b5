//! `/v1/events`: the audit log. Administrators read every environment; a secret key reads its
//! own. Newest first; `until` pins a snapshot so pages stay stable while events arrive.

use super::extract::{JsonBody, Query};
use super::reach::allowed_environment;
use super::sse::Filter;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::topics::is_reserved_topic;
use crate::domain::{EnvironmentId, Event, EventId, SpaceId, Timestamp};
use crate::store::EventQuery;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

/// The wire `Event`; absent fields are left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EventBody<'a> {
    id: &'a str,
    topic: &'a str,
    domain: &'a str,
    context: EventContext<'a>,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    payload: serde_json::Value,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    acknowledged_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acknowledged_by: Option<&'a str>,
    written_by: &'static str,
}

/// Where an event belongs and who wrote it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventContext<'a> {
    account_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    space_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_id: Option<&'a str>,
}

impl<'a> From<&'a Event> for EventBody<'a> {
    fn from(e: &'a Event) -> Self {
        Self {
            id: e.id.as_str(),
            topic: &e.topic,
            domain: &e.domain,
            context: EventContext {
                account_id: e.account_id.as_str(),
                environment_id: e.environment_id.as_ref().map(|id| id.as_str()),
                space_id: e.space_id.as_deref(),
                actor_id: e.actor_id.as_deref(),
            },
            payload: serde_json::from_str(&e.payload)
                .unwrap_or_else(|_| serde_json::Value::Object(serde_json::Map::new())),
            created_at: e.created_at.to_rfc3339(),
            acknowledged_at: e.acknowledged_at.map(|t| t.to_rfc3339()),
            acknowledged_by: e.acknowledged_by.as_deref(),
            written_by: written_by(e),
        }
    }
}

impl EventBody<'_> {
    /// The body as JSON text (for the event stream and the export).
    pub(super) fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
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
    let filter = Filter::from_query(&q, p.account_id.clone(), env, space, sees_acknowledged(&p))?;
    let query = EventQuery {
        since: time(&q, "since")?,
        until: time(&q, "until")?,
        keep: &|e| filter.keep(e),
        skip: usize::try_from((page.number - 1).saturating_mul(page.size)).unwrap_or(usize::MAX),
        limit: page.size as usize,
    };
    let events = state.store.events_newest_first(&query)?;
    Ok(data(events.iter().map(EventBody::from).collect::<Vec<_>>()))
}

/// Administrators always see acknowledged events: acknowledging hides nothing from them.
fn sees_acknowledged(p: &Principal) -> bool {
    authorize(
        p,
        Action::SeeAcknowledgedEvents,
        Resource::account(&p.account_id),
    )
    .is_ok()
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
    let event = load(&state, &p, &path, Action::ReadEvents)?;
    Ok(data(EventBody::from(&event)))
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

/// A client event as checked: its topic, domain, payload and space.
struct ClientEvent {
    topic: String,
    domain: String,
    payload: serde_json::Value,
    space: Option<SpaceId>,
}

impl TryFrom<CreateEvent> for ClientEvent {
    type Error = ApiError;

    fn try_from(b: CreateEvent) -> Result<Self, ApiError> {
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
        let space = b
            .context
            .space_id
            .as_deref()
            .map(SpaceId::parse)
            .transpose()?;
        Ok(Self {
            topic: b.topic,
            domain: b.domain,
            payload,
            space,
        })
    }
}

/// The environment named by `raw`, after the policy allows writing events in it.
fn writable_environment(
    state: &AppState,
    p: &Principal,
    raw: &str,
) -> Result<EnvironmentId, ApiError> {
    let env = EnvironmentId::parse(raw)?;
    allowed_environment(state, p, &env, Action::WriteEvents)?;
    Ok(env)
}

/// 404 unless `space` is in `env`.
fn space_in(state: &AppState, space: &SpaceId, env: &EnvironmentId) -> Result<(), ApiError> {
    state
        .store
        .space(space)?
        .filter(|s| s.environment_id == *env)
        .map(drop)
        .ok_or_else(|| ApiError::NotFound(format!("space {space} not found in environment {env}")))
}

pub(super) async fn create_event(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<CreateEvent>,
) -> Result<HttpResponse, ApiError> {
    let env = writable_environment(&state, &p, &body.0.context.environment_id)?;
    let plan = ClientEvent::try_from(body.0)?;
    let mut event = audit(&state, &p, &plan.topic, &plan.domain)
        .in_environment(&env)
        .with_payload(plan.payload);
    if let Some(space) = &plan.space {
        space_in(&state, space, &env)?;
        event = event.in_space(space);
    }
    state
        .store
        .record_events(std::slice::from_ref(&event))
        .await?;
    Ok(data(EventBody::from(&event)))
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
    let events = state.store.events_between(since, until);
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(futures_util::stream::iter(ndjson(
            events,
            p.account_id.clone(),
        ))))
}

/// The events of `account` as NDJSON in batches of about 64 KiB; a read error ends the export.
fn ndjson(
    mut events: impl Iterator<Item = Result<Event, crate::store::StoreError>>,
    account: crate::domain::AccountId,
) -> impl Iterator<Item = Result<web::Bytes, actix_web::Error>> {
    std::iter::from_fn(move || {
        let mut chunk = Vec::new();
        for item in events.by_ref() {
            match item {
                Ok(e) if e.account_id == account => {
                    chunk.extend_from_slice(EventBody::from(&e).json().as_bytes());
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
        (!chunk.is_empty()).then(|| Ok(web::Bytes::from(chunk)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AccountId;

    #[test]
    fn absent_context_and_acknowledgement_are_left_out() {
        let mut e = Event::new("job:done", "job", AccountId::generate(), Timestamp(5));
        let body = serde_json::to_value(EventBody::from(&e)).unwrap();
        let context = body["context"].as_object().unwrap();
        assert_eq!(context.keys().collect::<Vec<_>>(), ["accountId"]);
        assert!(body.get("acknowledgedAt").is_none() && body.get("acknowledgedBy").is_none());
        assert_eq!(body["payload"], serde_json::json!({}));
        assert_eq!(body["writtenBy"], "client");
        e.payload = "not json".into();
        e.acknowledged_by = Some("us_usr_x".into());
        let body = serde_json::to_value(EventBody::from(&e)).unwrap();
        assert_eq!(body["payload"], serde_json::json!({}));
        assert_eq!(body["acknowledgedBy"], "us_usr_x");
        let text = EventBody::from(&e).json();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            body
        );
    }
}
