//! Reading the audit log forward from a position, for the event stream.

use super::codec::{event_key, Record};
use super::{Event, Store, StoreError, T};
use crate::domain::{EventId, Timestamp};
use std::ops::Bound;

/// A position in the log: its `events` key. Events after it are the ones not yet read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventCursor([u8; 16]);

impl EventCursor {
    /// Just after every event created at or before `t`.
    pub fn after(t: Timestamp) -> Self {
        Self(event_key(t.0, u64::MAX))
    }
}

impl Store {
    /// The position of one event (to resume after it), with the event.
    pub fn event_cursor(&self, id: &EventId) -> Result<Option<(EventCursor, Event)>, StoreError> {
        let Some(key) = self.tree(T::EventIds).get(id.as_str().as_bytes())? else {
            return Ok(None);
        };
        let Ok(key) = <[u8; 16]>::try_from(key.as_ref()) else {
            return Err(StoreError::Corrupt(format!(
                "event_ids holds a malformed key for {id}"
            )));
        };
        Ok(self
            .get::<Event>(T::Events, &key)?
            .map(|e| (EventCursor(key), e)))
    }

    /// Up to `limit` events after `from`, oldest first, each with its position, among those
    /// created at or before `until`. Never commits buffered events and never waits: `until` is
    /// lowered to before the oldest event still buffered, so none is passed over.
    pub fn events_after(
        &self,
        from: EventCursor,
        until: Timestamp,
        limit: usize,
    ) -> Result<Vec<(EventCursor, Event)>, StoreError> {
        let oldest_buffered = self
            .inner
            .pending_events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|e| e.created_at)
            .min();
        let until = match oldest_buffered {
            Some(t) if t.0 <= until.0 => Timestamp(t.0 - 1),
            _ => until,
        };
        let end = EventCursor::after(until);
        if end <= from {
            return Ok(Vec::new());
        }
        let range = (Bound::Excluded(&from.0[..]), Bound::Included(&end.0[..]));
        self.tree(T::Events)
            .range::<&[u8], _>(range)
            .take(limit)
            .map(|item| {
                let (key, value) = item?;
                let key = <[u8; 16]>::try_from(key.as_ref())
                    .map_err(|_| StoreError::Corrupt("events holds a malformed key".into()))?;
                Ok((EventCursor(key), Event::decode(&value)?))
            })
            .collect()
    }
}
