//! The audit log: events keyed by time, with an id index.

use super::codec::{event_key, Record};
use super::{Event, Store, StoreError, Tx, TxResult, T};
use crate::domain::EventId;

impl Tx<'_> {
    /// Appends `event` under (created-at, `seq`) and indexes its id.
    pub(super) fn record_event(&self, event: &Event, seq: u64) -> TxResult<()> {
        let key = event_key(event.created_at.0, seq);
        self.put(T::Events, &key, event)?;
        self.put_raw(T::EventIds, event.id.as_str().as_bytes(), &key)
    }
}

impl Store {
    /// One event by id.
    pub fn event(&self, id: &EventId) -> Result<Option<Event>, StoreError> {
        match self.tree(T::EventIds).get(id.as_str().as_bytes())? {
            Some(key) => self.get(T::Events, &key),
            None => Ok(None),
        }
    }

    /// Events newest first, keeping those `keep` accepts, skipping `skip` and returning up to `limit`.
    pub fn events_newest_first(
        &self,
        keep: impl Fn(&Event) -> bool,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::new();
        let mut skipped = 0;
        for item in self.tree(T::Events).iter().rev() {
            let (_, value) = item?;
            let event = Event::decode(&value)?;
            if !keep(&event) {
                continue;
            }
            if skipped < skip {
                skipped += 1;
                continue;
            }
            out.push(event);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// How many events the log holds.
    pub fn event_count(&self) -> usize {
        self.tree(T::Events).len()
    }
}

impl Store {
    /// Records events that accompany no other change (authentication decisions).
    pub async fn record_events(&self, events: &[Event]) -> Result<(), StoreError> {
        self.write(events, |_| Ok(())).await
    }
}
