//! Group commit: one thread calls `Db::flush` whenever writes are waiting and wakes every writer
//! whose transaction the flush covered. (Not `flush_async`: it hangs under concurrent callers in
//! sled 0.34.7, sled issue #1308.)

use super::StoreError;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long a writer waits for its flush before the request fails.
const DURABLE_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a flush waits for more writers to join it (only while writes are concurrent).
const LINGER: Duration = Duration::from_micros(1000);
/// Writers waiting that make a flush start at once.
const FULL_BATCH: u64 = 64;

#[derive(Default)]
struct State {
    /// Tickets handed out: one per committed transaction.
    requested: u64,
    /// The highest ticket the flusher has covered.
    flushed: u64,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// The highest ticket known to be on disk, and the highest whose flush failed (a full
    /// disk): writers of a failed flush are answered at once, not after the timeout.
    durable: watch::Sender<(u64, u64)>,
}

pub(super) struct Flusher {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Flusher {
    pub(super) fn start(db: sled::Db) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            durable: watch::channel((0, 0)).0,
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("latchkey-flusher".into())
            .spawn(move || run(&db, &worker))
            .expect("spawning the flusher thread");
        Self {
            shared,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Waits until a flush that started after this call has finished.
    pub(super) async fn wait_durable(&self) -> Result<(), StoreError> {
        let mut rx = self.shared.durable.subscribe();
        let (ticket, waiting) = {
            let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
            state.requested += 1;
            (state.requested, state.requested - state.flushed)
        };
        // The flusher sleeps only when nothing is waiting, or lingers for a full batch: other
        // tickets need no wake-up call.
        if waiting == 1 || waiting == FULL_BATCH {
            self.shared.wake.notify_one();
        }
        let waited = tokio::time::timeout(
            DURABLE_TIMEOUT,
            rx.wait_for(|&(done, failed)| done >= ticket || failed >= ticket),
        )
        .await;
        match waited {
            Ok(Ok(seen)) if seen.0 >= ticket => Ok(()),
            _ => Err(StoreError::NotDurable),
        }
    }

    /// Asks for a flush without waiting for it.
    pub(super) fn request(&self) {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .requested += 1;
        self.shared.wake.notify_one();
    }

    /// Flushes what is pending and ends the thread.
    pub(super) fn stop(&self) {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .stop = true;
        self.shared.wake.notify_one();
        if let Some(handle) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = handle.join();
        }
    }
}

fn run(db: &sled::Db, shared: &Shared) {
    let mut last_batch = 0u64;
    loop {
        let target = {
            let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
            let flushed = state.flushed;
            while state.requested == flushed && !state.stop {
                state = shared.wake.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            if state.requested == flushed {
                return;
            }
            // Under concurrent writes (the last flush covered more than one), linger briefly so
            // one flush covers more of them: each flush costs a log write and an fsync.
            if last_batch > 1 {
                let until = Instant::now() + LINGER;
                while state.requested - flushed < FULL_BATCH && !state.stop {
                    let left = until.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    state = shared
                        .wake
                        .wait_timeout(state, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
            last_batch = state.requested - flushed;
            state.requested
        };
        let flushed = db.flush();
        shared
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .flushed = target;
        match flushed {
            Ok(_) => {
                shared.durable.send_modify(|(done, _)| *done = target);
            }
            Err(e) => {
                // The writers it covered fail now (503); the next write tries again.
                log::error!("flush failed; the writes waiting for it are refused: {e}");
                shared.durable.send_modify(|(_, failed)| *failed = target);
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}
