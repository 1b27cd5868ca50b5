//! The audit log: events keyed by time (newest last), with an id index.

use super::codec::{event_key, Record};
use super::{abort, tx_error, Abort, Event, Store, StoreError, Tx, TxResult, T};
use crate::domain::{EventId, Timestamp};
use sled::Transactional;

/// Buffered authentication events that wake the background task for a batch, and the most
/// one event transaction holds.
const BATCH_EVENTS: usize = 256;
/// Buffered authentication events at which a request commits the batch itself.
const MAX_PENDING_EVENTS: usize = 16_384;

impl Tx<'_> {
    /// Appends `event` under (created-at, `seq`) and indexes its id.
    pub(super) fn record_event(&self, event: &Event, seq: u64) -> TxResult<()> {
        let key = event_key(event.created_at.0, seq);
        self.put(T::Events, &key, event)?;
        self.put_raw(T::EventIds, event.id.as_str().as_bytes(), &key)?;
        self.fanout().enqueue(event)
    }
}

/// Which events a listing wants.
pub struct EventQuery<'a> {
    /// Only events created at or after this instant.
    pub since: Option<Timestamp>,
    /// Only events created at or before this instant (a stable snapshot for paging).
    pub until: Option<Timestamp>,
    /// Any other condition.
    pub keep: &'a dyn Fn(&Event) -> bool,
    /// Matching events to skip (newest first).
    pub skip: usize,
    /// At most this many.
    pub limit: usize,
}

impl Store {
    /// One event by id.
    pub fn event(&self, id: &EventId) -> Result<Option<Event>, StoreError> {
        self.drain_pending_events()?;
        match self.tree(T::EventIds).get(id.as_str().as_bytes())? {
            Some(key) => self.get(T::Events, &key),
            None => Ok(None),
        }
    }

    /// Matching events, newest first. Only the time range is read.
    pub fn events_newest_first(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        self.drain_pending_events()?;
        let end = event_key(q.until.map_or(i64::MAX, |t| t.0.saturating_add(1)), 0);
        let mut out = Vec::new();
        let mut skipped = 0;
        for item in self.tree(T::Events).range(..end).rev() {
            let (_, value) = item?;
            let event = Event::decode(&value)?;
            if q.since.is_some_and(|s| event.created_at < s) {
                break;
            }
            if !(q.keep)(&event) {
                continue;
            }
            if skipped < q.skip {
                skipped += 1;
                continue;
            }
            out.push(event);
            if out.len() >= q.limit {
                break;
            }
        }
        Ok(out)
    }

    /// Events created in `[since, until]`, oldest first, read lazily (for streaming exports).
    pub fn events_between(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> impl Iterator<Item = Result<Event, StoreError>> + Send + 'static {
        let drained = self.drain_pending_events();
        let start = event_key(since.0, 0);
        let end = event_key(until.0.saturating_add(1), 0);
        let failed = drained.err().into_iter().map(Err);
        failed.chain(self.tree(T::Events).range(start..end).map(|item| {
            let (_, value) = item?;
            Event::decode(&value)
        }))
    }

    /// How many events the log holds.
    pub fn event_count(&self) -> usize {
        if let Err(e) = self.drain_pending_events() {
            log::error!("could not record buffered events: {e}");
        }
        self.tree(T::Events).len()
    }

    /// Records events that accompany no other change, and waits until they are durable.
    pub async fn record_events(&self, events: &[Event]) -> Result<(), StoreError> {
        self.commit_events(events)?;
        self.inner.flusher.wait_durable().await
    }

    /// Appends events and their id index in one transaction over just those two trees and the
    /// webhook queue's (their deliveries are enqueued in the same transaction: a batch of
    /// authentication events that a crash loses takes its deliveries with it, never one
    /// without the other). Nothing a cached principal depends on changes, so the write
    /// generation stays as it is.
    fn commit_events(&self, events: &[Event]) -> Result<(), StoreError> {
        let rows = events
            .iter()
            .map(|e| {
                Ok((
                    event_key(e.created_at.0, self.inner.db.generate_id()?),
                    e.encode(),
                    e.id.as_str().as_bytes().to_vec(),
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let _gate = self.inner.gate.read().unwrap_or_else(|p| p.into_inner());
        let webhooks = (
            self.tree(T::EnvWebhooks),
            self.tree(T::Webhooks),
            self.tree(T::WebhookDeliveries),
            self.tree(T::WebhookPending),
        );
        (
            self.tree(T::Events),
            self.tree(T::EventIds),
            webhooks.0,
            webhooks.1,
            webhooks.2,
            webhooks.3,
        )
            .transaction(
                |(log, ids, lists, hooks, deliveries, pending)| -> TxResult<()> {
                    let fanout = super::webhooks::Fanout {
                        lists,
                        hooks,
                        deliveries,
                        pending,
                    };
                    for ((key, value, id), event) in rows.iter().zip(events) {
                        log.insert(&key[..], value.as_slice())?;
                        ids.insert(id.as_slice(), &key[..])?;
                        fanout.enqueue(event)?;
                    }
                    Ok(())
                },
            )
            .map_err(tx_error)?;
        self.inner.cap.added(rows.len());
        Ok(())
    }

    /// Records authentication decisions (a login, a token issued) without touching the disk on
    /// the request path: they are buffered and committed in batches by `drain_pending_events`
    /// (every 200 ms and whenever `BATCH_EVENTS` are waiting, from a background task; before
    /// any read of the log; at shutdown). A crash can lose the last fraction of a second of
    /// these records, never a change to any credential. Should the background task fall far
    /// behind, the request that finds `MAX_PENDING_EVENTS` waiting commits them itself.
    pub fn record_events_soon(&self, events: &[Event]) -> Result<(), StoreError> {
        let waiting = {
            let mut pending = self
                .inner
                .pending_events
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            pending.extend_from_slice(events);
            pending.len()
        };
        if waiting >= MAX_PENDING_EVENTS {
            self.commit_pending_events(BATCH_EVENTS)?;
        } else if waiting >= BATCH_EVENTS {
            self.inner.events_due.notify_one();
        }
        Ok(())
    }

    /// Resolves when enough authentication events are waiting to be worth a batch now.
    pub async fn events_due(&self) {
        self.inner.events_due.notified().await;
    }

    /// Commits every buffered authentication event, `BATCH_EVENTS` per transaction (a sled
    /// transaction holds a lock every read waits for), and asks for a flush.
    pub fn drain_pending_events(&self) -> Result<(), StoreError> {
        while self.commit_pending_events(BATCH_EVENTS)? == BATCH_EVENTS {}
        Ok(())
    }

    /// Commits up to `max` of the oldest buffered events in one transaction and asks for a
    /// flush; answers how many it committed.
    fn commit_pending_events(&self, max: usize) -> Result<usize, StoreError> {
        let batch: Vec<Event> = {
            let mut pending = self
                .inner
                .pending_events
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let n = pending.len().min(max);
            pending.drain(..n).collect()
        };
        if batch.is_empty() {
            return Ok(0);
        }
        if let Err(e) = self.commit_events(&batch) {
            // Put them back, oldest first, so a later drain can retry; while the store keeps
            // failing, memory stays bounded and the oldest are given up (and said so).
            let mut pending = self
                .inner
                .pending_events
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if pending.len() + batch.len() <= 2 * MAX_PENDING_EVENTS {
                pending.splice(0..0, batch);
            } else {
                log::error!(
                    "gave up {} authentication events that could not be recorded: {e}",
                    batch.len()
                );
            }
            return Err(e);
        }
        self.inner.flusher.request();
        Ok(batch.len())
    }

    /// Marks an event acknowledged (once; later calls keep the first acknowledgement).
    pub async fn acknowledge_event(
        &self,
        id: &EventId,
        by: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.drain_pending_events()?;
        let key = self
            .tree(T::EventIds)
            .get(id.as_str().as_bytes())?
            .ok_or_else(|| StoreError::NotFound(format!("event {id} not found")))?;
        self.write(&[], |tx| {
            let Some(mut event) = tx.get::<Event>(T::Events, &key)? else {
                return abort(Abort::NotFound(format!("event {id} not found")));
            };
            if event.acknowledged_at.is_none() {
                event.acknowledged_at = Some(at);
                event.acknowledged_by = Some(by.to_owned());
                tx.put(T::Events, &key, &event)?;
            }
            Ok(())
        })
        .await
    }

    /// Removes events created before `cutoff`, a batch per transaction; returns how many.
    pub async fn purge_events_before(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let end = event_key(cutoff.0, 0);
        let mut removed = 0;
        loop {
            let batch: Vec<(sled::IVec, EventId)> = self
                .tree(T::Events)
                .range(..end)
                .take(1000)
                .map(|item| {
                    let (key, value) = item?;
                    Ok((key, Event::decode(&value)?.id))
                })
                .collect::<Result<_, StoreError>>()?;
            if batch.is_empty() {
                return Ok(removed);
            }
            self.write(&[], |tx| {
                for (key, id) in &batch {
                    tx.remove(T::Events, key)?;
                    tx.remove(T::EventIds, id.as_str().as_bytes())?;
                }
                Ok(())
            })
            .await?;
            self.inner.cap.removed(batch.len());
            removed += batch.len();
        }
    }
}
