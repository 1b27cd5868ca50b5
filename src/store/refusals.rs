//! Aggregated authentication events for anonymous callers: refused and throttled logins, and
//! tokens issued for a (public) publishable key. The first such event for a key (a client
//! address, an account) in a window is recorded as it is; the repeats within the window are
//! only counted, and when the window closes one summary event carries the count. N refusals
//! from one client thus write O(windows) events, not N.

use super::{Event, Store};
use crate::domain::Timestamp;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

/// Open windows tracked at once; past it, repeats of new keys count in one overflow window.
const MAX_WINDOWS: usize = 10_000;
/// The key of the overflow window.
const OVERFLOW: &str = "*";

/// The windows of repeated anonymous authentication events.
pub(super) struct Refusals {
    window_ms: AtomicI64,
    open: Mutex<HashMap<String, Window>>,
}

/// One key's window: when it opened, the event that opened it, and the repeats since.
struct Window {
    opened: Timestamp,
    last: Timestamp,
    repeats: u64,
    first: Event,
}

impl Default for Refusals {
    fn default() -> Self {
        Self {
            window_ms: AtomicI64::new(60_000),
            open: Mutex::new(HashMap::new()),
        }
    }
}

impl Refusals {
    /// Decides for `event` seen under `keys`: `Some(event)` to record it now (it opens a window
    /// for every key), `None` when a window of one of its keys is open (it is counted there).
    /// Also answers the summaries of the windows of these keys that had closed.
    fn admit(&self, event: Event, keys: &[String]) -> (Option<Event>, Vec<Event>) {
        let now = event.created_at;
        let window = self.window_ms.load(Ordering::Relaxed);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let mut closed = Vec::new();
        for key in keys {
            if open.get(key).is_some_and(|w| now.0 >= w.opened.0 + window) {
                if let Some(w) = open.remove(key) {
                    closed.extend(w.summary(window));
                }
            }
        }
        let full = open.len() + keys.len() > MAX_WINDOWS;
        let counted = keys
            .iter()
            .map(String::as_str)
            .chain(full.then_some(OVERFLOW))
            .find(|k| open.contains_key(*k))
            .map(str::to_owned);
        if let Some(key) = counted {
            if let Some(w) = open.get_mut(&key) {
                w.repeats += 1;
                w.last = now;
            }
            return (None, closed);
        }
        let opening = if full {
            vec![OVERFLOW.to_owned()]
        } else {
            keys.to_vec()
        };
        for key in opening {
            open.insert(
                key,
                Window {
                    opened: now,
                    last: now,
                    repeats: 0,
                    first: event.clone(),
                },
            );
        }
        (Some(event), closed)
    }

    /// Closes the windows opened before `now` minus the window (all of them with `None`) and
    /// answers their summaries.
    fn close(&self, now: Option<Timestamp>) -> Vec<Event> {
        let window = self.window_ms.load(Ordering::Relaxed);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let expired: Vec<String> = open
            .iter()
            .filter(|(_, w)| now.is_none_or(|n| n.0 >= w.opened.0 + window))
            .map(|(k, _)| k.clone())
            .collect();
        expired
            .into_iter()
            .filter_map(|k| open.remove(&k))
            .filter_map(|w| w.summary(window))
            .collect()
    }
}

impl Window {
    /// The summary event of a closed window with repeats: the first event's topic and payload,
    /// plus how many repeats were not recorded one by one, and over which span.
    fn summary(self, window_ms: i64) -> Option<Event> {
        if self.repeats == 0 {
            return None;
        }
        let mut payload: serde_json::Value =
            serde_json::from_str(&self.first.payload).unwrap_or_else(|_| serde_json::json!({}));
        if let Some(map) = payload.as_object_mut() {
            map.insert("aggregated".into(), true.into());
            map.insert("count".into(), self.repeats.into());
            map.insert("firstAt".into(), self.opened.to_rfc3339().into());
            map.insert("lastAt".into(), self.last.to_rfc3339().into());
            map.insert("windowSeconds".into(), (window_ms / 1000).into());
        }
        let first = self.first;
        let mut event = Event::new(&first.topic, &first.domain, first.account_id, self.last)
            .by(first.actor_id)
            .with_payload(payload);
        event.environment_id = first.environment_id;
        event.space_id = first.space_id;
        Some(event)
    }
}

impl Store {
    /// Sets the aggregation window, in seconds (`audit.aggregation_window_seconds`).
    pub fn set_aggregation_window(&self, seconds: i64) {
        self.inner
            .refusals
            .window_ms
            .store(seconds.saturating_mul(1000).max(1), Ordering::Relaxed);
    }

    /// Records an anonymous caller's authentication event soon, aggregated per key: `keys`
    /// name who it repeats for (the client address, the account tried), without the topic.
    pub fn record_repeatable_soon(
        &self,
        event: Event,
        keys: &[&str],
    ) -> Result<(), super::StoreError> {
        let keys: Vec<String> = keys
            .iter()
            .map(|k| format!("{}\0{k}", event.topic))
            .collect();
        let (now, mut closed) = self.inner.refusals.admit(event, &keys);
        closed.extend(now);
        if closed.is_empty() {
            return Ok(());
        }
        self.record_events_soon(&closed)
    }

    /// Records the summaries of the aggregation windows closed by `now` (every open one with
    /// `None`, at shutdown).
    pub fn close_aggregation_windows(
        &self,
        now: Option<Timestamp>,
    ) -> Result<(), super::StoreError> {
        let closed = self.inner.refusals.close(now);
        if closed.is_empty() {
            return Ok(());
        }
        self.record_events_soon(&closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AccountId;

    fn failed(at: i64) -> Event {
        Event::new(
            "auth:login-failed",
            "auth",
            AccountId::generate(),
            Timestamp(at),
        )
        .with_payload(serde_json::json!({ "email": "a@x" }))
    }

    #[test]
    fn repeats_within_a_window_become_one_summary_with_their_count() {
        let r = Refusals::default();
        let keys = ["ip".to_owned(), "a@x".to_owned()];
        let (first, closed) = r.admit(failed(0), &keys);
        assert!(first.is_some() && closed.is_empty());
        for at in 1..100 {
            assert!(r.admit(failed(at), &keys).0.is_none());
        }
        assert!(
            r.admit(failed(200), &["ip".to_owned(), "b@x".to_owned()])
                .0
                .is_none(),
            "another account from the same address is counted too"
        );
        assert!(r.close(Some(Timestamp(59_999))).is_empty());
        let summaries = r.close(Some(Timestamp(60_000)));
        assert_eq!(summaries.len(), 1, "one summary per window: {summaries:?}");
        let payload: serde_json::Value = serde_json::from_str(&summaries[0].payload).unwrap();
        assert_eq!(payload["count"], 100);
        assert_eq!(payload["email"], "a@x");
        let (again, _) = r.admit(failed(60_001), &keys);
        assert!(again.is_some(), "a new window records its first event");
    }

    #[test]
    fn a_closed_window_is_summarised_when_its_key_returns() {
        let r = Refusals::default();
        let keys = ["ip".to_owned()];
        r.admit(failed(0), &keys);
        r.admit(failed(10), &keys);
        let (first, closed) = r.admit(failed(70_000), &keys);
        assert!(first.is_some());
        assert_eq!(closed.len(), 1);
        assert!(
            r.close(None).is_empty(),
            "the new window has no repeats yet"
        );
    }
}
