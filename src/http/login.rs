//! `POST /v1/auth`: exchange credentials for an access token (the contract's `AccessToken`,
//! served without a `data` envelope).

use super::extract::JsonBody;
use super::{ApiError, AppState};
use crate::auth::{Authenticator, IssuedToken};
use crate::domain::Email;
use crate::store::{Event, User};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// `Credentials`: `{type:"userCredentials", email, password}` or `{type:"apiCredentials",
/// clientId, secret}`; `type` may be left out and is then inferred from the fields.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CredentialsBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    email: Option<String>,
    password: Option<String>,
    client_id: Option<String>,
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
}

pub(super) async fn create_access_token(
    req: HttpRequest,
    auth: web::Data<Authenticator>,
    state: web::Data<AppState>,
    body: JsonBody<CredentialsBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    match body.kind.as_deref() {
        Some("userCredentials") => {}
        None if body.email.is_some() || body.password.is_some() => {}
        Some("apiCredentials") | None if body.client_id.is_some() => {
            return Err(ApiError::bad_request(
                "type",
                "apiCredentials logins are not available yet",
            ))
        }
        Some(other) => {
            return Err(ApiError::bad_request(
                "type",
                format!(
                "unknown credentials type '{other}', expected userCredentials or apiCredentials"
            ),
            ))
        }
        None => {
            return Err(ApiError::bad_request(
                "email",
                "send {email, password} or {clientId, secret}",
            ))
        }
    }
    let email = Email::parse(
        body.email
            .as_deref()
            .ok_or_else(|| ApiError::bad_request("email", "email is required"))?,
    )?;
    let password = body
        .password
        .ok_or_else(|| ApiError::bad_request("password", "password is required"))?;
    if password.len() > 1024 {
        return Err(ApiError::unprocessable(
            "password",
            "password is longer than 1024 bytes",
        ));
    }
    let user = auth.store().user_by_email(&email)?;
    let matches = state
        .hasher
        .verify(password, user.as_ref().and_then(|u| u.password.clone()))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let user = match user {
        Some(user) if matches => user,
        other => {
            record_login(&auth, &req, "auth:login-failed", other.as_ref(), &email).await?;
            return Err(ApiError::LoginFailed(
                "the email or password is wrong".into(),
            ));
        }
    };
    record_login(&auth, &req, "auth:login-succeeded", Some(&user), &email).await?;
    let issued = auth.issue_user_token(&user);
    Ok(HttpResponse::Ok().json(token_body(issued, &user)))
}

fn token_body(issued: IssuedToken, user: &User) -> AccessTokenBody {
    AccessTokenBody {
        access_token: issued.token,
        expires_in: issued.ttl_seconds.to_string(),
        expires: issued.expires_at.to_rfc3339(),
        email: Some(user.email.to_string()),
        user_id: Some(user.id.to_string()),
        account_id: user.account_id.to_string(),
    }
}

/// Records a login decision with the client's address and user agent.
async fn record_login(
    auth: &Authenticator,
    req: &HttpRequest,
    topic: &str,
    user: Option<&User>,
    email: &Email,
) -> Result<(), ApiError> {
    let Some(account) = auth.store().account()? else {
        return Ok(());
    };
    let agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect::<String>());
    let event = Event::new(topic, "auth", account.id, auth.clock().now())
        .by(user.map(|u| u.id.to_string()))
        .with_payload(serde_json::json!({
            "email": email.as_str(),
            "clientAddress": req.peer_addr().map(|a| a.ip().to_string()),
            "userAgent": agent,
        }));
    auth.store().record_events(&[event]).await?;
    Ok(())
}
