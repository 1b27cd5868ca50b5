//! Credentials, digests, encryption, token signing, the `Principal` extractor and the policy.

mod cache;
pub mod credential;
pub mod crypto;
pub mod jwt;
pub mod origin;
pub mod password;
pub mod policy;
mod principal;
pub mod rate;
pub mod stream;
pub mod throttle;
pub mod usage;

pub use principal::{AuthFailure, Caller, Principal, PrincipalKind, Via};

use crate::clock::Clock;
use crate::domain::{
    AccountId, ApiKeyId, ApiKeyType, ClientId, EnvironmentId, Operation, PatId, PersonName,
    SecretId, SpaceId, Timestamp,
};
use crate::domain::{ApiKey, Client, Pat, Secret, User};
use crate::store::Store;
use credential::{CredentialKind, RawCredential};
use crypto::MasterKey;
use jwt::{Claims, TokenKind, TokenSigner};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;

/// Settings the authenticator needs from configuration.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The extra header that may carry a secret key (lower-case).
    pub api_key_header: String,
    /// Lifetime of access tokens, in seconds.
    pub access_token_ttl_seconds: i64,
    /// The `iss` claim.
    pub issuer: String,
    /// The absolute lifetime of a login session, in seconds; refreshing cannot extend it.
    pub session_lifetime_seconds: i64,
}

/// Login sessions one user may hold; a new one ends the oldest beyond this.
const SESSIONS_PER_USER: usize = 500;

/// Resolves credentials to principals and mints credentials. Shared by every request.
#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    clock: Clock,
    signer: Arc<TokenSigner>,
    master: Arc<MasterKey>,
    settings: Arc<AuthSettings>,
    /// PAT last-use times not yet written; flushed in batches.
    pat_uses: Arc<Mutex<PatUses>>,
    /// Verified principals, valid until the store's next write.
    cache: Arc<cache::PrincipalCache>,
    /// Requests and refusals counted for the overview; flushed in batches.
    usage: Arc<usage::Usage>,
}

/// What to put in a new access token.
#[derive(Debug, Clone, Copy)]
pub struct TokenSpec<'a> {
    /// What the token is minted from.
    pub kind: TokenKind,
    /// The `sub` claim.
    pub subject: &'a str,
    /// The account.
    pub account: &'a AccountId,
    /// The environment, for environment-bound tokens.
    pub environment: Option<&'a EnvironmentId>,
    /// The parent credential id; the token dies with it.
    pub parent: &'a str,
    /// The role at issue time.
    pub role: Option<&'a str>,
    /// Lifetime in seconds; `None` for the configured default.
    pub ttl: Option<i64>,
    /// The one space the token is limited to.
    pub space: Option<&'a SpaceId>,
    /// How a guest token was obtained.
    pub source: Option<&'a str>,
}

/// A freshly signed access token. `Debug` shows everything but the token itself.
#[derive(Clone)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// Its lifetime in seconds.
    pub ttl_seconds: i64,
    /// Its `jti`.
    pub jti: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("ttl_seconds", &self.ttl_seconds)
            .field("jti", &self.jti)
            .finish()
    }
}

impl Authenticator {
    /// Builds the authenticator.
    pub fn new(
        store: Store,
        clock: Clock,
        signer: TokenSigner,
        master: MasterKey,
        settings: AuthSettings,
    ) -> Self {
        Self {
            store,
            signer: Arc::new(signer),
            master: Arc::new(master),
            settings: Arc::new(settings),
            pat_uses: Arc::default(),
            cache: Arc::default(),
            usage: Arc::new(usage::Usage::new(clock.clone())),
            clock,
        }
    }

    /// Requests and refusals counted in memory, not yet all in the store.
    pub fn usage(&self) -> &usage::Usage {
        &self.usage
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock every expiry check reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The key that authenticates backups, derived from the master key.
    pub fn backup_key(&self) -> ring::hmac::Key {
        self.master.backup_key()
    }

    /// The token signer (for the JWKS).
    pub fn signer(&self) -> &TokenSigner {
        &self.signer
    }

    /// The configured API-key header name.
    pub fn api_key_header(&self) -> &str {
        &self.settings.api_key_header
    }

    /// A new API key record for `environment`, and its raw value (shown once to the caller).
    pub fn new_api_key(
        &self,
        account: &AccountId,
        environment: &EnvironmentId,
        key_type: ApiKeyType,
    ) -> (ApiKey, RawCredential) {
        seal_new_api_key(
            &self.master,
            account,
            environment,
            key_type,
            self.clock.now(),
        )
    }

    /// The raw value of a stored key, for an Administrator's reveal; `None` if it does not open.
    pub fn reveal(&self, key: &ApiKey) -> Option<String> {
        let plain = self
            .master
            .open(key.id.as_str().as_bytes(), &key.sealed_raw)
            .ok()?;
        String::from_utf8(plain).ok()
    }

    /// Signs an access token as `spec` describes.
    pub fn issue_token(&self, spec: TokenSpec) -> IssuedToken {
        let now = self.clock.now();
        let ttl = spec.ttl.unwrap_or(self.settings.access_token_ttl_seconds);
        let claims = Claims {
            iss: self.settings.issuer.clone(),
            sub: spec.subject.to_owned(),
            acc: spec.account.to_string(),
            env: spec.environment.map(|e| e.to_string()),
            knd: spec.kind,
            par: spec.parent.to_owned(),
            role: spec.role.map(str::to_owned),
            iat: now.unix_seconds(),
            exp: now.unix_seconds() + ttl,
            jti: crate::domain::random::base62(16),
            spc: spec.space.map(|s| s.to_string()),
            src: spec.source.map(str::to_owned),
        };
        IssuedToken {
            token: self.signer.sign(&claims),
            expires_at: Timestamp::from_unix_seconds(claims.exp),
            ttl_seconds: ttl,
            jti: claims.jti,
        }
    }

    /// A token for a user who just proved client credentials, the client pair its parent.
    pub fn issue_user_token(&self, user: &User, parent: &str, kind: TokenKind) -> IssuedToken {
        self.issue_token(user_spec(user, parent, kind))
    }

    /// Starts a login session for `user`, who just proved a password, and answers its first
    /// access token (the session is its parent; it lives at most as long as the session).
    pub async fn start_session(
        &self,
        user: &User,
    ) -> Result<IssuedToken, crate::store::StoreError> {
        let now = self.clock.now();
        let lifetime = self.settings.session_lifetime_seconds;
        let id = format!("us_ses_{}", crate::domain::random::base62(22));
        let issued = self.issue_token(TokenSpec {
            ttl: Some(self.settings.access_token_ttl_seconds.min(lifetime)),
            ..user_spec(user, &id, TokenKind::User)
        });
        let session = crate::domain::Session {
            id,
            user_id: user.id.clone(),
            account_id: user.account_id.clone(),
            created_at: now,
            expires_at: now.plus_seconds(lifetime),
            token_id: issued.jti.clone(),
        };
        self.store
            .insert_session(&session, SESSIONS_PER_USER)
            .await?;
        Ok(issued)
    }

    /// Exchanges a valid access token for a fresh one with the same subject and parent, after
    /// checking that the parent still exists. A login token's session makes the new token its
    /// current one (the old one stops working) and bounds its life. Guest tokens are not
    /// refreshable.
    pub async fn refresh(&self, token: &str) -> Result<(IssuedToken, Principal), AuthFailure> {
        let (principal, claims) = self.authenticate_token(token)?;
        let role = match &principal.kind {
            PrincipalKind::User { role, .. } => Some(role.as_str()),
            PrincipalKind::Environment { .. } | PrincipalKind::SpaceToken { .. } => None,
            PrincipalKind::Guest { .. } => {
                return Err(AuthFailure::Malformed(
                    "guest tokens are not refreshable; ask for a new one".into(),
                ))
            }
        };
        let env = claims
            .env
            .as_deref()
            .and_then(|e| EnvironmentId::parse(e).ok());
        let space = claims.spc.as_deref().and_then(|s| SpaceId::parse(s).ok());
        let session = match claims.knd {
            TokenKind::User => Some(
                self.store
                    .session(&claims.par)?
                    .ok_or(AuthFailure::Revoked)?,
            ),
            _ => None,
        };
        let now = self.clock.now();
        let ttl = match &session {
            Some(s) => self
                .settings
                .access_token_ttl_seconds
                .min((s.expires_at.0 - now.0) / 1000),
            None => self.settings.access_token_ttl_seconds,
        };
        if ttl <= 0 {
            return Err(AuthFailure::Expired);
        }
        let issued = self.issue_token(TokenSpec {
            kind: claims.knd,
            subject: &claims.sub,
            account: &principal.account_id,
            environment: env.as_ref(),
            parent: &claims.par,
            role,
            ttl: Some(ttl),
            space: space.as_ref(),
            source: None,
        });
        if let Some(s) = session {
            if !self
                .store
                .rotate_session(&s.id, &claims.jti, &issued.jti)
                .await?
            {
                return Err(AuthFailure::Revoked);
            }
        }
        Ok((issued, principal))
    }

    /// A new PAT record for `user` and its raw value (shown once).
    pub fn new_pat(&self, user: &User, name: PersonName) -> (Pat, RawCredential) {
        let raw = RawCredential::generate(CredentialKind::PersonalAccessToken);
        let pat = Pat {
            id: PatId::generate(),
            user_id: user.id.clone(),
            account_id: user.account_id.clone(),
            name,
            digest: raw.digest(),
            created_at: self.clock.now(),
            last_used_at: None,
        };
        (pat, raw)
    }

    /// A new client-credentials pair for `user` and its raw secret (shown once).
    pub fn new_client(&self, user: &User, tenant_id: String) -> (Client, RawCredential) {
        let raw = RawCredential::generate(CredentialKind::ClientSecret);
        let client = Client {
            id: ClientId::generate(),
            user_id: user.id.clone(),
            account_id: user.account_id.clone(),
            tenant_id,
            secret_digest: raw.digest(),
            created_at: self.clock.now(),
        };
        (client, raw)
    }

    /// Checks a client secret against a stored pair in constant time.
    pub fn client_secret_matches(&self, client: &Client, secret: &str) -> bool {
        let digest = crypto::sha256(secret.as_bytes());
        crypto::constant_time_eq(&client.secret_digest, &digest)
    }

    /// A new single-use link token: its raw value (for the mail) and the digest to store.
    pub fn new_link_token(&self) -> RawCredential {
        RawCredential::generate(CredentialKind::LinkToken)
    }

    /// Seals a secret's value under the master key, bound to its id.
    pub fn seal_secret(&self, id: &SecretId, value: &str) -> Vec<u8> {
        self.master.seal(id.as_str().as_bytes(), value.as_bytes())
    }

    /// Opens a secret's value.
    pub fn open_secret(&self, secret: &Secret) -> Option<String> {
        String::from_utf8(
            self.master
                .open(secret.id.as_str().as_bytes(), &secret.sealed_value)
                .ok()?,
        )
        .ok()
    }

    /// Seals a webhook endpoint's own signing secret under the master key, bound to its id.
    pub fn seal_webhook_secret(&self, id: &crate::domain::WebhookId, secret: &str) -> Vec<u8> {
        self.master.seal(id.as_str().as_bytes(), secret.as_bytes())
    }

    /// Opens a webhook endpoint's own signing secret.
    pub fn open_webhook_secret(
        &self,
        id: &crate::domain::WebhookId,
        sealed: &[u8],
    ) -> Option<String> {
        String::from_utf8(self.master.open(id.as_str().as_bytes(), sealed).ok()?).ok()
    }

    /// Seals a mail body under the master key.
    pub fn seal_mail(&self, body: &str) -> Vec<u8> {
        self.master.seal(b"mail", body.as_bytes())
    }

    /// Opens a sealed mail body.
    pub fn open_mail(&self, sealed: &[u8]) -> Option<String> {
        String::from_utf8(self.master.open(b"mail", sealed).ok()?).ok()
    }

    /// Remembers that a PAT was used now, to the minute (`PAT_USE_PRECISION_MS`): a use within
    /// a minute of the last one noted changes nothing. Written later in a batch.
    /// Answers the use noted that covers now.
    pub(crate) fn note_pat_use(&self, id: &str) -> Timestamp {
        let now = self.clock.now();
        let mut uses = self.pat_uses.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&at) = uses.noted.get(id).filter(|&&at| pat_use_covers(at, now)) {
            return at;
        }
        let Ok(id) = PatId::parse(id) else {
            return now;
        };
        if uses.noted.len() >= PAT_USES_REMEMBERED {
            uses.noted.clear();
        }
        uses.noted.insert(id.clone(), now);
        uses.pending.insert(id.clone(), now);
        now
    }

    /// The last use of a PAT not yet written to the store.
    pub fn pending_pat_use(&self, id: &PatId) -> Option<Timestamp> {
        self.pat_uses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pending
            .get(id)
            .copied()
    }

    /// Writes the collected PAT last-use times in one transaction.
    pub async fn flush_pat_uses(&self) -> Result<(), crate::store::StoreError> {
        let batch: Vec<(PatId, Timestamp)> = self
            .pat_uses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pending
            .drain()
            .collect();
        if batch.is_empty() {
            return Ok(());
        }
        // A few hundred per transaction: a sled transaction holds a lock every read waits for.
        for chunk in batch.chunks(256) {
            self.store.touch_pats(chunk).await?;
        }
        Ok(())
    }
}

fn user_spec<'a>(user: &'a User, parent: &'a str, kind: TokenKind) -> TokenSpec<'a> {
    TokenSpec {
        kind,
        subject: user.id.as_str(),
        account: &user.account_id,
        environment: None,
        parent,
        role: Some(user.role.as_str()),
        ttl: None,
        space: None,
        source: None,
    }
}

/// How precisely a PAT's last use is kept: uses closer together than this are noted once.
const PAT_USE_PRECISION_MS: i64 = 60_000;

/// True when a use noted at `at` stands for a use at `now` (same minute, clock not moved back).
fn pat_use_covers(at: Timestamp, now: Timestamp) -> bool {
    (at.0..at.0.saturating_add(PAT_USE_PRECISION_MS)).contains(&now.0)
}

/// PATs whose last noted use is remembered before that memory starts over.
const PAT_USES_REMEMBERED: usize = 100_000;

/// PAT uses seen by this process.
#[derive(Default)]
struct PatUses {
    /// The last use noted per PAT (kept after it is written, to skip uses in the same minute).
    noted: HashMap<PatId, Timestamp>,
    /// Uses not yet written to the store.
    pending: HashMap<PatId, Timestamp>,
}

/// A new API key record whose raw value is sealed under `master` (bound to the key id), and the
/// raw value itself.
pub fn seal_new_api_key(
    master: &MasterKey,
    account: &AccountId,
    environment: &EnvironmentId,
    key_type: ApiKeyType,
    now: Timestamp,
) -> (ApiKey, RawCredential) {
    let kind = match key_type {
        ApiKeyType::Secret => CredentialKind::SecretKey,
        ApiKeyType::Publishable => CredentialKind::PublishableKey,
    };
    let raw = RawCredential::generate(kind);
    let id = ApiKeyId::generate();
    let key = ApiKey {
        sealed_raw: master.seal(id.as_str().as_bytes(), raw.expose().as_bytes()),
        id,
        account_id: account.clone(),
        environment_id: environment.clone(),
        key_type,
        digest: raw.digest(),
        operations: match key_type {
            ApiKeyType::Secret => Vec::new(),
            ApiKeyType::Publishable => Operation::default_publishable(),
        },
        created_at: now,
        updated_at: now,
        expires_at: None,
        replaced_by: None,
    };
    (key, raw)
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_issued_token_is_redacted_in_debug_output() {
        let issued = super::IssuedToken {
            token: "eyJhbGciOiJFZERTQSJ9.secret".into(),
            expires_at: crate::domain::Timestamp(0),
            ttl_seconds: 60,
            jti: "jti".into(),
        };
        let shown = format!("{issued:?}");
        assert!(!shown.contains("eyJ"), "{shown}");
        assert!(
            shown.contains("[redacted]") && shown.contains("jti"),
            "{shown}"
        );
    }
}
