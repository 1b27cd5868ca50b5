//! `GET /v1/latchkey/events/stream`: the audit log as Server-Sent Events, opened with a token
//! from `event_tokens`, with the filters of `GET /v1/events`, resumable with `Last-Event-ID`,
//! and capped per credential and in total. Who may stream is who may read the events
//! (`Action::ReadEvents`), and the stream re-asks as it goes.

use super::extract::Query;
use super::sse::{Filter, Pace, Tail};
use super::{ApiError, AppState};
use crate::auth::policy::{authorize, Action};
use crate::auth::stream::StreamToken;
use crate::auth::AuthFailure;
use crate::domain::{EnvironmentId, EventId, SpaceId, Timestamp};
use crate::store::EventCursor;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What `[streams]` sets: token and stream lifetimes, the caps, and the pace.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// Lifetime of an event-stream token, in seconds.
    pub token_ttl_seconds: i64,
    /// Longest an open stream lives, in seconds.
    pub max_stream_seconds: i64,
    /// Streams open at once for one credential.
    pub per_credential: usize,
    /// Streams open at once in total.
    pub total: usize,
    /// Between heartbeat comments on an idle stream.
    pub heartbeat: Duration,
    /// Between reads of the log.
    pub poll: Duration,
    /// Milliseconds an event waits after its creation time before it is sent.
    pub settle_ms: i64,
}

/// The open streams, counted per parent credential and in total, and their settings.
pub struct EventStreams {
    settings: StreamSettings,
    /// (total, per credential id).
    open: Mutex<(usize, HashMap<String, usize>)>,
    stopping: Option<actix_server::GracefulShutdownSignal>,
}

/// A stream's place in the caps, given back when it is dropped.
pub struct Slot {
    streams: web::Data<EventStreams>,
    credential: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.streams.open.lock().unwrap_or_else(|p| p.into_inner());
        open.0 = open.0.saturating_sub(1);
        if let Some(n) = open.1.get_mut(&self.credential) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.1.remove(&self.credential);
            }
        }
    }
}

impl EventStreams {
    /// No stream open yet; streams end when `stopping` fires.
    pub fn new(
        settings: StreamSettings,
        stopping: Option<actix_server::GracefulShutdownSignal>,
    ) -> Self {
        Self {
            settings,
            open: Mutex::default(),
            stopping,
        }
    }

    /// The lifetime of a new stream token, in seconds.
    pub(super) fn token_ttl_seconds(&self) -> i64 {
        self.settings.token_ttl_seconds
    }

    fn acquire(streams: &web::Data<Self>, credential: &str) -> Result<Slot, ApiError> {
        let s = &streams.settings;
        let mut open = streams.open.lock().unwrap_or_else(|p| p.into_inner());
        let mine = open.1.get(credential).copied().unwrap_or(0);
        let refuse = |message: String| ApiError::TooManyRequests {
            message,
            retry_after: 5,
        };
        if open.0 >= s.total {
            return Err(refuse(format!(
                "the server has {} event streams open, its most (streams.total)",
                open.0
            )));
        }
        if mine >= s.per_credential {
            return Err(refuse(format!(
                "this credential has {mine} event streams open, its most (streams.per_credential)"
            )));
        }
        open.0 += 1;
        *open.1.entry(credential.to_owned()).or_insert(0) += 1;
        Ok(Slot {
            streams: streams.clone(),
            credential: credential.to_owned(),
        })
    }
}

/// The stream token from `?token=` or `Authorization: Bearer`.
fn presented<'r>(
    req: &'r HttpRequest,
    q: &'r Query,
    state: &AppState,
) -> Result<&'r str, ApiError> {
    match q.optional("token")? {
        Some(t) => Ok(t),
        None => Ok(state.auth.presented(req)?),
    }
}

/// What the query and the token together allow: the token's scope, narrowed by the query.
fn filter(token: &StreamToken, q: &Query) -> Result<Filter, ApiError> {
    let account = crate::domain::AccountId::parse(&token.claims.acc)
        .map_err(|_| AuthFailure::Malformed("the token's account is not valid".into()))?;
    let named = q
        .optional("environmentId")?
        .map(EnvironmentId::parse)
        .transpose()?;
    let environment = match (&token.scope.environment, named) {
        (Some(own), Some(n)) if *own != n => {
            return Err(ApiError::NotFound(format!("environment {n} not found")))
        }
        (own, n) => own.clone().or(n),
    };
    let named_space = q.optional("spaceId")?.map(SpaceId::parse).transpose()?;
    let space = match (&token.scope.space, named_space) {
        (Some(own), Some(n)) if *own != n => {
            return Err(ApiError::NotFound(format!("space {n} not found")))
        }
        (own, n) => own.clone().or(n).map(|s| s.to_string()),
    };
    Filter::from_query(q, account, environment, space, false)
}

/// Where the stream starts: after `Last-Event-ID` (header, or `lastEventId`), at `since`, or now.
fn start(
    req: &HttpRequest,
    q: &Query,
    state: &AppState,
    f: &Filter,
    settle_ms: i64,
) -> Result<EventCursor, ApiError> {
    let header = req
        .headers()
        .get("last-event-id")
        .map(|v| v.to_str().map(str::trim))
        .transpose()
        .map_err(|_| ApiError::bad_request("Last-Event-ID", "Last-Event-ID must be an event id"))?;
    if let Some(raw) = header
        .or(q.optional("lastEventId")?)
        .filter(|s| !s.is_empty())
    {
        let id = EventId::parse(raw).map_err(|_| {
            ApiError::bad_request(
                "Last-Event-ID",
                "Last-Event-ID must be an event id (us_evt_…)",
            )
        })?;
        return match state.store.event_cursor(&id)? {
            Some((cursor, e)) if e.account_id == f.account => Ok(cursor),
            _ => Err(ApiError::bad_request(
                "Last-Event-ID",
                format!("event {id} is not in the log (removed by retention?); reconnect with since= instead"),
            )),
        };
    }
    if let Some(raw) = q.optional("since")? {
        let t = Timestamp::parse_rfc3339(raw)
            .ok_or_else(|| ApiError::bad_request("since", "since must be an ISO-8601 date-time"))?;
        return Ok(EventCursor::after(Timestamp(t.0 - 1)));
    }
    Ok(EventCursor::after(Timestamp(
        state.clock.now().0 - settle_ms,
    )))
}

/// `GET /v1/latchkey/events/stream?token=…`: `text/event-stream`.
pub(super) async fn stream_events(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let token = state
        .auth
        .verify_stream_token(presented(&req, &q, &state)?)?;
    let parent = state.auth.stream_parent(&token)?;
    let filter = filter(&token, &q)?;
    authorize(&parent, Action::ReadEvents, filter.resource())?;
    let cursor = start(&req, &q, &state, &filter, state.streams.settings.settle_ms)?;
    let tail = open(&state, token, filter, cursor)?;
    let body = futures_util::stream::unfold(tail, |mut tail| async move {
        let frame = tail.next().await?;
        Some((Ok::<_, actix_web::Error>(frame), tail))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// A new stream from `cursor`, holding its place in the caps, ending at the token's expiry or
/// after `streams.max_stream_seconds`, whichever comes first.
fn open(
    state: &web::Data<AppState>,
    token: StreamToken,
    filter: Filter,
    cursor: EventCursor,
) -> Result<Tail, ApiError> {
    let s = &state.streams.settings;
    let lifetime = Timestamp(
        state
            .clock
            .now()
            .0
            .saturating_add(s.max_stream_seconds.saturating_mul(1000)),
    );
    Ok(Tail {
        ends_at: token.expires_at.min(lifetime),
        generation: state.store.generation(),
        _slot: EventStreams::acquire(&state.streams, &token.claims.par)?,
        state: state.clone(),
        token,
        filter,
        cursor,
        pace: Pace {
            poll: s.poll,
            heartbeat: s.heartbeat,
            settle_ms: s.settle_ms,
        },
        stopping: state.streams.stopping.clone(),
        queue: [web::Bytes::from_static(
            b"retry: 3000\n: the Latchkey event stream\n\n",
        )]
        .into(),
        last_write: Instant::now(),
        finished: false,
    })
}
