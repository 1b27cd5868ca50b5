//! Configuration: built-in defaults, then an optional TOML file, then `LATCHKEY_<SECTION>__<KEY>`
//! environment variables. Unknown keys and values of the wrong type stop startup, naming the key;
//! so does an integer below its least value, checked on the merged TOML before it becomes the
//! typed `Config` (sizes and counts as `usize`, durations as `u64` in the unit the key names).
//! Startup turns it into the values `http` and `store` take (`domain::limits::Limits`,
//! `http::streams::StreamSettings`, …); neither imports this module.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Every setting. `config.toml` at the top of the repository documents each one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// HTTP server settings.
    pub server: ServerConfig,
    /// Where data lives.
    pub storage: StorageConfig,
    /// First-start account and Administrator.
    pub bootstrap: BootstrapConfig,
    /// Keys, hashing and token lifetimes.
    pub security: SecurityConfig,
    /// Sizes and counts.
    pub limits: LimitsConfig,
    /// The audit log.
    pub audit: AuditConfig,
    /// Shared links and guest invitations.
    pub guests: GuestsConfig,
    /// Development conveniences.
    pub dev: DevConfig,
    /// Browsers: CORS origins and the embed.
    pub browser: BrowserConfig,
    /// The Server-Sent Events stream of the audit log.
    pub streams: StreamsConfig,
    /// Outbound webhooks.
    pub webhooks: WebhooksConfig,
}

/// `[webhooks]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Runs the delivery worker (off: deliveries are queued but not sent).
    pub deliver: bool,
    /// Allows `http://` endpoint URLs (otherwise only `https://`).
    pub allow_http: bool,
    /// Allows deliveries to loopback, private, link-local and other non-public addresses.
    pub allow_private: bool,
    /// Endpoints one environment may hold.
    pub per_environment: usize,
    /// Deliveries in flight at once (one per endpoint at a time).
    pub concurrency: usize,
    /// Seconds to connect.
    pub connect_timeout_seconds: u64,
    /// Seconds for a whole attempt.
    pub timeout_seconds: u64,
    /// Response body bytes read at most.
    pub max_response_bytes: usize,
    /// The first retry's delay in seconds; it doubles per attempt, with jitter.
    pub retry_base_seconds: u64,
    /// The longest delay between two attempts, in seconds.
    pub retry_max_seconds: u64,
    /// Hours after enqueueing a delivery is retried; then it fails and its endpoint is disabled.
    pub horizon_hours: u64,
    /// Pending deliveries one endpoint may hold; past it new events are dropped (and counted).
    pub max_pending: u64,
    /// Finished deliveries kept in each endpoint's log.
    pub log_per_webhook: usize,
    /// Milliseconds between looks at the queue.
    pub poll_ms: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            deliver: true,
            allow_http: false,
            allow_private: false,
            per_environment: 16,
            concurrency: 8,
            connect_timeout_seconds: 5,
            timeout_seconds: 10,
            max_response_bytes: 4096,
            retry_base_seconds: 5,
            retry_max_seconds: 3600,
            horizon_hours: 24,
            max_pending: 10_000,
            log_per_webhook: 200,
            poll_ms: 500,
        }
    }
}

/// A secret setting (a password, key material): kept as given, printed by `Debug` as
/// `[redacted]` so a logged `Config` shows none.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether none is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Forgets the secret.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// `[browser]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrowserConfig {
    /// Origins every environment allows for publishable keys and space tokens, besides its own
    /// `allowedOrigins`.
    pub allowed_origins: Vec<String>,
    /// Origins whose pages may use any credential (secret keys, PATs, login tokens).
    pub credential_origins: Vec<String>,
    /// Spaces one client address may create with publishable keys per window.
    pub spaces_per_address: usize,
    /// That window, in seconds.
    pub spaces_window_seconds: u64,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        Self {
            allowed_origins: Vec::new(),
            credential_origins: Vec::new(),
            spaces_per_address: 30,
            spaces_window_seconds: 60,
        }
    }
}

/// `[streams]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamsConfig {
    /// Lifetime of an event-stream token, in seconds (the window to open a stream with it).
    pub token_ttl_seconds: u64,
    /// Longest an open stream lives before the server ends it, in seconds.
    pub max_stream_seconds: u64,
    /// Streams open at once for one credential.
    pub per_credential: usize,
    /// Streams open at once in total.
    pub total: usize,
    /// Seconds between heartbeat comments on an idle stream.
    pub heartbeat_seconds: u64,
    /// Milliseconds between reads of the log.
    pub poll_ms: u64,
    /// Milliseconds an event waits after its creation time before it is sent, so events
    /// committed slightly out of order are still sent in order (no gaps on resume).
    pub settle_ms: u64,
}

impl Default for StreamsConfig {
    fn default() -> Self {
        Self {
            token_ttl_seconds: 900,
            max_stream_seconds: 3600,
            per_credential: 5,
            total: 200,
            heartbeat_seconds: 15,
            poll_ms: 250,
            settle_ms: 500,
        }
    }
}

/// `[audit]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Events older than this many days are removed by the background sweep.
    pub retention_days: u64,
    /// Seconds between sweeps.
    pub sweep_interval_seconds: u64,
    /// Events the log may hold; past it the oldest authentication events are evicted.
    pub max_events: usize,
    /// Repeats of an anonymous caller's refused login within this many seconds are one event.
    pub aggregation_window_seconds: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            retention_days: 90,
            sweep_interval_seconds: 3600,
            max_events: 1_000_000,
            aggregation_window_seconds: 60,
        }
    }
}

/// `[guests]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuestsConfig {
    /// Shared-link joins one client address (IPv6: one /64) may make per hour.
    pub shared_link_joins_per_address_per_hour: usize,
    /// Guests a space may hold before its shared link takes no more.
    pub shared_link_guests_per_space: usize,
    /// Invitations (mails and added guests) one guest may send per hour.
    pub invitations_per_guest_per_hour: usize,
}

impl Default for GuestsConfig {
    fn default() -> Self {
        Self {
            shared_link_joins_per_address_per_hour: 20,
            shared_link_guests_per_space: 1000,
            invitations_per_guest_per_hour: 20,
        }
    }
}

/// `[server]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port to listen on; port 0 picks a free port.
    pub bind: String,
    /// The URL clients use to reach this server; empty means `http://<bind>`.
    pub public_url: String,
    /// Worker threads; 0 means one per available core.
    pub workers: usize,
    /// The extra header that may carry a secret key.
    pub api_key_header: String,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_timeout_seconds: u64,
    /// Seconds a client has to send a request's headers before the connection is cut.
    pub client_request_timeout_seconds: u64,
    /// Seconds a client has to send a request's body once its head has arrived.
    pub client_body_timeout_seconds: u64,
    /// Seconds an idle keep-alive connection stays open.
    pub keep_alive_seconds: u64,
    /// Open connections at most; 0 means the open-file limit less room for the store's files.
    pub max_connections: usize,
    /// Proxies (addresses or CIDR blocks) whose `X-Forwarded-For` names the client; empty
    /// means the TCP peer is always the client.
    pub trusted_proxies: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: String::new(),
            workers: 0,
            api_key_header: "x-api-key".into(),
            shutdown_timeout_seconds: 10,
            client_request_timeout_seconds: 10,
            client_body_timeout_seconds: 30,
            keep_alive_seconds: 5,
            max_connections: 0,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The default `storage.cache_mb`; the store owns it.
pub use crate::store::DEFAULT_CACHE_MB;

/// `[storage]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The data directory.
    pub data_dir: String,
    /// The store's page cache, in MiB; bounds resident memory.
    pub cache_mb: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: "./data".into(),
            cache_mb: DEFAULT_CACHE_MB,
        }
    }
}

/// `[bootstrap]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BootstrapConfig {
    /// The first Administrator's email.
    pub admin_email: String,
    /// The first Administrator's password; empty means generate one and print it once.
    pub admin_password: Secret,
    /// The account's display name.
    pub account_name: String,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            admin_email: "admin@example.com".into(),
            admin_password: Secret::default(),
            account_name: "Latchkey".into(),
        }
    }
}

/// `[security]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// The master key as 32 bytes of base64; overrides `master_key_file` when set.
    pub master_key: Secret,
    /// File holding the master key; created with mode 0600 on first start when missing.
    pub master_key_file: String,
    /// PBKDF2-HMAC-SHA256 iterations for new password hashes.
    pub pbkdf2_iterations: u32,
    /// Password hashes computed at once; 0 means half the cores (at least 1).
    pub password_concurrency: usize,
    /// Lifetime of user, client and publishable-key access tokens, in seconds.
    pub access_token_ttl_seconds: u64,
    /// Lifetime of single-use links (invitations, magic links), in seconds.
    pub link_ttl_seconds: u64,
    /// Absolute lifetime of a login session, in seconds; refreshing cannot extend it.
    pub session_lifetime_seconds: u64,
    /// Failed logins per account within the account window before refusing with 429.
    pub login_failures_per_account: usize,
    /// The per-account window, in seconds.
    pub login_account_window_seconds: u64,
    /// Failed logins per client address within the address window before refusing with 429.
    pub login_failures_per_address: usize,
    /// The per-address window, in seconds.
    pub login_address_window_seconds: u64,
    /// Delay after the first failure, in milliseconds; doubles per failure, capped at 2 s.
    pub login_delay_ms: u64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            master_key: Secret::default(),
            master_key_file: "./latchkey.key".into(),
            pbkdf2_iterations: 600_000,
            password_concurrency: 0,
            access_token_ttl_seconds: 86_400,
            link_ttl_seconds: 86_400,
            session_lifetime_seconds: 7 * 86_400,
            login_failures_per_account: 100,
            login_account_window_seconds: 3600,
            login_failures_per_address: 10,
            login_address_window_seconds: 600,
            login_delay_ms: 100,
        }
    }
}

/// `[limits]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest `pageSize`.
    pub max_page_size: usize,
    /// Keys an environment may hold, expiring ones included.
    pub keys_per_environment: usize,
    /// Environments an account may hold.
    pub environments: usize,
    /// Longest grace a timed rotation may give the old key, in seconds.
    pub max_rotation_grace_seconds: u64,
    /// Personal access tokens (and, separately, client-credential pairs) per user.
    pub pats_per_user: usize,
    /// Users an account may hold.
    pub users: usize,
    /// Guests (and invitations) one request may carry.
    pub guests_per_request: usize,
    /// Secrets in one scope (an environment, or a space).
    pub secrets_per_scope: usize,
    /// Longest display name (environments, people, tokens, spaces, workbooks), in characters.
    pub max_name_length: usize,
    /// Largest metadata or settings document, in bytes of JSON.
    pub max_metadata_bytes: usize,
    /// Longest secret name or value, in characters.
    pub max_secret_length: usize,
    /// Largest agent `source` (and, separately, `sourceMap`), in bytes.
    pub max_agent_source_bytes: usize,
    /// Agents one environment may hold.
    pub agents_per_environment: usize,
    /// Versions kept per agent; older ones are removed as new ones are deployed.
    pub agent_versions_kept: usize,
    /// Guides one environment may hold.
    pub guides_per_environment: usize,
    /// Largest guide (title, description, metadata and blocks), in bytes of JSON.
    pub max_guide_bytes: usize,
    /// Versions kept per guide (older ones are dropped).
    pub guide_versions: usize,
    /// Data clips one space may hold.
    pub data_clips_per_space: usize,
    /// Records one data clip may name, clipped and referenced together.
    pub records_per_data_clip: usize,
    /// Guests one data clip may have.
    pub guests_per_data_clip: usize,
    /// Spaces one environment may hold.
    pub spaces_per_environment: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1_048_576,
            max_page_size: 100,
            keys_per_environment: 50,
            environments: 100,
            max_rotation_grace_seconds: 30 * 86_400,
            pats_per_user: 50,
            users: 10_000,
            guests_per_request: 100,
            secrets_per_scope: 100,
            max_name_length: crate::domain::limits::DEFAULT_NAME_LENGTH,
            max_metadata_bytes: crate::domain::limits::DEFAULT_METADATA_BYTES,
            max_secret_length: crate::domain::limits::DEFAULT_SECRET_LENGTH,
            max_agent_source_bytes: 4 * 1_048_576,
            agents_per_environment: 20,
            agent_versions_kept: 5,
            guides_per_environment: 100,
            max_guide_bytes: 65_536,
            guide_versions: 20,
            data_clips_per_space: 100,
            records_per_data_clip: 1_000,
            guests_per_data_clip: 100,
            spaces_per_environment: 10_000,
        }
    }
}

/// `[dev]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DevConfig {
    /// Allows Administrators to move the server clock forward (`POST /v1/latchkey/clock`).
    pub clock_control: bool,
    /// Lets pages of any origin use the publishable keys and space tokens of non-production
    /// environments.
    pub any_origin: bool,
}

/// Why configuration was refused; the message names the key and what is expected.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Defaults, overlaid with the file at `path` (if any) and then `LATCHKEY_…` variables from `env`.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let defaults =
            toml::Table::try_from(Config::default()).map_err(|e| ConfigError(e.to_string()))?;
        let mut merged = defaults.clone();
        if let Some(path) = path {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
            let file: toml::Table = text
                .parse()
                .map_err(|e| ConfigError(format!("{} is not valid TOML: {e}", path.display())))?;
            overlay_file(&defaults, &mut merged, file)?;
        }
        for (name, value) in env {
            // LATCHKEY_TOKEN is the `backup` subcommand's credential, not a setting.
            if name == "LATCHKEY_TOKEN" {
                continue;
            }
            if let Some(rest) = name.strip_prefix("LATCHKEY_") {
                overlay_env(&defaults, &mut merged, &name, rest, &value)?;
            }
        }
        check_integers(&merged)?;
        let config: Config = merged
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let srv = &self.server;
        srv.bind.parse::<std::net::SocketAddr>().map_err(|_| {
            ConfigError(format!(
                "server.bind must be an address such as 127.0.0.1:8080, got '{}'",
                srv.bind
            ))
        })?;
        crate::http::client_addr::TrustedProxies::parse(&srv.trusted_proxies)
            .map_err(|e| ConfigError(format!("server.trusted_proxies: {e}")))?;
        if actix_web::http::header::HeaderName::from_bytes(srv.api_key_header.as_bytes()).is_err() {
            return Err(ConfigError(
                "server.api_key_header must be a valid HTTP header name".into(),
            ));
        }
        crate::domain::Email::parse(&self.bootstrap.admin_email).map_err(|_| {
            ConfigError(format!(
                "bootstrap.admin_email must be an email address, got '{}'",
                self.bootstrap.admin_email
            ))
        })?;
        if !self.bootstrap.admin_password.is_empty()
            && self.bootstrap.admin_password.expose().chars().count() < 8
        {
            return Err(ConfigError(
                "bootstrap.admin_password must have at least 8 characters (or be empty to generate one)".into(),
            ));
        }
        for (key, origins) in [
            ("browser.allowed_origins", &self.browser.allowed_origins),
            (
                "browser.credential_origins",
                &self.browser.credential_origins,
            ),
        ] {
            for origin in origins {
                crate::domain::WebOrigin::parse(origin)
                    .map_err(|e| ConfigError(format!("{key}: {e}")))?;
            }
        }
        if self.storage.data_dir.is_empty() {
            return Err(ConfigError("storage.data_dir must not be empty".into()));
        }
        let sec = &self.security;
        if sec.master_key.is_empty() && sec.master_key_file.is_empty() {
            return Err(ConfigError(
                "set security.master_key or security.master_key_file".into(),
            ));
        }
        Ok(())
    }

    /// The URL clients reach this server at.
    pub fn public_url(&self, bound: std::net::SocketAddr) -> String {
        if self.server.public_url.is_empty() {
            format!("http://{bound}")
        } else {
            self.server.public_url.trim_end_matches('/').to_owned()
        }
    }
}

/// Every integer setting and its least value, checked on the merged TOML before it becomes the
/// typed `Config`, so that a negative value is refused with this message, not a type error.
const AT_LEAST: &[(&str, i64)] = &[
    ("webhooks.per_environment", 0),
    ("webhooks.concurrency", 1),
    ("webhooks.connect_timeout_seconds", 1),
    ("webhooks.timeout_seconds", 1),
    ("webhooks.max_response_bytes", 0),
    ("webhooks.retry_base_seconds", 1),
    ("webhooks.retry_max_seconds", 1),
    ("webhooks.horizon_hours", 1),
    ("webhooks.max_pending", 1),
    ("webhooks.log_per_webhook", 1),
    ("webhooks.poll_ms", 10),
    ("limits.spaces_per_environment", 1),
    ("audit.max_events", 1),
    ("audit.aggregation_window_seconds", 1),
    ("storage.cache_mb", 1),
    ("server.workers", 0),
    ("server.shutdown_timeout_seconds", 1),
    ("server.client_request_timeout_seconds", 1),
    ("server.client_body_timeout_seconds", 1),
    ("server.keep_alive_seconds", 1),
    ("server.max_connections", 0),
    ("security.pbkdf2_iterations", 1),
    ("security.password_concurrency", 0),
    ("security.access_token_ttl_seconds", 1),
    ("security.link_ttl_seconds", 1),
    ("security.session_lifetime_seconds", 60),
    ("security.login_failures_per_account", 1),
    ("security.login_account_window_seconds", 1),
    ("security.login_failures_per_address", 1),
    ("security.login_address_window_seconds", 1),
    ("security.login_delay_ms", 0),
    ("limits.max_body_bytes", 1),
    ("limits.max_page_size", 1),
    ("limits.keys_per_environment", 1),
    ("limits.environments", 1),
    ("limits.max_rotation_grace_seconds", 0),
    ("limits.pats_per_user", 1),
    ("limits.users", 1),
    ("limits.guests_per_request", 1),
    ("limits.secrets_per_scope", 1),
    ("limits.max_name_length", 1),
    ("limits.max_metadata_bytes", 2),
    ("limits.max_secret_length", 1),
    ("limits.max_agent_source_bytes", 1),
    ("limits.agents_per_environment", 1),
    ("limits.agent_versions_kept", 1),
    ("limits.data_clips_per_space", 1),
    ("limits.records_per_data_clip", 1),
    ("limits.guests_per_data_clip", 1),
    ("audit.retention_days", 1),
    ("guests.shared_link_joins_per_address_per_hour", 1),
    ("guests.shared_link_guests_per_space", 1),
    ("guests.invitations_per_guest_per_hour", 1),
    ("audit.sweep_interval_seconds", 1),
    ("limits.guides_per_environment", 1),
    ("limits.max_guide_bytes", 64),
    ("limits.guide_versions", 1),
    ("streams.token_ttl_seconds", 1),
    ("streams.max_stream_seconds", 1),
    ("streams.per_credential", 0),
    ("streams.total", 0),
    ("streams.heartbeat_seconds", 1),
    ("streams.poll_ms", 10),
    ("streams.settle_ms", 0),
    ("browser.spaces_per_address", 1),
    ("browser.spaces_window_seconds", 1),
];

/// Refuses an integer below its least value in `AT_LEAST`, or a `security.pbkdf2_iterations`
/// past 32 bits, naming the key.
fn check_integers(merged: &toml::Table) -> Result<(), ConfigError> {
    let integer = |key: &str| {
        let (section, name) = key.split_once('.')?;
        merged.get(section)?.get(name)?.as_integer()
    };
    for &(key, min) in AT_LEAST {
        match integer(key) {
            Some(value) if value < min => {
                return Err(ConfigError(format!(
                    "{key} must be at least {min}, got {value}"
                )))
            }
            _ => {}
        }
    }
    if integer("security.pbkdf2_iterations").is_some_and(|v| v > i64::from(u32::MAX)) {
        return Err(ConfigError(
            "security.pbkdf2_iterations must fit in 32 bits".into(),
        ));
    }
    Ok(())
}

fn overlay_file(
    defaults: &toml::Table,
    merged: &mut toml::Table,
    file: toml::Table,
) -> Result<(), ConfigError> {
    for (section, value) in file {
        let Some(toml::Value::Table(default_section)) = defaults.get(&section) else {
            return Err(unknown(&section, defaults));
        };
        let toml::Value::Table(entries) = value else {
            return Err(ConfigError(format!("[{section}] must be a table")));
        };
        for (key, value) in entries {
            let name = format!("{section}.{key}");
            let Some(default) = default_section.get(&key) else {
                return Err(unknown(&name, defaults));
            };
            if std::mem::discriminant(default) != std::mem::discriminant(&value) {
                return Err(ConfigError(format!(
                    "{name} must be {}, got {value}",
                    type_name(default)
                )));
            }
            set(merged, &section, &key, value);
        }
    }
    Ok(())
}

fn overlay_env(
    defaults: &toml::Table,
    merged: &mut toml::Table,
    var: &str,
    rest: &str,
    raw: &str,
) -> Result<(), ConfigError> {
    let Some((section, key)) = rest.split_once("__") else {
        return Err(ConfigError(format!(
            "environment variable {var} is not of the form LATCHKEY_<SECTION>__<KEY>"
        )));
    };
    let (section, key) = (section.to_lowercase(), key.to_lowercase());
    let name = format!("{section}.{key}");
    let Some(default) = defaults.get(&section).and_then(|s| s.get(&key)) else {
        return Err(ConfigError(format!(
            "environment variable {var} names unknown key {name}; {}",
            known(defaults)
        )));
    };
    let value = match default {
        toml::Value::String(_) => toml::Value::String(raw.to_owned()),
        toml::Value::Integer(_) => raw
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| ConfigError(format!("{var} ({name}) must be an integer, got '{raw}'")))?,
        // A list from the environment is comma-separated: `a,b`; empty for none.
        toml::Value::Array(_) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        ),
        toml::Value::Boolean(_) => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => toml::Value::Boolean(true),
            "false" | "0" | "no" | "off" => toml::Value::Boolean(false),
            _ => {
                return Err(ConfigError(format!(
                    "{var} ({name}) must be true or false, got '{raw}'"
                )))
            }
        },
        _ => {
            return Err(ConfigError(format!(
                "{name} cannot be set from the environment"
            )))
        }
    };
    set(merged, &section, &key, value);
    Ok(())
}

fn set(merged: &mut toml::Table, section: &str, key: &str, value: toml::Value) {
    if let Some(toml::Value::Table(t)) = merged.get_mut(section) {
        t.insert(key.to_owned(), value);
    }
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Boolean(_) => "true or false",
        toml::Value::Array(_) => "a list of strings",
        _ => "a value",
    }
}

fn unknown(name: &str, defaults: &toml::Table) -> ConfigError {
    ConfigError(format!("unknown key {name}; {}", known(defaults)))
}

fn known(defaults: &toml::Table) -> String {
    let names: Vec<String> = defaults
        .iter()
        .flat_map(|(s, v)| {
            v.as_table()
                .into_iter()
                .flat_map(move |t| t.keys().map(move |k| format!("{s}.{k}")))
        })
        .collect();
    format!("known keys are {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn the_shipped_config_file_is_the_built_in_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
        let shipped = Config::load(Some(&path), Vec::new()).unwrap();
        assert_eq!(
            toml::to_string(&shipped).unwrap(),
            toml::to_string(&Config::default()).unwrap()
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let c = Config::load(
            None,
            env(&[
                ("LATCHKEY_BOOTSTRAP__ADMIN_PASSWORD", "hunter2hunter2"),
                (
                    "LATCHKEY_SECURITY__MASTER_KEY",
                    "c2VjcmV0IGtleSBtYXRlcmlhbA==",
                ),
            ]),
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn environment_variables_override_typed_keys() {
        let c = Config::load(
            None,
            env(&[
                ("LATCHKEY_BOOTSTRAP__ADMIN_PASSWORD", "12345678"),
                ("LATCHKEY_SECURITY__PBKDF2_ITERATIONS", "1000"),
                ("LATCHKEY_DEV__CLOCK_CONTROL", "true"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(c.bootstrap.admin_password.expose(), "12345678");
        assert_eq!(c.security.pbkdf2_iterations, 1000);
        assert!(c.dev.clock_control);
    }

    #[test]
    fn origin_lists_come_from_the_environment_comma_separated_and_are_checked() {
        let c = Config::load(
            None,
            env(&[(
                "LATCHKEY_BROWSER__ALLOWED_ORIGINS",
                "https://a.example, http://127.0.0.1:5173",
            )]),
        )
        .unwrap();
        assert_eq!(
            c.browser.allowed_origins,
            ["https://a.example", "http://127.0.0.1:5173"]
        );
        let e = Config::load(
            None,
            env(&[(
                "LATCHKEY_BROWSER__CREDENTIAL_ORIGINS",
                "https://a.example/path",
            )]),
        )
        .unwrap_err();
        assert!(e.0.contains("browser.credential_origins"), "{e}");
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let e = Config::load(None, env(&[("LATCHKEY_SERVER__BINDD", "x")])).unwrap_err();
        assert!(e.0.contains("server.bindd"), "{e}");
        let e = Config::load(
            None,
            env(&[("LATCHKEY_SECURITY__PBKDF2_ITERATIONS", "many")]),
        )
        .unwrap_err();
        assert!(
            e.0.contains("security.pbkdf2_iterations") && e.0.contains("integer"),
            "{e}"
        );
        let e = Config::load(None, env(&[("LATCHKEY_SERVER__BIND", "nowhere")])).unwrap_err();
        assert!(e.0.contains("server.bind"), "{e}");
    }

    #[test]
    fn files_are_checked_key_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[server]\nbind = 8080\n").unwrap();
        let e = Config::load(Some(&path), Vec::new()).unwrap_err();
        assert!(e.0.contains("server.bind must be a string"), "{e}");
        std::fs::write(&path, "[nope]\nx = 1\n").unwrap();
        assert!(Config::load(Some(&path), Vec::new())
            .unwrap_err()
            .0
            .contains("unknown key nope"));
        std::fs::write(&path, "[storage]\ndata_dir = \"/tmp/x\"\n").unwrap();
        assert_eq!(
            Config::load(Some(&path), Vec::new())
                .unwrap()
                .storage
                .data_dir,
            "/tmp/x"
        );
    }

    #[test]
    fn every_integer_key_has_a_least_value_and_a_negative_one_is_refused_by_name() {
        let defaults = toml::Table::try_from(Config::default()).unwrap();
        for (section, keys) in &defaults {
            for (key, value) in keys.as_table().unwrap() {
                let name = format!("{section}.{key}");
                assert_eq!(
                    value.is_integer(),
                    AT_LEAST.iter().any(|&(k, _)| k == name),
                    "{name}"
                );
            }
        }
        let e = Config::load(None, env(&[("LATCHKEY_STREAMS__POLL_MS", "-1")])).unwrap_err();
        assert!(
            e.0.contains("streams.poll_ms must be at least 10, got -1"),
            "{e}"
        );
        let e = Config::load(None, env(&[("LATCHKEY_SERVER__WORKERS", "-1")])).unwrap_err();
        assert!(
            e.0.contains("server.workers must be at least 0, got -1"),
            "{e}"
        );
        let e = Config::load(
            None,
            env(&[("LATCHKEY_SECURITY__PBKDF2_ITERATIONS", "4294967296")]),
        )
        .unwrap_err();
        assert!(
            e.0.contains("security.pbkdf2_iterations must fit in 32 bits"),
            "{e}"
        );
    }
}
