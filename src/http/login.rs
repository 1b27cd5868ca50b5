//! `POST /v1/auth`: exchange a password, client credentials or a publishable key for an access
//! token, and `POST /v1/auth/refresh-token`. Both answer the contract's bare `AccessToken`.

use super::extract::JsonBody;
use super::required::required;
use super::{ApiError, AppState};
use crate::auth::jwt::TokenKind;
use crate::auth::throttle::Attempt;
use crate::auth::{AuthFailure, IssuedToken, Principal, PrincipalKind, TokenSpec};
use crate::domain::{AccountId, ApiKeyType, ClientId, Email, Event, User};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// `Credentials`: `{type:"userCredentials", email, password}`, `{type:"apiCredentials",
/// clientId, secret}`, or Latchkey's `{publishableKey}`; `type` may be left out.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CredentialsBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    email: Option<String>,
    password: Option<String>,
    client_id: Option<String>,
    secret: Option<String>,
    publishable_key: Option<String>,
}

enum Credentials {
    Password { email: Email, password: String },
    Client { id: ClientId, secret: String },
    PublishableKey(String),
}

impl CredentialsBody {
    fn parse(self) -> Result<Credentials, ApiError> {
        let kind = match self.kind.as_deref() {
            Some(kind) => kind,
            None if self.publishable_key.is_some() => "publishableKey",
            None if self.client_id.is_some() => "apiCredentials",
            None if self.email.is_some() => "userCredentials",
            None => {
                return Err(ApiError::bad_request(
                    "type",
                    "send {email, password}, {clientId, secret} or {publishableKey}",
                ))
            }
        };
        match kind {
            "userCredentials" => {
                let email = Email::parse(&required("email", self.email)?)?;
                let password = required("password", self.password)?;
                if password.len() > 1024 {
                    return Err(ApiError::unprocessable("password", "password is longer than 1024 bytes"));
                }
                Ok(Credentials::Password { email, password })
            }
            "apiCredentials" => Ok(Credentials::Client {
                id: ClientId::parse(&required("clientId", self.client_id)?)?,
                secret: required("secret", self.secret)?,
            }),
            "publishableKey" => Ok(Credentials::PublishableKey(required("publishableKey", self.publishable_key)?)),
            other => Err(ApiError::bad_request(
                "type",
                format!("unknown credentials type '{other}', expected userCredentials or apiCredentials"),
            )),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessTokenBody {
    access_token: String,
    expires_in: String,
    expires: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    account_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment_id: Option<String>,
}

fn token_body(
    issued: IssuedToken,
    account: &AccountId,
    user: Option<&User>,
    environment: Option<String>,
) -> HttpResponse {
    HttpResponse::Ok().json(AccessTokenBody {
        access_token: issued.token,
        expires_in: issued.ttl_seconds.to_string(),
        expires: issued.expires_at.to_rfc3339(),
        email: user.map(|u| u.email.to_string()),
        user_id: user.map(|u| u.id.to_string()),
        account_id: account.to_string(),
        environment_id: environment,
    })
}

pub(super) async fn create_access_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<CredentialsBody>,
) -> Result<HttpResponse, ApiError> {
    match body.0.parse()? {
        Credentials::Password { email, password } => {
            password_login(&req, &state, email, password).await
        }
        Credentials::Client { id, secret } => client_login(&req, &state, id, secret).await,
        Credentials::PublishableKey(raw) => key_token(&req, &state, &raw).await,
    }
}

async fn password_login(
    req: &HttpRequest,
    state: &AppState,
    email: Email,
    password: String,
) -> Result<HttpResponse, ApiError> {
    let attempt = begin(req, state, email.as_str()).await?;
    let user = state.store.user_by_email(&email)?;
    let matches = state
        .hasher
        .verify(password, user.as_ref().and_then(|u| u.password.clone()))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let user = match user {
        Some(user) if matches => user,
        other => {
            let payload = serde_json::json!({ "email": bounded(email.as_str()) });
            let actor = other.map(|u| u.id.to_string());
            return refuse(state, req, actor, payload, "the email or password is wrong");
        }
    };
    let payload = serde_json::json!({ "email": email.as_str() });
    admit(state, req, attempt, &user, payload)?;
    let issued = state.auth.start_session(&user).await?;
    Ok(token_body(issued, &user.account_id, Some(&user), None))
}

async fn client_login(
    req: &HttpRequest,
    state: &AppState,
    id: ClientId,
    secret: String,
) -> Result<HttpResponse, ApiError> {
    let attempt = begin(req, state, id.as_str()).await?;
    let client = state.store.client(&id)?;
    let matched = client.filter(|c| state.auth.client_secret_matches(c, &secret));
    let user = match &matched {
        Some(client) => state.store.user(&client.user_id)?,
        None => None,
    };
    let (Some(client), Some(user)) = (matched, user) else {
        let payload = serde_json::json!({ "clientId": id.as_str() });
        return refuse(
            state,
            req,
            None,
            payload,
            "the client id or secret is wrong",
        );
    };
    let payload = serde_json::json!({ "clientId": client.id.as_str() });
    admit(state, req, attempt, &user, payload)?;
    let issued = state
        .auth
        .issue_user_token(&user, client.id.as_str(), TokenKind::Client);
    Ok(token_body(issued, &user.account_id, Some(&user), None))
}

/// A publishable key becomes a 24-hour token with the key's limits; the token dies with the key.
async fn key_token(
    req: &HttpRequest,
    state: &AppState,
    raw: &str,
) -> Result<HttpResponse, ApiError> {
    if !raw.starts_with("pk_") {
        return Err(ApiError::bad_request(
            "publishableKey",
            "only publishable keys (pk_…) are exchanged for tokens",
        ));
    }
    let principal: Principal = state.auth.authenticate(raw)?;
    let PrincipalKind::Environment {
        key_id,
        environment_id,
        key_type: ApiKeyType::Publishable,
        ..
    } = &principal.kind
    else {
        return Err(AuthFailure::Unknown.into());
    };
    let issued = state.auth.issue_token(TokenSpec {
        kind: TokenKind::Publishable,
        subject: key_id.as_str(),
        account: &principal.account_id,
        environment: Some(environment_id),
        parent: key_id.as_str(),
        role: None,
        ttl: None,
        space: None,
        source: None,
    });
    let event = Event::new("auth:token-issued", "auth", principal.account_id.clone(), state.clock.now())
        .in_environment(environment_id)
        .by(Some(key_id.to_string()))
        .with_payload(serde_json::json!({ "from": "publishable-key", "keyId": key_id.as_str(), "clientAddress": address(req) }));
    // Anyone may hold a publishable key: repeats are aggregated per key and per address.
    let address_key = address(req).unwrap_or_default();
    state
        .store
        .record_repeatable_soon(event, &[key_id.as_str(), &address_key])?;
    Ok(token_body(
        issued,
        &principal.account_id,
        None,
        Some(environment_id.to_string()),
    ))
}

/// `POST /auth/refresh-token` with a bare JSON string: the refresh credential is a still-valid
/// access token; the new token has the same subject and parent, which must still exist.
pub(super) async fn refresh_token(
    state: web::Data<AppState>,
    body: JsonBody<String>,
) -> Result<HttpResponse, ApiError> {
    let (issued, principal) = state.auth.refresh(body.0.trim()).await?;
    let user = match &principal.kind {
        PrincipalKind::User { id, .. } => state.store.user(id)?,
        _ => None,
    };
    let environment = principal.environment().map(|e| e.to_string());
    let event = super::audit(&state, &principal, "auth:token-refreshed", "auth")
        .with_payload(serde_json::json!({ "parent": principal.credential_id }));
    state.store.record_events_soon(&[event])?;
    Ok(token_body(
        issued,
        &principal.account_id,
        user.as_ref(),
        environment,
    ))
}

/// Applies the throttle: refuses with 429 (recorded) or waits the growing delay.
pub(super) async fn begin(
    req: &HttpRequest,
    state: &AppState,
    account: &str,
) -> Result<Attempt, ApiError> {
    match state
        .throttle
        .begin(account, super::client_addr::client_ip(req))
    {
        Ok(attempt) => {
            if !attempt.delay.is_zero() {
                actix_web::rt::time::sleep(attempt.delay).await;
            }
            Ok(attempt)
        }
        Err(refusal) => {
            let payload =
                serde_json::json!({ "account": bounded(account), "scope": refusal.scope });
            record(state, req, "auth:login-throttled", None, payload)?;
            Err(ApiError::TooManyRequests {
                message: format!(
                    "too many failed logins for this {}; try again later",
                    refusal.scope
                ),
                retry_after: refusal.retry_after,
            })
        }
    }
}

fn address(req: &HttpRequest) -> Option<String> {
    super::client_addr::client_ip(req).map(|ip| ip.to_string())
}

/// Records an authentication decision with the client's address and user agent.
/// Records a refused login (`actor`: the user it named, when one exists) and answers 401.
fn refuse(
    state: &AppState,
    req: &HttpRequest,
    actor: Option<String>,
    payload: serde_json::Value,
    message: &str,
) -> Result<HttpResponse, ApiError> {
    record(state, req, "auth:login-failed", actor, payload)?;
    Err(ApiError::LoginFailed(message.into()))
}

/// Ends `attempt`'s throttling and records that `user` signed in.
fn admit(
    state: &AppState,
    req: &HttpRequest,
    attempt: crate::auth::throttle::Attempt,
    user: &crate::domain::User,
    payload: serde_json::Value,
) -> Result<(), ApiError> {
    state.throttle.succeeded(attempt);
    let actor = Some(user.id.to_string());
    record(state, req, "auth:login-succeeded", actor, payload)
}

fn record(
    state: &AppState,
    req: &HttpRequest,
    topic: &str,
    actor: Option<String>,
    mut payload: serde_json::Value,
) -> Result<(), ApiError> {
    let Some(account) = state.store.account()? else {
        return Ok(());
    };
    let agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(bounded);
    let client = address(req);
    if let Some(map) = payload.as_object_mut() {
        map.insert("clientAddress".into(), client.clone().into());
        map.insert("userAgent".into(), agent.into());
    }
    let tried = payload
        .get("email")
        .or_else(|| payload.get("clientId"))
        .or_else(|| payload.get("account"))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let event = Event::new(topic, "auth", account.id, state.clock.now())
        .by(actor)
        .with_payload(payload);
    if topic == "auth:login-succeeded" {
        state.store.record_events_soon(&[event])?;
    } else {
        // Refusals come from anyone: repeats per address and per account are aggregated.
        let client = client.unwrap_or_default();
        let tried = tried.unwrap_or_default();
        state
            .store
            .record_repeatable_soon(event, &[client.as_str(), tried.as_str()])?;
    }
    Ok(())
}

/// Attacker-supplied text kept in the audit log (an email tried, a user agent) is cut to
/// this many characters.
const LOGGED_TEXT_CHARS: usize = 64;

fn bounded(text: &str) -> String {
    text.chars().take(LOGGED_TEXT_CHARS).collect()
}
