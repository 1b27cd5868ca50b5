//! Group commit: one thread calls `Db::flush` whenever writes are waiting and wakes every writer
//! whose transaction the flush covered. (Not `flush_async`: it hangs under concurrent callers in
//! sled 0.34.7, sled issue #1308.)

use super::StoreError;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// How long a writer waits for its flush before the request fails.
const DURABLE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct State {
    /// Tickets handed out: one per committed transaction.
    requested: u64,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// The highest ticket known to be on disk.
    durable: watch::Sender<u64>,
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
            durable: watch::channel(0).0,
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
        let ticket = {
            let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
            state.requested += 1;
            state.requested
        };
        self.shared.wake.notify_one();
        let waited =
            tokio::time::timeout(DURABLE_TIMEOUT, rx.wait_for(|&done| done >= ticket)).await;
        match waited {
            Ok(Ok(_)) => Ok(()),
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
    let mut flushed = 0u64;
    loop {
        let target = {
            let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
            while state.requested == flushed && !state.stop {
                state = shared.wake.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            if state.requested == flushed {
                return;
            }
            state.requested
        };
        match db.flush() {
            Ok(_) => {
                flushed = target;
                shared.durable.send_replace(target);
            }
            Err(e) => {
                log::error!("flush failed, retrying: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}
