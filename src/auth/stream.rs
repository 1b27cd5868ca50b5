//! Event-stream tokens: short-lived JWTs (`knd: "stream"`) that open the audit log's event
//! stream, and nothing else, with the reach of the credential that asked for one. The token
//! names its parent credential; every read of the stream resolves the parent again, so deleting
//! it (or demoting its user) ends the stream and refuses the token.

use super::jwt::{Claims, TokenKind};
use super::{AuthFailure, Authenticator, IssuedToken, Principal, PrincipalKind, TokenSpec, Via};
use crate::domain::{ApiKeyId, ClientId, EnvironmentId, PatId, SpaceId, Timestamp, UserId};

/// What a stream token may stream: one environment (or, for an Administrator, the account),
/// optionally narrowed to one space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamScope {
    /// The environment, or `None` for every environment of the account.
    pub environment: Option<EnvironmentId>,
    /// The space, if the token is limited to one.
    pub space: Option<SpaceId>,
}

/// A verified stream token: its claims and scope.
#[derive(Debug, Clone)]
pub struct StreamToken {
    /// The claims, which name the parent credential.
    pub claims: Claims,
    /// What it may stream.
    pub scope: StreamScope,
    /// When it stops opening streams (and any stream it opened ends).
    pub expires_at: Timestamp,
}

impl Authenticator {
    /// A stream token for `p` limited to `scope`, living `ttl` seconds and never past the
    /// expiry of the credential `p` presented.
    pub fn issue_stream_token(&self, p: &Principal, scope: &StreamScope, ttl: i64) -> IssuedToken {
        let now = self.clock.now();
        let ttl = match p.expires_at {
            Some(exp) => ttl.min(((exp.0 - now.0) / 1000).max(1)),
            None => ttl,
        };
        self.issue_token(TokenSpec {
            kind: TokenKind::Stream,
            subject: &p.actor_id(),
            account: &p.account_id,
            environment: scope.environment.as_ref(),
            parent: &p.credential_id,
            role: None,
            ttl: Some(ttl),
            space: scope.space.as_ref(),
            source: Some(p.via.as_str()),
        })
    }

    /// Checks a stream token's signature, expiry and kind (not yet its parent).
    pub fn verify_stream_token(&self, token: &str) -> Result<StreamToken, AuthFailure> {
        let claims = self.verified_claims(token)?;
        if claims.knd != TokenKind::Stream {
            return Err(AuthFailure::Malformed(
                "the event stream opens only with an event-stream token (GET /v1/subscription)"
                    .into(),
            ));
        }
        let bad = |what: &str| AuthFailure::Malformed(format!("the token's {what} is not valid"));
        let environment = match &claims.env {
            Some(e) => Some(EnvironmentId::parse(e).map_err(|_| bad("environment"))?),
            None => None,
        };
        let space = match &claims.spc {
            Some(s) => Some(SpaceId::parse(s).map_err(|_| bad("space"))?),
            None => None,
        };
        Ok(StreamToken {
            expires_at: Timestamp::from_unix_seconds(claims.exp),
            claims,
            scope: StreamScope { environment, space },
        })
    }

    /// The principal a stream token stands for now: its parent credential, read again.
    pub fn stream_parent(&self, token: &StreamToken) -> Result<Principal, AuthFailure> {
        let c = &token.claims;
        let exp = Some(token.expires_at);
        let bad = |what: &str| AuthFailure::Malformed(format!("the token's {what} is not valid"));
        let user = |id: &str, via: Via| -> Result<Principal, AuthFailure> {
            let id = UserId::parse(id).map_err(|_| bad("subject"))?;
            let user = self.store.user(&id)?.ok_or(AuthFailure::Revoked)?;
            Ok(Principal::new(super::principal::Caller {
                account_id: user.account_id,
                credential_id: c.par.clone(),
                expires_at: exp,
                via,
                kind: PrincipalKind::User {
                    id: user.id,
                    role: user.role,
                },
            }))
        };
        match c.src.as_deref() {
            Some(v) if v == Via::ApiKey.as_str() || v == Via::KeyToken.as_str() => {
                let id = ApiKeyId::parse(&c.par).map_err(|_| bad("parent"))?;
                let via = if v == Via::ApiKey.as_str() {
                    Via::ApiKey
                } else {
                    Via::KeyToken
                };
                self.key_principal(&id, None, via, exp)
            }
            Some(v) if v == Via::PersonalAccessToken.as_str() => {
                let id = PatId::parse(&c.par).map_err(|_| bad("parent"))?;
                let pat = self.store.pat(&id)?.ok_or(AuthFailure::Revoked)?;
                if pat.user_id.as_str() != c.sub {
                    return Err(bad("parent"));
                }
                user(&c.sub, Via::PersonalAccessToken)
            }
            Some(v) if v == Via::ClientToken.as_str() => {
                let id = ClientId::parse(&c.par).map_err(|_| bad("parent"))?;
                let client = self.store.client(&id)?.ok_or(AuthFailure::Revoked)?;
                if client.user_id.as_str() != c.sub {
                    return Err(bad("parent"));
                }
                user(&c.sub, Via::ClientToken)
            }
            Some(v) if v == Via::LoginToken.as_str() => user(&c.sub, Via::LoginToken),
            _ => Err(bad("parent kind")),
        }
    }
}
