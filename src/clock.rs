//! The server's clock. Every expiry check reads it; in dev mode an Administrator may move it forward.

use crate::domain::Timestamp;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Wall-clock time plus an offset that only `advance` changes.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// Now, including any offset.
    pub fn now(&self) -> Timestamp {
        let wall = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let wall = i64::try_from(wall).unwrap_or(i64::MAX);
        Timestamp(wall.saturating_add(self.offset_ms.load(Ordering::Relaxed)))
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.offset_ms
            .fetch_add(seconds.saturating_mul(1000), Ordering::Relaxed);
    }

    /// The total offset from wall time, in seconds.
    pub fn offset_seconds(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed) / 1000
    }
}
