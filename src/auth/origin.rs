//! Which browser pages may use which credential: the one check of a request's `Origin`, made
//! by the credential extractors right after the credential resolves.
//!
//! A request without `Origin`, or from Latchkey's own origin, is not cross-origin. A cross-origin
//! request may use a publishable key, a token minted from one (publishable-key and space tokens)
//! or a guest token when its origin is allowed for the credential's environment: listed in the
//! environment's `allowedOrigins` or in `browser.allowed_origins`, or any origin for a
//! non-production environment when `dev.any_origin` is on. Every other credential (secret keys,
//! PATs, login and client tokens) is refused cross-origin unless its origin is listed in
//! `browser.credential_origins`. A request whose origin was checked is marked with `CorsGrant`,
//! so the answer (a refusal too) carries `Access-Control-Allow-Origin` and the page can read it.

use super::{AuthFailure, Authenticator, Principal, PrincipalKind, Via};
use crate::domain::{ApiKeyType, Environment, WebOrigin};
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};
use std::future::{ready, Ready};

/// The origin rules from configuration.
#[derive(Debug, Clone, Default)]
pub struct OriginRules {
    /// Latchkey's own origin (from `server.public_url`).
    pub own: Option<WebOrigin>,
    /// `browser.allowed_origins`: allowed in every environment for embed credentials.
    pub embed_everywhere: Vec<WebOrigin>,
    /// `browser.credential_origins`: allowed for every credential.
    pub any_credential: Vec<WebOrigin>,
    /// `dev.any_origin`: any origin for embed credentials of non-production environments.
    pub any_origin_in_dev: bool,
}

/// Marks a request whose cross-origin page may read the answer.
#[derive(Debug, Clone)]
pub struct CorsGrant;

impl OriginRules {
    /// The request's `Origin` when it is another origin than Latchkey's own.
    pub fn cross_origin(&self, req: &HttpRequest) -> Option<String> {
        let origin = req.headers().get(header::ORIGIN)?;
        let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let same_host = ["http://", "https://"].iter().any(|scheme| {
            !host.is_empty() && origin.eq_ignore_ascii_case(&format!("{scheme}{host}"))
        });
        let own = self.own.as_ref().is_some_and(|o| o.as_str() == origin);
        (!same_host && !own).then_some(origin)
    }

    /// Whether `origin` may use the embed credentials (publishable keys, their tokens, guest
    /// tokens) of `env`.
    pub fn embed_allowed(&self, origin: &str, env: &Environment) -> bool {
        (self.any_origin_in_dev && !env.is_prod)
            || listed(&env.allowed_origins, origin)
            || listed(&self.embed_everywhere, origin)
            || listed(&self.any_credential, origin)
    }

    /// Whether `origin` may use every credential.
    pub fn any_credential_allowed(&self, origin: &str) -> bool {
        listed(&self.any_credential, origin)
    }

    /// Whether some credential may be used from `origin` (what a preflight is answered by).
    pub fn known(&self, origin: &str, environments: &[Environment]) -> bool {
        self.any_credential_allowed(origin)
            || environments.iter().any(|e| self.embed_allowed(origin, e))
    }
}

fn listed(origins: &[WebOrigin], origin: &str) -> bool {
    origins.iter().any(|o| o.as_str() == origin)
}

/// Whether `p` is a credential meant for browser pages: a publishable key, a token minted from
/// one, or a guest token.
fn is_embed_credential(p: &Principal) -> bool {
    match p.via {
        Via::KeyToken | Via::SpaceToken | Via::GuestToken => true,
        Via::ApiKey => matches!(
            p.kind,
            PrincipalKind::Environment {
                key_type: ApiKeyType::Publishable,
                ..
            }
        ),
        Via::LoginToken | Via::PersonalAccessToken | Via::ClientToken => false,
    }
}

/// Admits `p` for this request's origin, or refuses it (403). Called by every credential
/// extractor; no handler checks origins itself.
pub fn admit(req: &HttpRequest, auth: &Authenticator, p: &Principal) -> Result<(), AuthFailure> {
    let Some(rules) = req
        .app_data::<web::Data<crate::state::AppState>>()
        .map(|s| &s.origins)
    else {
        return Ok(());
    };
    let Some(origin) = rules.cross_origin(req) else {
        return Ok(());
    };
    req.extensions_mut().insert(CorsGrant);
    let allowed = rules.any_credential_allowed(&origin)
        || (is_embed_credential(p)
            && match p.environment() {
                Some(env) => auth
                    .store()
                    .environment(env)?
                    .is_some_and(|env| rules.embed_allowed(&origin, &env)),
                None => false,
            });
    if allowed {
        return Ok(());
    }
    Err(AuthFailure::CrossOrigin(if is_embed_credential(p) {
        format!(
            "pages of {origin} may not use this environment's publishable keys or space tokens; \
             add the origin to the environment's allowedOrigins"
        )
    } else {
        format!(
            "this credential may not be used from a browser page of another origin ({origin}); \
             only publishable keys and space or guest tokens may, from an environment's allowedOrigins"
        )
    }))
}

/// After a credential was refused (401), lets a page of a known origin read why: its request
/// passed a preflight (or was a simple one) and the refusal reveals nothing.
pub fn expose_refusal(req: &HttpRequest, auth: &Authenticator) {
    let Some(rules) = req
        .app_data::<web::Data<crate::state::AppState>>()
        .map(|s| &s.origins)
    else {
        return;
    };
    let Some(origin) = rules.cross_origin(req) else {
        return;
    };
    if auth
        .store()
        .environments()
        .is_ok_and(|envs| rules.known(&origin, &envs))
    {
        req.extensions_mut().insert(CorsGrant);
    }
}

/// A publishable key given as the `publishableKey` query parameter (the embed's
/// `POST /v1/internal/spaces/init`), resolved and admitted for the request's origin.
pub struct QueryPublishableKey(pub Principal);

impl FromRequest for QueryPublishableKey {
    type Error = AuthFailure;
    type Future = Ready<Result<Self, AuthFailure>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let outcome = resolve_query_key(req);
        if outcome.is_err() && !req.extensions().contains::<CorsGrant>() {
            if let Some(auth) = req
                .app_data::<web::Data<crate::state::AppState>>()
                .map(|s| &s.auth)
            {
                expose_refusal(req, auth);
            }
        }
        ready(outcome.map(QueryPublishableKey))
    }
}

fn resolve_query_key(req: &HttpRequest) -> Result<Principal, AuthFailure> {
    let Some(auth) = req
        .app_data::<web::Data<crate::state::AppState>>()
        .map(|s| &s.auth)
    else {
        log::error!("the Authenticator is not registered as app data");
        return Err(AuthFailure::Unavailable);
    };
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let mut keys = pairs.iter().filter(|(k, _)| k == "publishableKey");
    let (Some((_, raw)), None) = (keys.next(), keys.next()) else {
        return Err(AuthFailure::Malformed(
            "give the publishable key once, as the publishableKey query parameter".into(),
        ));
    };
    let p = auth.authenticate(raw.trim())?;
    if !matches!(
        (&p.kind, p.via),
        (
            PrincipalKind::Environment {
                key_type: ApiKeyType::Publishable,
                ..
            },
            Via::ApiKey
        )
    ) {
        return Err(AuthFailure::Malformed(
            "publishableKey must be a publishable key (pk_…)".into(),
        ));
    }
    admit(req, auth, &p)?;
    Ok(p)
}
