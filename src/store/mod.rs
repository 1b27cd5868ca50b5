//! The only module that names sled. One `Store` owns every tree; writes run in one transaction
//! and are acknowledged only after a group-commit flush has put them on disk.

mod agent_records;
mod agents;
mod api_keys;
mod backup;
mod check;
mod clients;
mod codec;
mod contents;
mod data_clips;
mod environments;
mod event_cap;
mod event_tail;
mod events;
mod flusher;
mod guests;
mod guides;
mod links;
mod meta;
mod pats;
mod perms;
mod records;
mod refusals;
mod reserve;
mod secrets;
mod sessions;
mod space_limits;
mod space_order;
mod spaces;
mod usage;
mod users;
mod webhooks;

pub use agents::{AgentDeploy, AgentLimits};
pub use backup::{RestoreError, Snapshot};
pub use check::ConsistencyError;
pub use contents::EnvironmentContents;
pub use data_clips::ClipPlan;
pub use event_tail::EventCursor;
pub use events::EventQuery;
pub use guests::GuestPlan;
pub use meta::{Bootstrap, Secrets};
pub use perms::warn_if_readable_by_others;
pub use space_limits::SpaceSummary;
pub use webhooks::DueDelivery;
// The records are defined in `crate::domain`; they are named here too so that the store's own
// modules (and callers not yet moved) can keep `use super::{Space, …}`.
pub use crate::domain::{
    Account, Agent, AgentConfig, AgentRole, AgentVersion, ApiKey, Client, ClipGrant,
    ClipMembership, ClipReference, ClipResolution, CredentialRef, DataClip, Environment, Event,
    Grant, Guest, Guide, GuideVersion, Link, LinkPurpose, Mail, Pat, RecordAccess, Secret, Session,
    Space, User, Workbook,
};
pub use usage::{UsageBatch, UsageHour, USAGE_KEPT_HOURS};

use codec::Record;
use flusher::Flusher;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// The layout version of the data directory; a store or backup of another version is refused.
pub const FORMAT_VERSION: u32 = 1;

/// Every tree, in the order of the transaction view. Key and value layouts:
#[derive(Debug, Clone, Copy)]
enum T {
    /// `meta`: ASCII name → value. `format` → u32 BE; `account` → Account;
    /// `signing_key` → sealed Ed25519 PKCS#8; `master_check` → sealed known text.
    Meta,
    /// `environments`: environment id (UTF-8) → Environment.
    Environments,
    /// `api_keys`: key id (UTF-8) → ApiKey.
    ApiKeys,
    /// `env_keys`: environment id ‖ 0x00 ‖ key id → empty. Lists an environment's keys.
    EnvKeys,
    /// `digests`: SHA-256 of a raw bearer credential (32 bytes) → CredentialRef.
    Digests,
    /// `users`: user id (UTF-8) → User.
    Users,
    /// `user_emails`: lower-cased email (UTF-8) → user id.
    UserEmails,
    /// `events`: created-at ms (i64 BE, offset by 2^63) ‖ sequence (u64 BE) → Event.
    Events,
    /// `event_ids`: event id (UTF-8) → the 16-byte `events` key.
    EventIds,
    /// `pats`: PAT id (UTF-8) → Pat.
    Pats,
    /// `user_pats`: user id ‖ 0x00 ‖ PAT id → empty. Lists a user's PATs.
    UserPats,
    /// `clients`: client id (UTF-8) → Client (a client-credentials pair).
    Clients,
    /// `user_clients`: user id ‖ 0x00 ‖ client id → empty. Lists a user's client pairs.
    UserClients,
    /// `links`: SHA-256 of a raw single-use link token (32 bytes) → Link.
    Links,
    /// `outbox`: created-at ms (i64 BE, offset by 2^63) ‖ sequence (u64 BE) → Mail.
    Outbox,
    /// `spaces`: space id (UTF-8) → Space.
    Spaces,
    /// `env_spaces`: environment id ‖ 0x00 ‖ space id → empty.
    EnvSpaces,
    /// `workbooks`: workbook id (UTF-8) → Workbook.
    Workbooks,
    /// `space_workbooks`: space id ‖ 0x00 ‖ workbook id → empty.
    SpaceWorkbooks,
    /// `guests`: guest id (UTF-8) → Guest.
    Guests,
    /// `guest_emails`: environment id ‖ 0x00 ‖ lower-cased email → guest id.
    GuestEmails,
    /// `grants`: guest id ‖ 0x00 ‖ space id → Grant.
    Grants,
    /// `space_guests`: space id ‖ 0x00 ‖ guest id → empty. Lists a space's guests.
    SpaceGuests,
    /// `secrets`: secret id (UTF-8) → Secret.
    Secrets,
    /// `secret_names`: environment id ‖ 0x00 ‖ space id (empty for the environment) ‖ 0x00 ‖
    /// [0x01 ‖ actor id ‖ 0x00, for an actor's secret] ‖ name → secret id. The upsert key, and a
    /// scope's listing (its actors' secrets included) by prefix.
    SecretNames,
    /// `agents`: agent id (UTF-8) → Agent (slug, current and latest version numbers, roles).
    Agents,
    /// `env_agents`: environment id ‖ 0x00 ‖ agent id → empty. Lists an environment's agents.
    EnvAgents,
    /// `agent_slugs`: environment id ‖ 0x00 ‖ slug → agent id. A deploy finds its agent here.
    AgentSlugs,
    /// `agent_versions`: agent id ‖ 0x00 ‖ version number (u32 BE) → AgentVersion (the
    /// deployed topics, source and settings).
    AgentVersions,
    /// `guides`: guide id (UTF-8) → Guide (with its latest versions).
    Guides,
    /// `env_guides`: environment id ‖ 0x00 ‖ guide id → empty. Lists an environment's guides.
    EnvGuides,
    /// `data_clips`: data clip id (UTF-8) → DataClip.
    DataClips,
    /// `space_clips`: space id ‖ 0x00 ‖ data clip id → empty. Lists a space's clips.
    SpaceClips,
    /// `clip_guests`: data clip id ‖ 0x00 ‖ guest id → empty. Lists a clip's guests.
    ClipGuests,
    /// `guest_clips`: guest id ‖ 0x00 ‖ data clip id → ClipMembership. A guest's clip grants.
    GuestClips,
    /// `space_order`: environment id ‖ 0x00 ‖ archived (0x00 or 0x01) ‖ created_at (ms, i64
    /// BE, sign bit flipped) ‖ space id → empty. An environment's spaces in creation order.
    SpaceOrder,
    /// `space_counts`: environment id ‖ 0x00 ‖ archived (0x00 or 0x01) → u64 BE, how many
    /// spaces that half of `space_order` holds.
    SpaceCounts,
    /// `sessions`: session id (UTF-8) → Session.
    Sessions,
    /// `user_sessions`: user id ‖ 0x00 ‖ session id → empty. Lists a user's sessions.
    UserSessions,
    /// `usage`: environment id (empty for the account-wide rest) ‖ 0x00 ‖ hour since the Unix
    /// epoch (u32 BE) → UsageHour (requests and authentication failures by credential kind).
    Usage,
    /// `webhooks`: webhook id (UTF-8) → Webhook.
    Webhooks,
    /// `env_webhooks`: environment id (UTF-8) → WebhookList (its endpoints' ids, in order).
    EnvWebhooks,
    /// `webhook_deliveries`: webhook id ‖ 0x00 ‖ sequence (u64 BE) → Delivery.
    WebhookDeliveries,
    /// `webhook_pending`: the same key as `webhook_deliveries` → empty, for each delivery still
    /// pending; an endpoint's first key is the next one it is sent.
    WebhookPending,
}

const TREES: [(T, &str); 44] = [
    (T::Meta, "meta"),
    (T::Environments, "environments"),
    (T::ApiKeys, "api_keys"),
    (T::EnvKeys, "env_keys"),
    (T::Digests, "digests"),
    (T::Users, "users"),
    (T::UserEmails, "user_emails"),
    (T::Events, "events"),
    (T::EventIds, "event_ids"),
    (T::Pats, "pats"),
    (T::UserPats, "user_pats"),
    (T::Clients, "clients"),
    (T::UserClients, "user_clients"),
    (T::Links, "links"),
    (T::Outbox, "outbox"),
    (T::Spaces, "spaces"),
    (T::EnvSpaces, "env_spaces"),
    (T::Workbooks, "workbooks"),
    (T::SpaceWorkbooks, "space_workbooks"),
    (T::Guests, "guests"),
    (T::GuestEmails, "guest_emails"),
    (T::Grants, "grants"),
    (T::SpaceGuests, "space_guests"),
    (T::Secrets, "secrets"),
    (T::SecretNames, "secret_names"),
    (T::Agents, "agents"),
    (T::EnvAgents, "env_agents"),
    (T::AgentSlugs, "agent_slugs"),
    (T::AgentVersions, "agent_versions"),
    (T::Guides, "guides"),
    (T::EnvGuides, "env_guides"),
    (T::DataClips, "data_clips"),
    (T::SpaceClips, "space_clips"),
    (T::ClipGuests, "clip_guests"),
    (T::GuestClips, "guest_clips"),
    (T::SpaceOrder, "space_order"),
    (T::SpaceCounts, "space_counts"),
    (T::Sessions, "sessions"),
    (T::UserSessions, "user_sessions"),
    (T::Usage, "usage"),
    (T::Webhooks, "webhooks"),
    (T::EnvWebhooks, "env_webhooks"),
    (T::WebhookDeliveries, "webhook_deliveries"),
    (T::WebhookPending, "webhook_pending"),
];

/// What can go wrong in the store, mapped to statuses by `http`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk or sled failed.
    #[error("storage failure: {0}")]
    Sled(#[from] sled::Error),
    /// A stored value does not decode.
    #[error("a stored record is unreadable: {0}")]
    Corrupt(String),
    /// A uniqueness rule was broken (an email already used, …).
    #[error("{0}")]
    Conflict(String),
    /// The record to change no longer exists.
    #[error("{0}")]
    NotFound(String),
    /// A count limit was reached.
    #[error("{0}")]
    Limit(String),
    /// The flusher did not confirm durability in time.
    #[error("the write could not be confirmed durable")]
    NotDurable,
    /// The data directory's files could not be created or their permissions set.
    #[error("{0}")]
    Io(String),
    /// Another process holds the data directory's lock.
    #[error("the data directory {0} is locked by another process (a running latchkey server or host command)")]
    Locked(String),
}

/// Why a transaction closure gave up; it becomes the matching `StoreError`.
#[derive(Debug)]
pub(crate) enum Abort {
    Conflict(String),
    NotFound(String),
    Corrupt(String),
}

type TxResult<R> = Result<R, ConflictableTransactionError<Abort>>;

/// The handle every layer above shares; cloning is cheap.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    /// The data directory, whose permissions are kept at 0700/0600.
    dir: std::path::PathBuf,
    trees: Vec<sled::Tree>,
    flusher: Flusher,
    credential_lookups: AtomicU64,
    /// Bumped after every committed write: anything derived from the store before the bump
    /// (cached principals) is stale.
    generation: AtomicU64,
    /// Authentication events waiting for their batch commit.
    pending_events: std::sync::Mutex<Vec<Event>>,
    /// PATs held per user, remembered for the limit check; read and changed only under
    /// `structure`.
    pat_counts: std::sync::Mutex<std::collections::HashMap<crate::domain::UserId, usize>>,
    /// PAT creations waiting for the batch that commits them together.
    pending_pats: std::sync::Mutex<Vec<pats::PendingPat>>,
    /// Windows of repeated anonymous authentication events (`refusals.rs`).
    refusals: refusals::Refusals,
    /// The audit log's size cap (`event_cap.rs`).
    cap: event_cap::EventCap,
    /// The spaces-per-environment limit (`space_limits.rs`).
    spaces: space_limits::SpaceLimits,
    /// Woken when a batch of authentication events is waiting.
    events_due: tokio::sync::Notify,
    /// Every environment, sorted, as of a generation.
    environments: crate::cache::GenerationCell<Arc<Vec<Environment>>>,
    /// Held shared by every write transaction, and exclusively while a snapshot is copied.
    gate: std::sync::RwLock<()>,
    /// Serialises writes that first scan an index and then change it (cascading deletes, count
    /// limits, the last-Administrator rule), so no concurrent insert slips between the two.
    structure: tokio::sync::Mutex<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.flusher.stop();
        if let Err(e) = self.db.flush() {
            log::error!("final flush failed: {e}");
        }
    }
}

/// A handle that does not keep the store open; tests use it to wait for a clean close.
pub struct WeakStore(Weak<Inner>);

impl WeakStore {
    /// True while any strong handle is alive.
    pub fn is_open(&self) -> bool {
        self.0.strong_count() > 0
    }
}

/// The default page cache, in MiB. sled 0.34 keeps about 2.5× its nominal cache size in memory
/// (nodes are larger in memory than on disk), and verified credentials are served from the
/// principal cache, not from sled: with 16 MiB a 1,000,000-key server stays at 230–251 MiB
/// resident under reads, at the read throughput of 64 MiB (README, Performance).
pub const DEFAULT_CACHE_MB: u64 = 16;

impl Store {
    /// Opens (or creates) the store in `dir` with the default page cache (`storage.cache_mb`).
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with_cache(dir, DEFAULT_CACHE_MB << 20)
    }

    /// Opens (or creates) the store in `dir`. Fails when another process holds it.
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        let io = |e: std::io::Error| StoreError::Io(format!("{}: {e}", dir.display()));
        perms::prepare_dir(dir).map_err(io)?;
        let db = match Self::open_sled(dir, cache_bytes) {
            Err(e) if reserve::is_full(&e) && reserve::release(dir) => {
                log::warn!("the disk of {} is full: gave back the space Latchkey set aside, to start; writes will fail until there is room", dir.display());
                Self::open_sled(dir, cache_bytes)
            }
            other => other,
        }
        .map_err(|e| open_error(e, dir))?;
        reserve::keep(dir);
        let trees = TREES
            .iter()
            .map(|(_, name)| db.open_tree(name))
            .collect::<Result<Vec<_>, _>>()?;
        perms::tighten(dir).map_err(io)?;
        let flusher = Flusher::start(db.clone());
        let store = Self {
            inner: Arc::new(Inner {
                db,
                dir: dir.to_path_buf(),
                trees,
                flusher,
                credential_lookups: AtomicU64::new(0),
                generation: AtomicU64::new(0),
                environments: Default::default(),
                pending_events: std::sync::Mutex::new(Vec::new()),
                events_due: tokio::sync::Notify::new(),
                refusals: refusals::Refusals::default(),
                cap: event_cap::EventCap::default(),
                spaces: space_limits::SpaceLimits::default(),
                pat_counts: std::sync::Mutex::default(),
                pending_pats: std::sync::Mutex::default(),
                structure: tokio::sync::Mutex::new(()),
                gate: std::sync::RwLock::new(()),
            }),
        };
        store.build_space_order()?;
        Ok(store)
    }

    fn open_sled(dir: &Path, cache_bytes: u64) -> sled::Result<sled::Db> {
        sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            // No periodic flusher thread: every write here is flushed by `Flusher` before it is
            // acknowledged. sled's thread would also fsync twice a second and, after a burst of
            // writes, rewrite fragmented segments for up to half of every second; on a busy
            // core it preempted request handling for up to 4 ms at a time. Segments are still
            // cleaned, a page per node rewrite, as writes go on.
            .flush_every_ms(None)
            .open()
    }

    /// A handle that does not keep the store open.
    pub fn downgrade(&self) -> WeakStore {
        WeakStore(Arc::downgrade(&self.inner))
    }

    /// How many credential digests have been looked up since open (tests prove malformed
    /// credentials are refused before any lookup).
    pub fn credential_lookups(&self) -> u64 {
        self.inner.credential_lookups.load(Ordering::Relaxed)
    }

    /// The write generation: it changes after every committed write.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Blocks until everything written so far is on disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.db.flush()?;
        Ok(())
    }

    /// Sets files sled created since the last call to 0600 (and directories to 0700), for
    /// processes that run with a wide umask (the binary sets 077 itself).
    pub fn tighten_permissions(&self) {
        match perms::tighten(&self.inner.dir) {
            Ok(0) => {}
            Ok(n) => log::info!("set {n} new files in the data directory to mode 0600"),
            Err(e) => log::warn!("could not tighten the data directory's permissions: {e}"),
        }
    }

    /// Holds off other scan-then-write operations while the guard lives.
    async fn structure_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.structure.lock().await
    }

    fn tree(&self, t: T) -> &sled::Tree {
        &self.inner.trees[t as usize]
    }

    fn get<R: Record>(&self, t: T, key: &[u8]) -> Result<Option<R>, StoreError> {
        match self.tree(t).get(key)? {
            Some(bytes) => R::decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The second halves of every `pair(first, _)` key in `t`.
    fn pair_seconds(&self, t: T, first: &str) -> Result<Vec<String>, StoreError> {
        self.tree(t)
            .scan_prefix(codec::pair_prefix(first))
            .keys()
            .map(|k| {
                let k = k?;
                codec::pair_second(&k).map(str::to_owned).ok_or_else(|| {
                    StoreError::Corrupt(format!("an index key in {t:?} is malformed"))
                })
            })
            .collect()
    }

    fn scan<R: Record>(
        &self,
        t: T,
        prefix: &[u8],
    ) -> impl Iterator<Item = Result<(sled::IVec, R), StoreError>> {
        self.tree(t).scan_prefix(prefix).map(|item| {
            let (k, v) = item?;
            Ok((k, R::decode(&v)?))
        })
    }

    /// Runs `f` and records `events` as one atomic transaction over every tree, then waits
    /// until it is durable.
    async fn write<R>(
        &self,
        events: &[Event],
        f: impl Fn(&Tx) -> TxResult<R>,
    ) -> Result<R, StoreError> {
        let value = self.commit(events, f)?;
        self.inner.flusher.wait_durable().await?;
        Ok(value)
    }

    /// Like `write`, but commits while `guard` (the structure lock) is held and releases it
    /// before waiting for the flush, so group commit still batches these writes.
    async fn write_locked<R>(
        &self,
        guard: tokio::sync::MutexGuard<'_, ()>,
        events: &[Event],
        f: impl Fn(&Tx) -> TxResult<R>,
    ) -> Result<R, StoreError> {
        let value = self.commit(events, f);
        drop(guard);
        let value = value?;
        self.inner.flusher.wait_durable().await?;
        Ok(value)
    }

    /// Runs `f` and records `events` as one atomic transaction over every tree (not yet durable).
    fn commit<R>(&self, events: &[Event], f: impl Fn(&Tx) -> TxResult<R>) -> Result<R, StoreError> {
        let value = self.transact(events, f)?;
        self.inner.generation.fetch_add(1, Ordering::Release);
        Ok(value)
    }

    /// Runs `f` as a transaction over tree `t` alone, leaves the write generation as it is,
    /// and waits until it is durable: only for changes nothing derived from the store depends
    /// on (a PAT's last-use time). A transaction over one tree costs far less than one over
    /// every tree, and holds sled's commit lock (which every read waits for) for less.
    async fn write_untracked_in<R>(
        &self,
        t: T,
        f: impl Fn(&TransactionalTree) -> TxResult<R>,
    ) -> Result<R, StoreError> {
        let gate = self.inner.gate.read().unwrap_or_else(|p| p.into_inner());
        let result = self.tree(t).transaction(f);
        drop(gate);
        let value = result.map_err(tx_error)?;
        self.inner.flusher.wait_durable().await?;
        Ok(value)
    }

    fn transact<R>(
        &self,
        events: &[Event],
        f: impl Fn(&Tx) -> TxResult<R>,
    ) -> Result<R, StoreError> {
        let seqs = events
            .iter()
            .map(|_| self.inner.db.generate_id())
            .collect::<Result<Vec<u64>, _>>()?;
        let gate = self.inner.gate.read().unwrap_or_else(|p| p.into_inner());
        let result = self.inner.trees.as_slice().transaction(|views| {
            let tx = Tx { views };
            let value = f(&tx)?;
            for (event, &seq) in events.iter().zip(&seqs) {
                tx.record_event(event, seq)?;
            }
            Ok(value)
        });
        drop(gate);
        let value = result.map_err(tx_error)?;
        self.inner.cap.added(events.len());
        Ok(value)
    }

    /// How many keys of `t` start with `prefix`, counting at most `max` (no values are read).
    fn count_prefix(&self, t: T, prefix: &[u8], max: usize) -> usize {
        self.tree(t).scan_prefix(prefix).keys().take(max).count()
    }
}

/// What sled's open failure means: the lock is held elsewhere, the files are damaged, or else.
fn open_error(e: sled::Error, dir: &Path) -> StoreError {
    match e {
        sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
            StoreError::Locked(dir.display().to_string())
        }
        sled::Error::Corruption { .. } => StoreError::Corrupt(format!(
            "the store's files are damaged (sled: {e}); they are not a store this binary can read"
        )),
        other => StoreError::Sled(other),
    }
}

/// The store error for a failed transaction.
fn tx_error(e: TransactionError<Abort>) -> StoreError {
    match e {
        TransactionError::Storage(e) => e.into(),
        TransactionError::Abort(Abort::Conflict(m)) => StoreError::Conflict(m),
        TransactionError::Abort(Abort::NotFound(m)) => StoreError::NotFound(m),
        TransactionError::Abort(Abort::Corrupt(m)) => StoreError::Corrupt(m),
    }
}

/// Decodes a record read inside a transaction (a record that does not decode aborts it).
fn decode_in_tx<R: Record>(bytes: &[u8]) -> TxResult<R> {
    R::decode(bytes).map_err(|e| ConflictableTransactionError::Abort(Abort::Corrupt(e.to_string())))
}

/// The view of every tree inside one transaction, with typed helpers.
struct Tx<'a> {
    views: &'a Vec<TransactionalTree>,
}

impl Tx<'_> {
    fn view(&self, t: T) -> &TransactionalTree {
        &self.views[t as usize]
    }

    fn get<R: Record>(&self, t: T, key: &[u8]) -> TxResult<Option<R>> {
        match self.view(t).get(key)? {
            Some(bytes) => decode_in_tx(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn put<R: Record>(&self, t: T, key: &[u8], value: &R) -> TxResult<()> {
        self.view(t).insert(key, value.encode())?;
        Ok(())
    }

    fn put_raw(&self, t: T, key: &[u8], value: &[u8]) -> TxResult<()> {
        self.view(t).insert(key, value)?;
        Ok(())
    }

    fn get_raw(&self, t: T, key: &[u8]) -> TxResult<Option<sled::IVec>> {
        Ok(self.view(t).get(key)?)
    }

    fn remove(&self, t: T, key: &[u8]) -> TxResult<bool> {
        Ok(self.view(t).remove(key)?.is_some())
    }
}

fn abort<R>(a: Abort) -> TxResult<R> {
    Err(ConflictableTransactionError::Abort(a))
}
