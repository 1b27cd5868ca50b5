//! Credentials, digests, encryption, token signing, the `Principal` extractor and the policy.

pub mod credential;
pub mod crypto;
pub mod jwt;
pub mod password;
pub mod policy;
mod principal;

pub use principal::{AuthFailure, Principal, PrincipalKind};

use crate::clock::Clock;
use crate::domain::{AccountId, ApiKeyId, ApiKeyType, EnvironmentId, Operation, Timestamp};
use crate::store::User;
use crate::store::{ApiKey, Store};
use credential::{CredentialKind, RawCredential};
use crypto::MasterKey;
use jwt::{Claims, TokenKind, TokenSigner};
use std::sync::Arc;

/// Settings the authenticator needs from configuration.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The extra header that may carry a secret key (lower-case).
    pub api_key_header: String,
    /// Lifetime of access tokens, in seconds.
    pub access_token_ttl_seconds: i64,
    /// The `iss` claim.
    pub issuer: String,
}

/// Resolves credentials to principals and mints credentials. Shared by every request.
#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    clock: Clock,
    signer: Arc<TokenSigner>,
    master: Arc<MasterKey>,
    settings: Arc<AuthSettings>,
}

/// A freshly signed access token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// Its lifetime in seconds.
    pub ttl_seconds: i64,
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
            clock,
            signer: Arc::new(signer),
            master: Arc::new(master),
            settings: Arc::new(settings),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock every expiry check reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
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

    /// Signs a 24-hour (configurable) token for a user who just proved a password.
    pub fn issue_user_token(&self, user: &User) -> IssuedToken {
        let now = self.clock.now();
        let ttl = self.settings.access_token_ttl_seconds;
        let claims = Claims {
            iss: self.settings.issuer.clone(),
            sub: user.id.to_string(),
            acc: user.account_id.to_string(),
            env: None,
            knd: TokenKind::User,
            par: user.id.to_string(),
            role: Some(user.role.as_str().to_owned()),
            iat: now.unix_seconds(),
            exp: now.unix_seconds() + ttl,
            jti: crate::domain::random::base62(16),
        };
        IssuedToken {
            token: self.signer.sign(&claims),
            expires_at: Timestamp::from_unix_seconds(claims.exp),
            ttl_seconds: ttl,
        }
    }
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
