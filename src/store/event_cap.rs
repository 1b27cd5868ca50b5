//! The audit log's size cap (`audit.max_events`): past it, the oldest authentication events
//! (domain `auth`: logins, tokens issued) are evicted first; records of changes are never
//! evicted, only swept at the end of retention.

use super::codec::{event_key, Record};
use super::{Event, Store, StoreError, T};
use sled::Transactional;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// An `events` key and the event's id.
type KeyAndId = (Vec<u8>, Vec<u8>);

/// Events removed per eviction transaction.
const EVICT_BATCH: usize = 1000;

/// The cap and what the log holds, counted once in the background and kept up to date.
pub(super) struct EventCap {
    max: AtomicUsize,
    total: AtomicI64,
    known: AtomicBool,
    /// Events before this key are all kept ones (not authentication events).
    cursor: Mutex<Vec<u8>>,
    warned: AtomicBool,
}

impl Default for EventCap {
    fn default() -> Self {
        Self {
            max: AtomicUsize::new(usize::MAX),
            total: AtomicI64::new(0),
            known: AtomicBool::new(false),
            cursor: Mutex::new(event_key(i64::MIN, 0).to_vec()),
            warned: AtomicBool::new(false),
        }
    }
}

impl EventCap {
    /// Counts `n` events added, once the log has been counted.
    pub(super) fn added(&self, n: usize) {
        if !self.known.load(Ordering::Relaxed) {
            return;
        }
        self.total
            .fetch_add(i64::try_from(n).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// Counts `n` events removed, once the log has been counted.
    pub(super) fn removed(&self, n: usize) {
        if !self.known.load(Ordering::Relaxed) {
            return;
        }
        self.total
            .fetch_sub(i64::try_from(n).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    fn over(&self) -> Option<usize> {
        if !self.known.load(Ordering::Relaxed) {
            return None;
        }
        let total = usize::try_from(self.total.load(Ordering::Relaxed)).unwrap_or(0);
        let max = self.max.load(Ordering::Relaxed);
        // Evict down to 95% of the cap, so eviction runs in batches, not per event.
        (total > max).then(|| total - max + max / 20)
    }
}

impl Store {
    /// Sets `audit.max_events`.
    pub fn set_max_events(&self, max: usize) {
        self.inner.cap.max.store(max.max(1), Ordering::Relaxed);
    }

    /// Counts the events in the log once (off the request path), after which the cap applies.
    pub fn count_events_for_cap(&self) -> Result<usize, StoreError> {
        if self.inner.cap.known.load(Ordering::Relaxed) {
            return Ok(0);
        }
        let n = self.tree(T::Events).iter().keys().count();
        self.inner
            .cap
            .total
            .store(i64::try_from(n).unwrap_or(i64::MAX), Ordering::Relaxed);
        self.inner.cap.known.store(true, Ordering::Relaxed);
        Ok(n)
    }

    /// Evicts the oldest authentication events while the log is over its cap; answers how many
    /// were removed. When only records of changes remain, says so once in the log.
    pub fn enforce_event_cap(&self) -> Result<usize, StoreError> {
        let Some(mut excess) = self.inner.cap.over() else {
            return Ok(0);
        };
        let mut removed = 0;
        while excess > 0 {
            let batch = self.oldest_auth_events(excess.min(EVICT_BATCH))?;
            if batch.is_empty() {
                if !self.inner.cap.warned.swap(true, Ordering::Relaxed) {
                    log::warn!("the audit log is over audit.max_events, and holds no more authentication events to evict: raise audit.max_events or shorten audit.retention_days");
                }
                break;
            }
            let _gate = self.inner.gate.read().unwrap_or_else(|p| p.into_inner());
            (self.tree(T::Events), self.tree(T::EventIds))
                .transaction(|(log, ids)| -> super::TxResult<()> {
                    for (key, id) in &batch {
                        log.remove(key.as_slice())?;
                        ids.remove(id.as_slice())?;
                    }
                    Ok(())
                })
                .map_err(super::tx_error)?;
            self.inner.cap.removed(batch.len());
            removed += batch.len();
            excess = excess.saturating_sub(batch.len());
        }
        if removed > 0 {
            self.inner.flusher.request();
            log::info!("evicted the {removed} oldest authentication events: the audit log reached audit.max_events");
        }
        Ok(removed)
    }

    /// Up to `n` of the oldest authentication events, as (key, id); advances the cursor past
    /// the kept events it reads.
    fn oldest_auth_events(&self, n: usize) -> Result<Vec<KeyAndId>, StoreError> {
        let mut cursor = self
            .inner
            .cap
            .cursor
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        for item in self.tree(T::Events).range(cursor.clone()..) {
            let (key, value) = item?;
            let event = Event::decode(&value)?;
            if event.domain == "auth" {
                out.push((key.to_vec(), event.id.as_str().as_bytes().to_vec()));
                if out.len() >= n {
                    break;
                }
            } else if out.is_empty() {
                *cursor = key.to_vec();
            }
        }
        Ok(out)
    }
}
