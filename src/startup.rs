//! Builds the application once, for `main` and for every test: opens and checks the store,
//! bootstraps an empty one, and binds the HTTP server.

use crate::auth::crypto::MasterKey;
use crate::auth::jwt::TokenSigner;
use crate::auth::origin::OriginRules;
use crate::auth::password::PasswordHasher;
use crate::auth::rate::RateLimit;
use crate::auth::throttle::{Throttle, ThrottleSettings};
use crate::auth::{AuthSettings, Authenticator};
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::limits::TextLimits;
use crate::domain::WebOrigin;
use crate::domain::{AccountId, ApiKeyType, Email, EnvironmentName, PersonName, Role, UserId};
use crate::dotenv::ClientEnv;
use crate::http::{self, AppState};
use crate::store::{Account, Bootstrap, Environment, Event, Secrets, Store, User, WeakStore};
use actix_service::ServiceFactoryExt as _;
use actix_web::dev::Service as _;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{DefaultHeaders, Logger};
use actix_web::{web, App};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::fmt;
use std::net::TcpListener;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The known text sealed at first start, to tell a wrong master key at the next start.
const MASTER_CHECK_TEXT: &[u8] = b"latchkey master key check v1";

/// Why the server would not start. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Configuration refused.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The data directory cannot be opened (permissions, a missing disk, …).
    #[error("cannot open the data directory {path}: {cause}")]
    Store { path: String, cause: String },
    /// Another process holds the data directory's lock.
    #[error("the data directory {path} is in use: another process holds its lock (a latchkey server, or a latchkey admin/restore command, running on it). Stop that process first, or point storage.data_dir at another directory")]
    Locked { path: String },
    /// The store's files cannot be read as a store.
    #[error("the store in {path} is damaged and will not be served: {cause}. Restore it from a backup (latchkey restore) into a new directory, or move it aside to start empty")]
    Damaged { path: String, cause: String },
    /// The store failed its consistency check.
    #[error("the store in {path} is inconsistent and will not be served: {cause}. Restore it from a backup (latchkey restore) or move it aside to start empty.")]
    Corrupt { path: String, cause: String },
    /// The master key is missing, unreadable or wrong.
    #[error("master key problem: {0}")]
    MasterKey(String),
    /// The listening socket could not be bound.
    #[error(
        "cannot listen on {bind}: {cause}. Choose another server.bind (or LATCHKEY_SERVER__BIND)."
    )]
    Bind { bind: String, cause: String },
    /// Anything else during startup.
    #[error("startup failed: {0}")]
    Other(String),
}

impl StartupError {
    /// Why the store in `dir` did not open, named as precisely as the store can tell.
    pub fn opening(dir: &Path, e: crate::store::StoreError) -> Self {
        let path = dir.display().to_string();
        match e {
            crate::store::StoreError::Locked(_) => Self::Locked { path },
            crate::store::StoreError::Corrupt(cause) => Self::Damaged { path, cause },
            other => Self::Store {
                path,
                cause: other.to_string(),
            },
        }
    }
}

/// What the startup banner shows.
#[derive(Debug, Clone)]
pub struct Banner {
    /// Where clients reach the server.
    pub url: String,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The first Administrator's email.
    pub admin_email: String,
    /// The generated password, on the first start only.
    pub generated_password: Option<String>,
    /// True on the start that created the store.
    pub first_start: bool,
    /// The development environment's raw keys, as (type, raw).
    pub development_keys: Vec<(&'static str, String)>,
    /// The development environment as a client's `.env` block (raw keys on the first start
    /// only; later starts name the key ids).
    pub development: Option<ClientEnv>,
    /// Whether the dev clock can be moved.
    pub clock_control: bool,
}

impl fmt::Display for Banner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Latchkey is listening on {}", self.url)?;
        writeln!(f, "  data directory: {}", self.data_dir.display())?;
        writeln!(
            f,
            "  REST API:       {0}/v1/… (also {0}/api/v1/…, as in the hosted URLs)",
            self.url
        )?;
        writeln!(f, "  Administrator:  {}", self.admin_email)?;
        if let Some(password) = &self.generated_password {
            writeln!(
                f,
                "  Password:       {password}   (generated; shown only this once)"
            )?;
        }
        if self.first_start {
            writeln!(
                f,
                "  created the account and the development and production environments"
            )?;
        }
        if self.clock_control {
            writeln!(f, "  WARNING: dev.clock_control is on; Administrators can move the server clock. Never in production.")?;
        }
        match &self.development {
            Some(env) if env.is_complete() => writeln!(
                f,
                "For the official Flatfile clients, put this in .env (they add /v1 themselves; \
                 the raw keys are shown on this first start only, `latchkey env [ENVIRONMENT]` \
                 prints the block again):\n{env}"
            )?,
            Some(env) => writeln!(
                f,
                "  {}\n  `latchkey env [ENVIRONMENT]` prints an environment's .env block for the \
                 official clients (FLATFILE_API_URL={}, FLATFILE_API_KEY, FLATFILE_ENVIRONMENT_ID)",
                env.summary(),
                env.api_url
            )?,
            None => {}
        }
        write!(
            f,
            "Next: POST {}/v1/auth with {{\"email\",\"password\"}} for a token, or call the API with a secret key as Bearer.",
            self.url
        )
    }
}

/// Records of each tree checked at startup after a clean shutdown (after any other stop, all).
const CLEAN_CHECK_SAMPLE: usize = 10_000;

/// A built server, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    store: Store,
    banner: Banner,
    auth: Authenticator,
    stop_background: tokio::sync::watch::Sender<bool>,
    background: Vec<actix_web::rt::task::JoinHandle<()>>,
}

impl Application {
    /// Opens the store, bootstraps it if empty, and binds the server.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let data_dir = PathBuf::from(&config.storage.data_dir);
        let (store, initialised) = open_storage(&config, &data_dir)?;
        let master = load_master_key(&config, initialised)?;
        let hasher = password_hasher(&config);
        let clock = Clock::default();
        let (listener, bound, url) = bind(&config)?;
        let keys = (&store, &config, &master, &hasher, &clock);
        let (signer, generated_password) = load_or_bootstrap(keys, initialised).await?;
        let development = development_env(&store, &clock, &url, &master, initialised);
        let auth = authenticator(&config, &store, clock, signer, master, url.clone());
        let banner = banner(
            &config,
            &auth,
            url,
            data_dir,
            generated_password,
            !initialised,
            development,
        );
        let builder = actix_server::Server::build();
        // Idle keep-alive connections close as soon as a stop begins (as under `HttpServer`), and
        // so do event streams.
        let stopping = builder.graceful_shutdown_signal();
        let state = build_state(&config, &auth, hasher, &banner.url, stopping.clone())?;
        apply_store_limits(&store, &config);
        let server = serve(listener, &config, builder, stopping, state)?;
        let (stop_background, background) = spawn_background_tasks(&config, &auth);
        Ok(Self {
            port: bound.port(),
            server,
            store,
            banner,
            auth,
            stop_background,
            background,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What to print at startup.
    pub fn banner(&self) -> &Banner {
        &self.banner
    }

    /// The store (tests count credential lookups through it).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A handle that does not keep the store open.
    pub fn store_weak(&self) -> WeakStore {
        self.store.downgrade()
    }

    /// Stops the server gracefully from elsewhere.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Registers SIGTERM and SIGINT (Ctrl-C) now, so a signal that arrives at any moment after
    /// this call stops the server gracefully.
    pub fn stop_on_signals(&self) -> std::io::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let handle = self.server.handle();
        actix_web::rt::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
            log::info!("stopping: no new connections; finishing in-flight requests");
            handle.stop(true).await;
        });
        Ok(())
    }

    /// Serves until stopped (a signal after `stop_on_signals`, or the handle), then flushes.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            store,
            auth,
            stop_background,
            background,
            ..
        } = self;
        let result = server.await;
        let _ = stop_background.send(true);
        for task in background {
            let _ = task.await;
        }
        flush_batches(&auth).await;
        drop(auth);
        if let Err(e) = store.close_aggregation_windows(None) {
            log::error!("could not record aggregated authentication events: {e}");
        }
        store
            .drain_pending_events()
            .map_err(std::io::Error::other)?;
        store.mark_clean_shutdown().map_err(std::io::Error::other)?;
        result
    }
}

/// Writes PAT last-use times and the overview's request counts in batches, so a request never
/// waits on either write.
async fn flush_batches_every(
    auth: Authenticator,
    period: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = actix_web::rt::time::sleep(period) => {}
            _ = stop.changed() => return,
        }
        flush_batches(&auth).await;
    }
}

/// One flush of the batched writes; a failure is logged and retried at the next flush.
async fn flush_batches(auth: &Authenticator) {
    if let Err(e) = auth.flush_pat_uses().await {
        log::error!("could not record personal access token use: {e}");
    }
    if let Err(e) = auth.usage().flush(auth.store()).await {
        log::error!("could not record request counts: {e}");
    }
}

/// Commits buffered authentication events in batches: every `period`, or sooner when a batch
/// is waiting, with the summaries of closed aggregation windows; then holds the log to its
/// cap. Runs on the main thread's runtime, never on a request worker.
async fn drain_events_every(
    auth: Authenticator,
    period: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let store = auth.store();
    loop {
        tokio::select! {
            _ = actix_web::rt::time::sleep(period) => {}
            _ = store.events_due() => {}
            _ = stop.changed() => return,
        }
        let drained = store
            .close_aggregation_windows(Some(auth.clock().now()))
            .and_then(|()| store.drain_pending_events())
            .and_then(|()| store.enforce_event_cap());
        if let Err(e) = drained {
            log::error!("could not record buffered authentication events: {e}");
        }
    }
}

/// How long events are kept, and how often old ones are swept.
#[derive(Debug, Clone, Copy)]
struct Retention {
    keep_seconds: i64,
    every: Duration,
}

/// Removes events past retention at startup and then every `every`, reading the server clock.
async fn sweep_events_every(
    auth: Authenticator,
    retention: Retention,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    // One pass over the log, off this runtime's thread (it also drains events and signals).
    let store = auth.store().clone();
    match actix_web::rt::task::spawn_blocking(move || store.count_events_for_cap()).await {
        Ok(Ok(n)) => log::debug!("the audit log holds {n} events"),
        Ok(Err(e)) => log::error!("could not count the audit log's events: {e}"),
        Err(e) => log::error!("could not count the audit log's events: {e}"),
    }
    loop {
        auth.store().tighten_permissions();
        let cutoff = auth.clock().now().plus_seconds(-retention.keep_seconds);
        match auth.store().purge_events_before(cutoff).await {
            Ok(0) => {}
            Ok(n) => log::info!("removed {n} audit events older than the retention period"),
            Err(e) => log::error!("could not sweep old audit events: {e}"),
        }
        tokio::select! {
            _ = actix_web::rt::time::sleep(retention.every) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Opens the store and checks its indexes: a sample after a clean shutdown, all of them after
/// a crash (or on an unmarked store). True when it holds an account already.
fn open_storage(config: &Config, data_dir: &Path) -> Result<(Store, bool), StartupError> {
    let cache = config.storage.cache_mb.saturating_mul(1 << 20);
    let opening = std::time::Instant::now();
    let store =
        Store::open_with_cache(data_dir, cache).map_err(|e| StartupError::opening(data_dir, e))?;
    log::info!("opened the store in {} ms", opening.elapsed().as_millis());
    let checking = std::time::Instant::now();
    let clean = match store.take_clean_shutdown() {
        Ok(clean) => clean,
        // A full disk: serve reads (and refuse writes with 503) rather than not at all.
        Err(e @ (crate::store::StoreError::Sled(_) | crate::store::StoreError::Io(_))) => {
            log::warn!("the store cannot write ({e}); serving reads, and refusing writes with 503 until the disk has room and latchkey is restarted");
            false
        }
        Err(e) => return Err(StartupError::opening(data_dir, e)),
    };
    let checked = if clean {
        store.check_consistency_sample(CLEAN_CHECK_SAMPLE)
    } else {
        store.check_consistency()
    };
    checked.map_err(|e| StartupError::Corrupt {
        path: data_dir.display().to_string(),
        cause: e.to_string(),
    })?;
    log::info!(
        "checked the store's indexes ({}) in {} ms",
        if clean {
            "a sample: the last stop was clean"
        } else {
            "all of them: the last stop was not clean"
        },
        checking.elapsed().as_millis()
    );
    let initialised = is_initialised(&store, data_dir)?;
    Ok((store, initialised))
}

/// Whether the store holds an account already (else this is the first start).
fn is_initialised(store: &Store, data_dir: &Path) -> Result<bool, StartupError> {
    Ok(store
        .account()
        .map_err(|e| StartupError::opening(data_dir, e))?
        .is_some())
}

/// What the startup banner shows.
fn banner(
    config: &Config,
    auth: &Authenticator,
    url: String,
    data_dir: PathBuf,
    generated_password: Option<String>,
    first_start: bool,
    development: Option<ClientEnv>,
) -> Banner {
    Banner {
        url,
        data_dir,
        admin_email: config.bootstrap.admin_email.clone(),
        generated_password,
        first_start,
        development_keys: development_keys(auth),
        development,
        clock_control: config.dev.clock_control,
    }
}

/// The token signer of an initialised store, or a new store's bootstrap (with the generated
/// password, if one was).
async fn load_or_bootstrap(
    (store, config, master, hasher, clock): (&Store, &Config, &MasterKey, &PasswordHasher, &Clock),
    initialised: bool,
) -> Result<(TokenSigner, Option<String>), StartupError> {
    if initialised {
        Ok((load_signer(store, master)?, None))
    } else {
        bootstrap(store, config, master, hasher, clock).await
    }
}

/// The development environment's `.env` block: raw keys on the first start only.
fn development_env(
    store: &Store,
    clock: &Clock,
    url: &str,
    master: &MasterKey,
    initialised: bool,
) -> Option<ClientEnv> {
    let first_master = (!initialised).then_some(master);
    ClientEnv::from_store(store, "development", clock.now(), url, first_master).ok()
}

/// Password hashing with `[security]`'s iterations and concurrency.
fn password_hasher(config: &Config) -> PasswordHasher {
    let iterations = NonZeroU32::new(config.security.pbkdf2_iterations).unwrap_or(NonZeroU32::MIN);
    let concurrency = match config.security.password_concurrency {
        0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
        n => n,
    };
    PasswordHasher::new(iterations, concurrency)
}

/// Binds `server.bind`: the listener, the address it got, and the URL clients use.
fn bind(config: &Config) -> Result<(TcpListener, std::net::SocketAddr, String), StartupError> {
    let listener = TcpListener::bind(&config.server.bind).map_err(|e| StartupError::Bind {
        bind: config.server.bind.clone(),
        cause: e.to_string(),
    })?;
    let bound = listener.local_addr().map_err(other)?;
    let url = config.public_url(bound);
    Ok((listener, bound, url))
}

/// Name, metadata and secret lengths, from `[limits]`, for every request's parsing. They apply
/// to requests, not to the names bootstrap itself chooses (which meet the defaults).
fn text_limits(config: &Config) -> TextLimits {
    TextLimits {
        name_length: config.limits.max_name_length,
        metadata_bytes: config.limits.max_metadata_bytes,
        secret_length: config.limits.max_secret_length,
    }
}

/// The authenticator: the store, the clock, the keys, and `[security]`'s lifetimes.
fn authenticator(
    config: &Config,
    store: &Store,
    clock: Clock,
    signer: TokenSigner,
    master: MasterKey,
    issuer: String,
) -> Authenticator {
    let settings = AuthSettings {
        api_key_header: config.server.api_key_header.to_ascii_lowercase(),
        session_lifetime_seconds: seconds(config.security.session_lifetime_seconds),
        access_token_ttl_seconds: seconds(config.security.access_token_ttl_seconds),
        issuer,
    };
    Authenticator::new(store.clone(), clock, signer, master, settings)
}

/// The one application state the handlers share.
fn build_state(
    config: &Config,
    auth: &Authenticator,
    hasher: PasswordHasher,
    url: &str,
    stopping: actix_server::GracefulShutdownSignal,
) -> Result<AppState, StartupError> {
    let clock = auth.clock().clone();
    let (origins, embed) = browser_rules(config, url, clock.clone())?;
    Ok(AppState {
        store: auth.store().clone(),
        auth: auth.clone(),
        clock: clock.clone(),
        limits: limits(config),
        clock_control: config.dev.clock_control,
        link_ttl_seconds: seconds(config.security.link_ttl_seconds),
        public_url: url.to_owned(),
        hasher,
        throttle: login_throttle(config, clock.clone()),
        environment_bodies: Default::default(),
        guest_limits: crate::http::GuestLimits::new(
            config.guests.shared_link_joins_per_address_per_hour,
            config.guests.invitations_per_guest_per_hour,
            config.guests.shared_link_guests_per_space,
            clock,
        ),
        origins,
        embed,
        streams: web::Data::new(http::streams::EventStreams::new(
            stream_settings(config),
            Some(stopping),
        )),
        proxies: http::client_addr::TrustedProxies::parse(&config.server.trusted_proxies)
            .map_err(|e| StartupError::Other(format!("server.trusted_proxies: {e}")))?,
        webhooks: crate::domain::webhook::WebhookRules {
            allow_http: config.webhooks.allow_http,
            allow_private: config.webhooks.allow_private,
            per_environment: config.webhooks.per_environment,
        },
    })
}

/// Failed-login throttling from `[security]`.
fn login_throttle(config: &Config, clock: Clock) -> Throttle {
    Throttle::new(
        ThrottleSettings {
            max_per_account: config.security.login_failures_per_account,
            account_window: seconds(config.security.login_account_window_seconds),
            max_per_address: config.security.login_failures_per_address,
            address_window: seconds(config.security.login_address_window_seconds),
            base_delay_ms: config.security.login_delay_ms,
        },
        clock,
    )
}

/// The limits the store itself enforces: the audit log's window and cap, spaces per environment.
fn apply_store_limits(store: &Store, config: &Config) {
    store.set_aggregation_window(seconds(config.audit.aggregation_window_seconds));
    store.set_max_events(config.audit.max_events);
    store.set_spaces_per_environment(config.limits.spaces_per_environment);
    store.set_webhook_queue_limit(config.webhooks.max_pending);
}

/// A count of seconds from the configuration as the clock's signed seconds (TOML integers fit).
fn seconds(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The limits handlers and extractors read, from `[limits]`.
fn limits(config: &Config) -> crate::domain::limits::Limits {
    let lim = &config.limits;
    crate::domain::limits::Limits {
        max_body_bytes: lim.max_body_bytes,
        max_page_size: lim.max_page_size,
        keys_per_environment: lim.keys_per_environment,
        environments: lim.environments,
        max_rotation_grace_seconds: seconds(lim.max_rotation_grace_seconds),
        pats_per_user: lim.pats_per_user,
        users: lim.users,
        guests_per_request: lim.guests_per_request,
        secrets_per_scope: lim.secrets_per_scope,
        text: text_limits(config),
        max_agent_source_bytes: lim.max_agent_source_bytes,
        agents_per_environment: lim.agents_per_environment,
        agent_versions_kept: lim.agent_versions_kept,
        guides_per_environment: lim.guides_per_environment,
        max_guide_bytes: lim.max_guide_bytes,
        guide_versions: lim.guide_versions,
        data_clips_per_space: lim.data_clips_per_space,
        records_per_data_clip: lim.records_per_data_clip,
        guests_per_data_clip: lim.guests_per_data_clip,
        spaces_per_environment: lim.spaces_per_environment,
    }
}

/// The event streams' lifetimes, caps and pace, from `[streams]`.
fn stream_settings(config: &Config) -> http::streams::StreamSettings {
    let st = &config.streams;
    http::streams::StreamSettings {
        token_ttl_seconds: seconds(st.token_ttl_seconds),
        max_stream_seconds: seconds(st.max_stream_seconds),
        per_credential: st.per_credential,
        total: st.total,
        heartbeat: Duration::from_secs(st.heartbeat_seconds),
        poll: Duration::from_millis(st.poll_ms),
        settle_ms: seconds(st.settle_ms),
    }
}

/// The background tasks (PAT last-use flushes, the retention sweep, the event drain) and the
/// sender that stops them.
fn spawn_background_tasks(
    config: &Config,
    auth: &Authenticator,
) -> (
    tokio::sync::watch::Sender<bool>,
    Vec<actix_web::rt::task::JoinHandle<()>>,
) {
    let (stop_background, stopped) = tokio::sync::watch::channel(false);
    let retention = Retention {
        keep_seconds: seconds(config.audit.retention_days.saturating_mul(86_400)),
        every: Duration::from_secs(config.audit.sweep_interval_seconds),
    };
    let mut background = vec![
        actix_web::rt::spawn(flush_batches_every(
            auth.clone(),
            Duration::from_secs(5),
            stopped.clone(),
        )),
        actix_web::rt::spawn(sweep_events_every(auth.clone(), retention, stopped.clone())),
        actix_web::rt::spawn(drain_events_every(
            auth.clone(),
            Duration::from_millis(200),
            stopped.clone(),
        )),
    ];
    if config.webhooks.deliver {
        let worker = crate::webhooks::run(auth.clone(), webhook_settings(config), stopped);
        background.push(actix_web::rt::spawn(worker));
    }
    (stop_background, background)
}

/// The delivery worker's settings, from `[webhooks]`.
fn webhook_settings(config: &Config) -> crate::webhooks::Settings {
    let c = &config.webhooks;
    crate::webhooks::Settings {
        allow_http: c.allow_http,
        allow_private: c.allow_private,
        concurrency: c.concurrency.max(1),
        bounds: crate::webhooks::client::Bounds {
            connect: Duration::from_secs(c.connect_timeout_seconds),
            total: Duration::from_secs(c.timeout_seconds),
            max_body: c.max_response_bytes,
        },
        retry_base: seconds(c.retry_base_seconds),
        retry_max: seconds(c.retry_max_seconds),
        horizon: seconds(c.horizon_hours.saturating_mul(3600)),
        log_per_webhook: c.log_per_webhook,
        poll: Duration::from_millis(c.poll_ms),
    }
}

fn other(e: impl fmt::Display) -> StartupError {
    StartupError::Other(e.to_string())
}

/// What browsers may do: the origin rules and the embed's limits, from `[browser]` and `[dev]`.
fn browser_rules(
    config: &Config,
    url: &str,
    clock: Clock,
) -> Result<(OriginRules, http::EmbedLimits), StartupError> {
    let parse = |key: &str, list: &[String]| {
        list.iter()
            .map(|o| WebOrigin::parse(o).map_err(|e| StartupError::Other(format!("{key}: {e}"))))
            .collect::<Result<Vec<_>, _>>()
    };
    let rules = OriginRules {
        own: WebOrigin::parse(url).ok(),
        embed_everywhere: parse("browser.allowed_origins", &config.browser.allowed_origins)?,
        any_credential: parse(
            "browser.credential_origins",
            &config.browser.credential_origins,
        )?,
        any_origin_in_dev: config.dev.any_origin,
    };
    let limits = http::EmbedLimits {
        spaces: RateLimit::new(
            config.browser.spaces_per_address,
            seconds(config.browser.spaces_window_seconds),
            clock,
        ),
    };
    Ok((rules, limits))
}

fn serve(
    listener: TcpListener,
    config: &Config,
    builder: actix_server::ServerBuilder,
    stopping: actix_server::GracefulShutdownSignal,
    state: AppState,
) -> Result<Server, StartupError> {
    let state = web::Data::new(state);
    let max_body = config.limits.max_body_bytes;
    let workers = match config.server.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    // What `HttpServer::listen` builds, with each connection wrapped in `http::wire` so that
    // the answers actix-http gives on its own (unparseable requests) carry the JSON error body.
    let addr = listener.local_addr().map_err(other)?;
    let caps = connection_caps(config)?;
    let connections = http::deadline::Connections::new(caps.soft);
    let deadlines = deadlines(config);
    let server = builder
        .listen("latchkey", listener, move || {
            let app = app(state.clone(), max_body);
            worker(app, stopping.clone(), connections.clone(), &deadlines, addr)
        })
        .map_err(other)?
        .workers(workers)
        .max_concurrent_connections(caps.hard.div_ceil(workers).max(1))
        .backlog(1024)
        .disable_signals()
        .shutdown_timeout(config.server.shutdown_timeout_seconds)
        .run();
    Ok(server)
}

/// The application every worker runs: logging, security and CORS headers, the one state, the
/// body limit, and the routes.
fn app(
    state: web::Data<AppState>,
    max_body: usize,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(
            Logger::new(r#"%a "%{method}xi %U" %s %b %Dms"#)
                .custom_request_replace("method", |req| req.method().to_string()),
        )
        .wrap(security_headers())
        .wrap_fn(|req, srv| {
            let origin = req.headers().get(actix_web::http::header::ORIGIN).cloned();
            let answer = srv.call(req);
            async move { Ok(http::cors_headers(answer.await?, origin)) }
        })
        .app_data(state)
        .app_data(web::PayloadConfig::new(max_body))
        .app_data(
            web::PathConfig::default()
                .error_handler(|_, _| http::ApiError::NotFound("not found".into()).into()),
        )
        .configure(http::routes)
        .default_service(web::to(http::not_found))
}

/// One worker's service: each accepted connection gets its deadlines (the reserve's past the
/// soft cap) and JSON error bodies, then HTTP/1 with `app`.
fn worker(
    app: App<
        impl actix_web::dev::ServiceFactory<
                actix_web::dev::ServiceRequest,
                Config = (),
                Response = actix_web::dev::ServiceResponse<
                    impl actix_web::body::MessageBody + 'static,
                >,
                Error = actix_web::Error,
                InitError = (),
            > + 'static,
    >,
    stopping: actix_server::GracefulShutdownSignal,
    connections: http::deadline::Connections,
    deadlines: &ConnectionDeadlines,
    addr: std::net::SocketAddr,
) -> impl actix_service::ServiceFactory<actix_rt::net::TcpStream, Config = ()> {
    let (normal, reserve) = (deadlines.normal, deadlines.reserve);
    let service = actix_http::HttpService::build()
        .graceful_shutdown_signal(move || {
            let stopping = stopping.clone();
            async move { stopping.notified().await }
        })
        .client_request_timeout(deadlines.request_timeout)
        .keep_alive(deadlines.keep_alive)
        .client_disconnect_timeout(Duration::from_secs(1))
        .local_addr(addr)
        .finish(actix_service::map_config(
            actix_service::IntoServiceFactory::into_factory(app)
                .map_err(|e: actix_web::Error| e.error_response()),
            |_| actix_web::dev::AppConfig::default(),
        ));
    actix_service::fn_service(move |io: actix_rt::net::TcpStream| {
        let slot = connections.open();
        async move {
            let _ = io.set_nodelay(true);
            let peer = io.peer_addr().ok();
            let limits = if slot.reserve { reserve } else { normal };
            let io = http::deadline::Deadlines::new(io, limits, Some(slot));
            Ok((
                http::wire::ErrorBodies::new(io),
                actix_http::Protocol::Http1,
                peer,
            ))
        }
    })
    .and_then(service)
}

/// How long a connection may take: to send a request's head and body, between keep-alive
/// requests, and (past the soft connection cap) in the reserve.
#[derive(Clone, Copy)]
struct ConnectionDeadlines {
    request_timeout: Duration,
    keep_alive: Duration,
    normal: http::deadline::Limits,
    reserve: http::deadline::Limits,
}

fn deadlines(config: &Config) -> ConnectionDeadlines {
    let request_timeout = Duration::from_secs(config.server.client_request_timeout_seconds);
    ConnectionDeadlines {
        request_timeout,
        keep_alive: Duration::from_secs(config.server.keep_alive_seconds),
        normal: http::deadline::Limits {
            head: request_timeout,
            body: Duration::from_secs(config.server.client_body_timeout_seconds),
            idle: None,
        },
        reserve: http::deadline::Limits {
            head: Duration::from_secs(2),
            body: Duration::from_secs(5),
            idle: Some(Duration::from_secs(1)),
        },
    }
}

/// Open connections: `hard` is where accepting stops (below the open-file limit, with room for
/// the store's files); past `soft` a connection is served from the reserve, with short
/// deadlines, so that `/health` and prompt clients still get in while slow ones fill the rest.
struct ConnectionCaps {
    soft: usize,
    hard: usize,
}

/// Files kept free for the store, logs and backups under the open-file limit.
const FILE_HEADROOM: usize = 256;

fn connection_caps(config: &Config) -> Result<ConnectionCaps, StartupError> {
    let limit = http::deadline::open_file_limit();
    let room = limit.map(|l| l.saturating_sub(FILE_HEADROOM).max(16));
    let hard = match (config.server.max_connections, room) {
        (0, Some(room)) => room,
        (0, None) => 4096,
        (n, Some(room)) if n > room => {
            return Err(StartupError::Other(format!(
                "server.max_connections ({n}) must leave {FILE_HEADROOM} of the {} open files the process may hold; set it to {room} or less, or raise the limit (ulimit -n)",
                limit.unwrap_or_default()
            )))
        }
        (n, _) => n,
    };
    let reserve = (hard / 8).clamp(4, 256).min(hard.saturating_sub(1));
    Ok(ConnectionCaps {
        soft: hard - reserve,
        hard,
    })
}

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .add(("Cache-Control", "no-store"))
}

/// `latchkey env` on the data directory of a stopped server: the `.env` block of the
/// environment named (or with the id) `selector`, its keys raw since the master key is at hand.
pub fn client_env(config: &Config, selector: &str) -> Result<ClientEnv, StartupError> {
    let data_dir = PathBuf::from(&config.storage.data_dir);
    let missing = || {
        StartupError::Other(format!(
        "{} holds no Latchkey data yet: start the server once (cargo run --release) to create it",
        data_dir.display()
    ))
    };
    if !data_dir.is_dir() {
        return Err(missing());
    }
    let store = Store::open_with_cache(&data_dir, 1 << 20).map_err(|e| StartupError::Store {
        path: data_dir.display().to_string(),
        cause: e.to_string(),
    })?;
    if store.account().map_err(other)?.is_none() {
        return Err(missing());
    }
    let master = load_master_key(config, true)?;
    load_signer(&store, &master)?;
    let url = if config.server.public_url.is_empty() {
        format!("http://{}", config.server.bind)
    } else {
        config.server.public_url.trim_end_matches('/').to_owned()
    };
    ClientEnv::from_store(
        &store,
        selector,
        Clock::default().now(),
        &url,
        Some(&master),
    )
    .map_err(StartupError::Other)
}

/// The master key of an existing data directory, from config or its file (never created):
/// for the host commands that read or write a store without serving it.
pub fn existing_master_key(config: &Config) -> Result<MasterKey, StartupError> {
    load_master_key(config, true)
}

/// Reads the master key from config or its file; creates the file (mode 0600) only for an
/// empty store, since a new key cannot open existing data.
fn load_master_key(config: &Config, initialised: bool) -> Result<MasterKey, StartupError> {
    if !config.security.master_key.is_empty() {
        return decode_master_key(config.security.master_key.expose(), "security.master_key")
            .map(|k| MasterKey::from_bytes(&k));
    }
    let path = Path::new(&config.security.master_key_file);
    match std::fs::read_to_string(path) {
        Ok(text) => {
            crate::store::warn_if_readable_by_others(path, "the master key file");
            decode_master_key(text.trim(), &path.display().to_string()).map(|k| MasterKey::from_bytes(&k))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !initialised => {
            let bytes = crate::domain::random::bytes::<32>();
            write_private_file(path, B64.encode(bytes).as_bytes())
                .map_err(|e| StartupError::MasterKey(format!("cannot create {}: {e}", path.display())))?;
            log::info!("created a new master key in {}; back it up beside your backups", path.display());
            Ok(MasterKey::from_bytes(&bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StartupError::MasterKey(format!(
            "{} does not exist, but the data directory already holds data sealed with a master key. \
             Point security.master_key_file at the original key file (or set security.master_key).",
            path.display()
        ))),
        Err(e) => Err(StartupError::MasterKey(format!("cannot read {}: {e}", path.display()))),
    }
}

fn decode_master_key(text: &str, source: &str) -> Result<[u8; 32], StartupError> {
    B64.decode(text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| {
            StartupError::MasterKey(format!(
                "{source} must hold 32 bytes encoded as base64 (44 characters)"
            ))
        })
}

fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn load_signer(store: &Store, master: &MasterKey) -> Result<TokenSigner, StartupError> {
    let secrets = store
        .secrets()
        .map_err(other)?
        .ok_or_else(|| StartupError::Other("the store has an account but no signing key".into()))?;
    master.open(b"master_check", &secrets.master_check).map_err(|_| {
        StartupError::MasterKey(
            "the master key does not match this data directory; use the key file that was created with it".into(),
        )
    })?;
    let pkcs8 = master
        .open(b"signing_key", &secrets.sealed_signing_key)
        .map_err(|_| StartupError::MasterKey("the token signing key does not decrypt".into()))?;
    TokenSigner::from_pkcs8(&pkcs8)
        .map_err(|e| StartupError::Other(format!("the stored signing key is invalid: {e}")))
}

/// Creates the account, the first Administrator, and the two default environments with keys.
async fn bootstrap(
    store: &Store,
    config: &Config,
    master: &MasterKey,
    hasher: &PasswordHasher,
    clock: &Clock,
) -> Result<(TokenSigner, Option<String>), StartupError> {
    let now = clock.now();
    let (password, generated) = if config.bootstrap.admin_password.is_empty() {
        let p = crate::domain::random::base62(20);
        (p.clone(), Some(p))
    } else {
        (config.bootstrap.admin_password.expose().to_owned(), None)
    };
    let hash = hasher.hash(password).await.map_err(other)?;
    let account = Account {
        id: AccountId::generate(),
        name: config.bootstrap.account_name.clone(),
        metadata: "{}".into(),
        created_at: now,
        updated_at: now,
    };
    let admin = User {
        id: UserId::generate(),
        account_id: account.id.clone(),
        email: Email::parse(&config.bootstrap.admin_email).map_err(other)?,
        name: PersonName::parse("Administrator", &TextLimits::default()).map_err(other)?,
        role: Role::Administrator,
        password: Some(hash),
        role_assignment: crate::domain::ActorRoleId::generate(),
        role_assigned_at: now,
        metadata: "{}".into(),
        dashboard: None,
        created_at: now,
        updated_at: now,
    };
    let pkcs8 = TokenSigner::generate_pkcs8();
    let signer = TokenSigner::from_pkcs8(&pkcs8).map_err(|e| StartupError::Other(e.to_string()))?;
    let secrets = Secrets {
        sealed_signing_key: master.seal(b"signing_key", &pkcs8),
        master_check: master.seal(b"master_check", MASTER_CHECK_TEXT),
    };
    let environments = [("development", false), ("production", true)]
        .into_iter()
        .enumerate()
        .map(|(i, (name, is_prod))| {
            // One millisecond apart, so listings show development first.
            let now = crate::domain::Timestamp(now.0 + i as i64);
            let name = EnvironmentName::parse(name, &TextLimits::default())
                .expect("built-in names are valid");
            let env = Environment::new(account.id.clone(), name, is_prod, now);
            let keys = [ApiKeyType::Secret, ApiKeyType::Publishable]
                .map(|t| crate::auth::seal_new_api_key(master, &account.id, &env.id, t, now).0)
                .to_vec();
            (env, keys)
        })
        .collect();
    let event = Event::new("account:created", "account", account.id.clone(), now)
        .by(Some(admin.id.to_string()))
        .with_payload(serde_json::json!({ "adminEmail": admin.email.as_str() }));
    let plan = Bootstrap {
        account,
        admin,
        environments,
        secrets,
        event,
    };
    store.bootstrap(&plan).await.map_err(other)?;
    Ok((signer, generated))
}

fn development_keys(auth: &Authenticator) -> Vec<(&'static str, String)> {
    let store = auth.store();
    let Ok(envs) = store.environments() else {
        return Vec::new();
    };
    let Some(dev) = envs.iter().find(|e| e.name.as_str() == "development") else {
        return Vec::new();
    };
    let now = auth.clock().now();
    let mut keys: Vec<_> = store
        .api_keys_of(&dev.id)
        .unwrap_or_default()
        .into_iter()
        .filter(|k| k.is_active_at(now))
        .filter_map(|k| {
            let label = match k.key_type {
                ApiKeyType::Secret => "secret",
                ApiKeyType::Publishable => "publishable",
            };
            auth.reveal(&k).map(|raw| (label, raw))
        })
        .collect();
    keys.sort_by_key(|(label, _)| *label != "secret");
    keys
}
