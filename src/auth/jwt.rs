//! Access tokens: compact JWTs signed with Ed25519 (`alg: EdDSA`), published as a JWKS.

use crate::domain::Timestamp;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::signature::{self, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::RwLock;

/// What a token was minted from, which decides what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// From a password login.
    User,
    /// From client credentials (`clientId` + `secret`).
    Client,
    /// From a publishable key.
    Publishable,
    /// A guest's token.
    Guest,
    /// A space's token, from a space created with a publishable key.
    Space,
    /// An event-stream token: opens only the audit log's event stream (`auth::stream`).
    Stream,
}

/// The claims Latchkey puts in every access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer: the server's public URL.
    pub iss: String,
    /// Subject: a user, key or guest id.
    pub sub: String,
    /// Account id.
    pub acc: String,
    /// Environment id, for environment-bound tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// What the token was minted from.
    pub knd: TokenKind,
    /// The parent credential id; the token dies with it.
    pub par: String,
    /// The role at issue time (informational; the server re-reads the current role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
    /// The one space the token is limited to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spc: Option<String>,
    /// How a guest token was obtained (`shared_link`, `magic_link`, `api`); for an event-stream
    /// token, how its parent credential authenticated (`Via::as_str`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
}

/// Why a token was refused before any store lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts, bad JSON, or a header other than our EdDSA key.
    #[error("the access token is malformed")]
    Malformed,
    /// The signature does not verify with our key.
    #[error("the access token's signature is not valid")]
    BadSignature,
    /// `exp` has passed.
    #[error("the access token has expired")]
    Expired,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    kid: String,
}

/// Verified tokens remembered before the cache starts over.
const VERIFIED_CAPACITY: usize = 100_000;

/// Signs and verifies tokens with one Ed25519 key pair.
pub struct TokenSigner {
    pair: Ed25519KeyPair,
    kid: String,
    /// The encoded header every token carries.
    header: String,
    /// Claims of tokens whose signature checked out, by SHA-256 of the whole token. A signature
    /// never stops being valid, so unlike the principal cache this one survives writes; expiry
    /// and revocation are still checked on every use.
    verified: RwLock<HashMap<[u8; 32], Claims>>,
}

impl TokenSigner {
    /// A new PKCS#8 document holding a fresh key pair, for first start.
    pub fn generate_pkcs8() -> Vec<u8> {
        let rng = ring::rand::SystemRandom::new();
        Ed25519KeyPair::generate_pkcs8(&rng)
            .expect("Ed25519 key generation")
            .as_ref()
            .to_vec()
    }

    /// Loads a key pair from PKCS#8.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, ring::error::KeyRejected> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8)?;
        let kid = B64.encode(&super::crypto::sha256(pair.public_key().as_ref())[..12]);
        let header =
            B64.encode(serde_json::json!({ "alg": "EdDSA", "typ": "JWT", "kid": kid }).to_string());
        Ok(Self {
            pair,
            kid,
            header,
            verified: RwLock::default(),
        })
    }

    /// The key id in every token header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A signed compact JWT for `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        // Claims hold only strings and integers, which always serialize.
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let mut token = String::with_capacity(self.header.len() + payload.len() * 4 / 3 + 96);
        token.push_str(&self.header);
        token.push('.');
        B64.encode_string(&payload, &mut token);
        let sig = self.pair.sign(token.as_bytes());
        token.push('.');
        B64.encode_string(sig.as_ref(), &mut token);
        token
    }

    /// Checks shape, header, signature and expiry (against `now`), and returns the claims.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<Claims, TokenError> {
        let claims = self.verify_signature(token)?;
        if claims.exp <= now.unix_seconds() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    /// Checks shape, header and signature only; expiry is the caller's business.
    pub fn verify_signature(&self, token: &str) -> Result<Claims, TokenError> {
        if token.len() > 8192 {
            return Err(TokenError::Malformed);
        }
        let digest = super::crypto::sha256(token.as_bytes());
        let verified = self.verified.read().unwrap_or_else(|p| p.into_inner());
        if let Some(claims) = verified.get(&digest) {
            return Ok(claims.clone());
        }
        drop(verified);
        let claims = self.check_signature(token)?;
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= VERIFIED_CAPACITY {
            verified.clear();
        }
        verified.insert(digest, claims.clone());
        Ok(claims)
    }

    fn check_signature(&self, token: &str) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_json(h)?;
        if header.alg != "EdDSA" || header.kid != self.kid {
            return Err(TokenError::Malformed);
        }
        let sig = B64.decode(s).map_err(|_| TokenError::Malformed)?;
        let public = UnparsedPublicKey::new(&signature::ED25519, self.pair.public_key().as_ref());
        let signing_input = &token[..h.len() + 1 + p.len()];
        public
            .verify(signing_input.as_bytes(), &sig)
            .map_err(|_| TokenError::BadSignature)?;
        decode_json(p)
    }

    /// The JSON Web Key Set that lets other services verify our tokens offline.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": self.kid,
                "x": B64.encode(self.pair.public_key().as_ref()),
            }]
        })
    }
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, TokenError> {
    let bytes = B64.decode(part).map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: "http://x".into(),
            sub: "us_usr_1".into(),
            acc: "us_acc_1".into(),
            env: None,
            knd: TokenKind::User,
            par: "us_usr_1".into(),
            role: None,
            iat: 0,
            exp,
            jti: "j".into(),
            spc: None,
            src: None,
        }
    }

    #[test]
    fn signed_tokens_verify_until_they_expire() {
        let signer = TokenSigner::from_pkcs8(&TokenSigner::generate_pkcs8()).unwrap();
        let token = signer.sign(&claims(100));
        assert_eq!(
            signer
                .verify(&token, Timestamp::from_unix_seconds(99))
                .unwrap(),
            claims(100)
        );
        assert_eq!(
            signer.verify(&token, Timestamp::from_unix_seconds(100)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tampered_none_and_foreign_tokens_are_refused() {
        let signer = TokenSigner::from_pkcs8(&TokenSigner::generate_pkcs8()).unwrap();
        let other = TokenSigner::from_pkcs8(&TokenSigner::generate_pkcs8()).unwrap();
        let token = signer.sign(&claims(100));
        let now = Timestamp(0);
        let (hp, _) = token.rsplit_once('.').unwrap();
        assert_eq!(
            signer.verify(&format!("{hp}."), now),
            Err(TokenError::BadSignature)
        );
        let none = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none","kid":"x"}"#),
            B64.encode(b"{}")
        );
        assert_eq!(signer.verify(&none, now), Err(TokenError::Malformed));
        assert_eq!(
            signer.verify(&other.sign(&claims(100)), now),
            Err(TokenError::Malformed)
        );
        let mut forged = claims(100);
        forged.sub = "us_usr_2".into();
        let forged_payload = B64.encode(serde_json::to_vec(&forged).unwrap());
        let parts: Vec<&str> = token.split('.').collect();
        let swapped = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(signer.verify(&swapped, now), Err(TokenError::BadSignature));
    }
}
