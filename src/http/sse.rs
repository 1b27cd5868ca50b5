//! One open event stream: reads the log forward from its cursor, sends each matching event as
//! a Server-Sent Event (`id:` the event id, `data:` the wire event), heartbeats while idle, and
//! ends on its token's expiry, its lifetime, shutdown, or when its parent credential no longer
//! reads this scope. No store lock is held between reads.

use super::bodies::flag;
use super::events::EventBody;
use super::extract::Query;
use super::{ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::stream::StreamToken;
use crate::domain::{AccountId, EnvironmentId, Event, Timestamp};
use crate::store::EventCursor;
use actix_web::web::{self, Bytes};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Events read per look at the log.
const BATCH: usize = 100;

/// Which events a stream sends: the same conditions as `GET /v1/events`.
pub(super) struct Filter {
    pub account: AccountId,
    pub environment: Option<EnvironmentId>,
    pub space: Option<String>,
    pub domain: Option<String>,
    pub topic: Option<String>,
    pub acknowledged: bool,
}

impl Filter {
    /// The events of `account` in `environment` and `space`, narrowed by the query's `domain`
    /// and `topic`; acknowledged ones with `includeAcknowledged=true`, else when `acknowledged`.
    pub fn from_query(
        q: &Query,
        account: AccountId,
        environment: Option<EnvironmentId>,
        space: Option<String>,
        acknowledged: bool,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            account,
            environment,
            space,
            domain: q.optional("domain")?.map(str::to_owned),
            topic: q.optional("topic")?.map(str::to_owned),
            acknowledged: flag(q, "includeAcknowledged")? == Some(true) || acknowledged,
        })
    }

    /// What the policy is asked about: the environment, or the whole account.
    pub fn resource(&self) -> Resource<'_> {
        match &self.environment {
            Some(env) => Resource::environment(&self.account, env),
            None => Resource::account(&self.account),
        }
    }

    /// Whether `e` is one of these events.
    pub fn keep(&self, e: &Event) -> bool {
        e.account_id == self.account
            && self
                .environment
                .as_ref()
                .is_none_or(|env| e.environment_id.as_ref() == Some(env))
            && self
                .space
                .as_ref()
                .is_none_or(|s| e.space_id.as_ref() == Some(s))
            && self.domain.as_ref().is_none_or(|d| e.domain == *d)
            && self.topic.as_ref().is_none_or(|t| e.topic == *t)
            && (self.acknowledged || e.acknowledged_at.is_none())
    }
}

/// Timing of a stream.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pace {
    pub poll: Duration,
    pub heartbeat: Duration,
    pub settle_ms: i64,
}

/// The state of one open stream.
pub(super) struct Tail {
    pub state: web::Data<AppState>,
    pub token: StreamToken,
    pub filter: Filter,
    pub cursor: EventCursor,
    /// The stream ends at this instant (of the server clock).
    pub ends_at: Timestamp,
    pub pace: Pace,
    pub stopping: Option<actix_server::GracefulShutdownSignal>,
    /// Held while the stream is open; frees its place in the caps when dropped.
    pub _slot: super::streams::Slot,
    /// The store generation the parent credential was last checked at.
    pub generation: u64,
    pub queue: VecDeque<Bytes>,
    pub last_write: Instant,
    pub finished: bool,
}

/// The data of the last frame: why the stream ended.
#[derive(serde::Serialize)]
struct StreamEnd<'a> {
    reason: &'a str,
}

fn end_frame(reason: &str) -> Bytes {
    Bytes::from(format!(
        "event: latchkey:stream-end\ndata: {}\n\n",
        serde_json::to_string(&StreamEnd { reason }).unwrap_or_default()
    ))
}

impl Tail {
    /// The next bytes to send, or `None` once the stream is over.
    pub async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(frame) = self.queue.pop_front() {
                self.last_write = Instant::now();
                return Some(frame);
            }
            if self.finished {
                return None;
            }
            if let Some(reason) = self.ended() {
                self.finished = true;
                return Some(end_frame(reason));
            }
            match self.read() {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    log::error!("an event stream stopped reading the log: {e}");
                    self.finished = true;
                    return Some(end_frame("unavailable"));
                }
            }
            if !self.queue.is_empty() {
                continue;
            }
            if self.last_write.elapsed() >= self.pace.heartbeat {
                self.last_write = Instant::now();
                return Some(Bytes::from_static(b": heartbeat\n\n"));
            }
            let sleep = actix_web::rt::time::sleep(self.pace.poll);
            match &self.stopping {
                Some(stopping) => {
                    tokio::select! {
                        _ = sleep => {}
                        _ = stopping.notified() => {
                            self.finished = true;
                            return Some(end_frame("shutdown"));
                        }
                    }
                }
                None => sleep.await,
            }
        }
    }

    /// Why the stream must end now, if it must: its time is up, or (checked whenever the store
    /// changed) its parent credential is gone or no longer reads this scope.
    fn ended(&mut self) -> Option<&'static str> {
        if self.state.clock.now() >= self.ends_at {
            return Some("expired");
        }
        let generation = self.state.store.generation();
        if generation == self.generation {
            return None;
        }
        self.generation = generation;
        let Ok(parent) = self.state.auth.stream_parent(&self.token) else {
            return Some("revoked");
        };
        authorize(&parent, Action::ReadEvents, self.filter.resource())
            .err()
            .map(|_| "forbidden")
    }

    /// Reads the next batch of settled events into the queue; true when the batch was full.
    fn read(&mut self) -> Result<bool, crate::store::StoreError> {
        let settled = Timestamp(self.state.clock.now().0 - self.pace.settle_ms);
        let batch = self.state.store.events_after(self.cursor, settled, BATCH)?;
        let full = batch.len() == BATCH;
        for (cursor, event) in batch {
            self.cursor = cursor;
            if self.filter.keep(&event) {
                self.queue.push_back(Bytes::from(format!(
                    "id: {}\ndata: {}\n\n",
                    event.id,
                    EventBody::from(&event).json()
                )));
            }
        }
        Ok(full)
    }
}
