//! Every request resolves once, here, to a `Principal` or a refusal with a reason code.

use super::credential::{CredentialKind, MalformedCredential, RawCredential};
use super::jwt::{Claims, TokenError, TokenKind};
use super::Authenticator;
use crate::domain::{
    AccountId, ApiKeyId, ApiKeyType, ClientId, EnvironmentId, Operation, PatId, Role, Timestamp,
    UserId,
};
use crate::domain::{ClipGrant, CredentialRef, Grant, GuestAuthentication, GuestId, SpaceId};
use crate::store::StoreError;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use std::future::{ready, Ready};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Who is calling, after the credential was checked against the store: a shared handle to the
/// `Caller`, so that a cached answer is handed to a request without copying it.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal(Arc<Resolved>);

/// A caller, and (for a PAT) when its last use was noted, so that a cached PAT's requests within
/// the same minute skip the shared last-use table.
#[derive(Debug)]
struct Resolved {
    caller: Caller,
    /// Milliseconds of the last noted use; `i64::MIN` when none was noted through this handle.
    use_noted_at: AtomicI64,
}

impl PartialEq for Resolved {
    fn eq(&self, other: &Self) -> bool {
        self.caller == other.caller
    }
}

impl Principal {
    /// Wraps a resolved caller.
    pub fn new(caller: Caller) -> Self {
        Self(Arc::new(Resolved {
            caller,
            use_noted_at: AtomicI64::new(i64::MIN),
        }))
    }

    /// The last use noted through this handle, if any.
    pub(super) fn use_noted_at(&self) -> Option<Timestamp> {
        match self.0.use_noted_at.load(Ordering::Relaxed) {
            i64::MIN => None,
            at => Some(Timestamp(at)),
        }
    }

    /// Remembers the use noted for this caller's credential.
    pub(super) fn set_use_noted_at(&self, at: Timestamp) {
        self.0.use_noted_at.store(at.0, Ordering::Relaxed);
    }
}

impl std::ops::Deref for Principal {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0.caller
    }
}

/// What a presented credential resolved to.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The account the caller belongs to.
    pub account_id: AccountId,
    /// What kind of caller this is.
    pub kind: PrincipalKind,
    /// The id of the credential presented (a key, PAT or token parent), for audit.
    pub credential_id: String,
    /// When the presented credential stops working, if it does.
    pub expires_at: Option<Timestamp>,
    /// How the caller authenticated.
    pub via: Via,
}

/// The credential a principal was resolved from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// An access token from a password login.
    LoginToken,
    /// A personal access token.
    PersonalAccessToken,
    /// An access token from client credentials.
    ClientToken,
    /// An environment API key.
    ApiKey,
    /// An access token from a publishable key.
    KeyToken,
    /// A guest token.
    GuestToken,
    /// The access token of a space created with a publishable key.
    SpaceToken,
}

impl Via {
    /// The name `whoami` shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginToken => "login-token",
            Self::PersonalAccessToken => "personal-access-token",
            Self::ClientToken => "client-credentials-token",
            Self::ApiKey => "api-key",
            Self::KeyToken => "publishable-key-token",
            Self::GuestToken => "guest-token",
            Self::SpaceToken => "space-token",
        }
    }
}

/// The kinds of caller.
#[derive(Debug, Clone, PartialEq)]
pub enum PrincipalKind {
    /// A team member, through a login token.
    User {
        /// The user.
        id: UserId,
        /// Their role now (re-read on every request).
        role: Role,
    },
    /// An environment API key, or a token minted from one.
    Environment {
        /// The key.
        key_id: ApiKeyId,
        /// Its environment.
        environment_id: EnvironmentId,
        /// Secret or publishable.
        key_type: ApiKeyType,
        /// The allow-list (publishable keys).
        operations: Vec<Operation>,
    },
    /// A guest, with the grants it holds at this request.
    Guest {
        /// The guest.
        id: GuestId,
        /// Its environment.
        environment_id: EnvironmentId,
        /// The one space its token is limited to, if any.
        scope: Option<SpaceId>,
        /// Its grants, read from the store on this request.
        grants: Vec<Grant>,
        /// The data clips it is a guest of, read from the store on this request.
        clips: Vec<ClipGrant>,
        /// Whether the token came from a space's shared link (an address nobody proved).
        shared_link: bool,
    },
    /// The token of a space created with a publishable key: that space only.
    SpaceToken {
        /// The space.
        space_id: SpaceId,
        /// Its environment.
        environment_id: EnvironmentId,
        /// The publishable key it came from.
        key_id: ApiKeyId,
    },
}

impl Caller {
    /// The id to record as an event's actor: a user or key id, never a raw credential.
    pub fn actor_id(&self) -> String {
        match &self.kind {
            PrincipalKind::User { id, .. } => id.to_string(),
            PrincipalKind::Environment { key_id, .. }
            | PrincipalKind::SpaceToken { key_id, .. } => key_id.to_string(),
            PrincipalKind::Guest { id, .. } => id.to_string(),
        }
    }

    /// The environment an environment-bound caller is limited to.
    pub fn environment(&self) -> Option<&EnvironmentId> {
        match &self.kind {
            PrincipalKind::Environment { environment_id, .. }
            | PrincipalKind::Guest { environment_id, .. }
            | PrincipalKind::SpaceToken { environment_id, .. } => Some(environment_id),
            PrincipalKind::User { .. } => None,
        }
    }
}

/// Why a credential was refused. The reason code goes in the 401 body's `key`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// No credential was sent.
    #[error("no credential was presented; send Authorization: Bearer <key or token>")]
    Missing,
    /// Bad prefix, shape, checksum or token signature.
    #[error("the credential is malformed: {0}")]
    Malformed(String),
    /// Well formed, but no such credential exists.
    #[error("the credential is not known to this server")]
    Unknown,
    /// The access token's lifetime is over.
    #[error("the access token has expired")]
    Expired,
    /// The credential, or the one the token was minted from, was deleted.
    #[error("the credential was revoked")]
    Revoked,
    /// The key was rotated and its grace period has ended.
    #[error("the key was rotated and its grace period has ended")]
    RotatedGraceEnded,
    /// The store could not be read.
    #[error("the credential could not be checked")]
    Unavailable,
    /// A valid credential used from a browser page whose origin may not use it (403).
    #[error("{0}")]
    CrossOrigin(String),
}

impl AuthFailure {
    /// The machine-readable reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed(_) => "malformed",
            Self::Unknown => "unknown",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::RotatedGraceEnded => "rotated-grace-ended",
            Self::Unavailable => "unavailable",
            Self::CrossOrigin(_) => "origin-not-allowed",
        }
    }
}

impl From<StoreError> for AuthFailure {
    fn from(e: StoreError) -> Self {
        log::error!("credential lookup failed: {e}");
        Self::Unavailable
    }
}

impl Authenticator {
    /// Finds the credential in a request: `Authorization: Bearer …`, else the API-key header.
    pub fn presented<'r>(&self, req: &'r HttpRequest) -> Result<&'r str, AuthFailure> {
        // Credentials are ASCII; `is_ascii` and `from_utf8` check a long JWT faster than
        // `HeaderValue::to_str` does, byte by byte.
        let ascii = |bytes: &'r [u8]| std::str::from_utf8(bytes).ok().filter(|t| t.is_ascii());
        if let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
            let text = ascii(value.as_bytes()).ok_or_else(|| {
                AuthFailure::Malformed("the Authorization header is not ASCII".into())
            })?;
            let (scheme, token) = text.split_once(' ').ok_or_else(|| {
                AuthFailure::Malformed("expected Authorization: Bearer <credential>".into())
            })?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(AuthFailure::Malformed(
                    "only the Bearer scheme is supported".into(),
                ));
            }
            return Ok(token.trim());
        }
        if let Some(value) = req.headers().get(self.api_key_header()) {
            let text = ascii(value.as_bytes())
                .ok_or_else(|| AuthFailure::Malformed("the API key header is not ASCII".into()))?
                .trim();
            if !text.starts_with(CredentialKind::SecretKey.prefix()) {
                return Err(AuthFailure::Malformed(format!(
                    "the {} header carries only secret keys (sk_…); send publishable keys, personal access tokens and access tokens as Authorization: Bearer <credential>",
                    self.api_key_header()
                )));
            }
            return Ok(text);
        }
        Err(AuthFailure::Missing)
    }

    /// Resolves a presented credential to a principal, or says why not. Successful answers are
    /// cached until the next write to the store (any write: revocation clears them before the
    /// revoking request returns) or the credential's expiry.
    pub fn authenticate(&self, presented: &str) -> Result<Principal, AuthFailure> {
        let generation = self.store.generation();
        let key = super::crypto::sha256(presented.as_bytes());
        let now = self.clock.now();
        if let Some(principal) = self.cache.get(&key, generation, now) {
            if principal.via == Via::PersonalAccessToken
                && !principal
                    .use_noted_at()
                    .is_some_and(|at| super::pat_use_covers(at, now))
            {
                principal.set_use_noted_at(self.note_pat_use(&principal.credential_id));
            }
            return Ok(principal);
        }
        let principal = self.authenticate_uncached(presented)?;
        self.cache.put(key, generation, &principal);
        Ok(principal)
    }

    fn authenticate_uncached(&self, presented: &str) -> Result<Principal, AuthFailure> {
        if presented.starts_with("eyJ") {
            return self.authenticate_token(presented).map(|(p, _)| p);
        }
        let raw = RawCredential::parse(presented)
            .map_err(|e: MalformedCredential| AuthFailure::Malformed(e.to_string()))?;
        if matches!(
            raw.kind(),
            CredentialKind::ClientSecret | CredentialKind::LinkToken
        ) {
            return Err(AuthFailure::Malformed(
                "client secrets and link tokens are exchanged for tokens, not used as Bearer credentials".into(),
            ));
        }
        let digest = raw.digest();
        match self.store.credential_by_digest(&digest)? {
            Some(CredentialRef::ApiKey(id)) => {
                self.key_principal(&id, Some(&digest), Via::ApiKey, None)
            }
            Some(CredentialRef::Pat(id)) => self.pat_principal(&id, &digest),
            Some(CredentialRef::Revoked(_)) => Err(AuthFailure::Revoked),
            None => Err(AuthFailure::Unknown),
        }
    }

    pub(super) fn key_principal(
        &self,
        id: &ApiKeyId,
        digest: Option<&[u8; 32]>,
        via: Via,
        token_exp: Option<Timestamp>,
    ) -> Result<Principal, AuthFailure> {
        let key = self.store.api_key(id)?.ok_or(AuthFailure::Revoked)?;
        if digest.is_some_and(|d| !super::crypto::constant_time_eq(&key.digest, d)) {
            return Err(AuthFailure::Unknown);
        }
        if !key.is_active_at(self.clock.now()) {
            return Err(AuthFailure::RotatedGraceEnded);
        }
        let expires_at = match (key.expires_at, token_exp) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Principal::new(Caller {
            account_id: key.account_id,
            credential_id: key.id.to_string(),
            expires_at,
            via,
            kind: PrincipalKind::Environment {
                key_id: key.id,
                environment_id: key.environment_id,
                key_type: key.key_type,
                operations: key.operations,
            },
        }))
    }

    fn pat_principal(&self, id: &PatId, digest: &[u8; 32]) -> Result<Principal, AuthFailure> {
        let pat = self.store.pat(id)?.ok_or(AuthFailure::Revoked)?;
        if !super::crypto::constant_time_eq(&pat.digest, digest) {
            return Err(AuthFailure::Unknown);
        }
        let user = self.store.user(&pat.user_id)?.ok_or(AuthFailure::Revoked)?;
        let noted = self.note_pat_use(pat.id.as_str());
        let principal = Principal::new(Caller {
            account_id: user.account_id,
            credential_id: pat.id.to_string(),
            expires_at: None,
            via: Via::PersonalAccessToken,
            kind: PrincipalKind::User {
                id: user.id,
                role: user.role,
            },
        });
        principal.set_use_noted_at(noted);
        Ok(principal)
    }

    /// The claims of a token this server signed and that has not expired.
    pub(super) fn verified_claims(&self, token: &str) -> Result<Claims, AuthFailure> {
        self.signer
            .verify(token, self.clock.now())
            .map_err(|e| match e {
                TokenError::Expired => AuthFailure::Expired,
                other => AuthFailure::Malformed(other.to_string()),
            })
    }

    /// Verifies an access token and its parent credential; returns the principal and claims.
    pub fn authenticate_token(&self, token: &str) -> Result<(Principal, Claims), AuthFailure> {
        let claims = self.verified_claims(token)?;
        let exp = Timestamp::from_unix_seconds(claims.exp);
        let bad = |what: &str| AuthFailure::Malformed(format!("the token's {what} is not valid"));
        let principal = match claims.knd {
            TokenKind::User | TokenKind::Client => {
                let id = UserId::parse(&claims.sub).map_err(|_| bad("subject"))?;
                let via = if claims.knd == TokenKind::Client {
                    let client_id = ClientId::parse(&claims.par).map_err(|_| bad("parent"))?;
                    let client = self.store.client(&client_id)?.ok_or(AuthFailure::Revoked)?;
                    if client.user_id != id {
                        return Err(bad("parent"));
                    }
                    Via::ClientToken
                } else {
                    // A login token lives while its session does, and only as its current token.
                    let session = self
                        .store
                        .session(&claims.par)?
                        .ok_or(AuthFailure::Revoked)?;
                    if session.user_id != id || session.token_id != claims.jti {
                        return Err(AuthFailure::Revoked);
                    }
                    if self.clock.now() >= session.expires_at {
                        return Err(AuthFailure::Expired);
                    }
                    Via::LoginToken
                };
                let user = self.store.user(&id)?.ok_or(AuthFailure::Revoked)?;
                Principal::new(Caller {
                    account_id: user.account_id,
                    credential_id: claims.par.clone(),
                    expires_at: Some(exp),
                    via,
                    kind: PrincipalKind::User {
                        id: user.id,
                        role: user.role,
                    },
                })
            }
            TokenKind::Publishable => {
                let id = ApiKeyId::parse(&claims.par).map_err(|_| bad("parent"))?;
                self.key_principal(&id, None, Via::KeyToken, Some(exp))?
            }
            TokenKind::Guest => self.guest_principal(&claims, exp)?,
            TokenKind::Space => self.space_token_principal(&claims, exp)?,
            TokenKind::Stream => {
                return Err(AuthFailure::Malformed(
                    "an event-stream token only opens GET /v1/latchkey/events/stream".into(),
                ))
            }
        };
        Ok((principal, claims))
    }
}

impl Authenticator {
    fn guest_principal(&self, claims: &Claims, exp: Timestamp) -> Result<Principal, AuthFailure> {
        let bad = |what: &str| AuthFailure::Malformed(format!("the token's {what} is not valid"));
        let id = GuestId::parse(&claims.sub).map_err(|_| bad("subject"))?;
        let guest = self.store.guest(&id)?.ok_or(AuthFailure::Revoked)?;
        let scope = match &claims.spc {
            Some(s) => Some(SpaceId::parse(s).map_err(|_| bad("space"))?),
            None => None,
        };
        let shared_link = claims.src.as_deref() == Some("shared_link");
        if shared_link {
            let space = scope.as_ref().ok_or_else(|| bad("space"))?;
            if !self.allows(space, GuestAuthentication::SharedLink)? {
                return Err(AuthFailure::Revoked);
            }
        }
        let grants = self.store.grants_of(&guest.id)?;
        let clips = self.store.clip_grants_of(&guest.id)?;
        Ok(Principal::new(Caller {
            account_id: guest.account_id,
            credential_id: claims.par.clone(),
            expires_at: Some(exp),
            via: Via::GuestToken,
            kind: PrincipalKind::Guest {
                id: guest.id,
                environment_id: guest.environment_id,
                scope,
                grants,
                clips,
                shared_link,
            },
        }))
    }

    fn space_token_principal(
        &self,
        claims: &Claims,
        exp: Timestamp,
    ) -> Result<Principal, AuthFailure> {
        let bad = |what: &str| AuthFailure::Malformed(format!("the token's {what} is not valid"));
        let key_id = ApiKeyId::parse(&claims.par).map_err(|_| bad("parent"))?;
        let key = self.key_principal(&key_id, None, Via::SpaceToken, Some(exp))?;
        let space_id = SpaceId::parse(&claims.sub).map_err(|_| bad("subject"))?;
        let space = self.store.space(&space_id)?.ok_or(AuthFailure::Revoked)?;
        Ok(Principal::new(Caller {
            account_id: key.account_id.clone(),
            credential_id: key.credential_id.clone(),
            expires_at: key.expires_at,
            via: Via::SpaceToken,
            kind: PrincipalKind::SpaceToken {
                space_id: space.id,
                environment_id: space.environment_id,
                key_id,
            },
        }))
    }

    /// Whether a space (or, when it does not say, its environment) allows a guest sign-in method.
    pub fn allows(
        &self,
        space: &SpaceId,
        method: GuestAuthentication,
    ) -> Result<bool, AuthFailure> {
        let Some(space) = self.store.space(space)? else {
            return Ok(false);
        };
        let Some(env) = self.store.environment(&space.environment_id)? else {
            return Ok(false);
        };
        Ok(space.sign_in_methods(&env).contains(&method))
    }
}

impl FromRequest for Principal {
    type Error = AuthFailure;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(auth) = req
            .app_data::<web::Data<crate::state::AppState>>()
            .map(|s| &s.auth)
        else {
            log::error!("the Authenticator is not registered as app data");
            return ready(Err(AuthFailure::Unavailable));
        };
        let outcome = auth.presented(req).and_then(|presented| {
            let p = auth.authenticate(presented)?;
            super::origin::admit(req, auth, &p)?;
            Ok(p)
        });
        if matches!(&outcome, Err(f) if !matches!(f, AuthFailure::CrossOrigin(_))) {
            super::origin::expose_refusal(req, auth);
        }
        auth.usage().note(auth, req, &outcome);
        ready(outcome)
    }
}
