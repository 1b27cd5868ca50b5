//! Login sessions: `POST /v1/latchkey/logout` ends the caller's session (`?everywhere=true`:
//! every session of the caller), and a password change with the current password ends every
//! other session of the user.

use super::extract::Query;
use super::people::PasswordSet;
use super::{audit, data, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::{Principal, PrincipalKind, Via};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

/// `POST /v1/latchkey/logout[?everywhere=true]`.
pub(super) async fn logout(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let user = own_user(&p)?;
    let everywhere = everywhere(&q)?;
    if !everywhere && p.via != Via::LoginToken {
        return Err(ApiError::unprocessable(
            "everywhere",
            "only a login token has a session to end; send ?everywhere=true to end every session",
        ));
    }
    let event = audit(&state, &p, "auth:logout", "auth")
        .with_payload(serde_json::json!({ "userId": user.as_str(), "everywhere": everywhere }));
    let sessions_ended = if everywhere {
        state.store.end_sessions(&user, None, &event).await?
    } else {
        let ended = state.store.end_session(&user, &p.credential_id, &event);
        usize::from(ended.await?)
    };
    Ok(data(LoggedOut {
        success: true,
        sessions_ended,
    }))
}

/// `{success: true, sessionsEnded}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoggedOut {
    success: bool,
    sessions_ended: usize,
}

/// `?everywhere=`: `true` or `false` (the default).
fn everywhere(q: &Query) -> Result<bool, ApiError> {
    match q.optional("everywhere")? {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::bad_request(
            "everywhere",
            "everywhere must be true or false",
        )),
    }
}

/// The caller's user id, once the policy lets it manage its own credentials.
fn own_user(p: &Principal) -> Result<crate::domain::UserId, ApiError> {
    let PrincipalKind::User { id, .. } = &p.kind else {
        authorize(p, Action::ManageOwnTokens, Resource::account(&p.account_id))?;
        return Err(ApiError::Forbidden("only users have sessions".into()));
    };
    authorize(
        p,
        Action::ManageOwnTokens,
        Resource::user(&p.account_id, id),
    )?;
    Ok(id.clone())
}

/// `POST /v1/latchkey/password {currentPassword, password}` with a user's credential: proves
/// the current password (throttled like a login), sets the new one and ends every other
/// session of the user.
pub(super) async fn change_password(
    req: &HttpRequest,
    state: &AppState,
    current: String,
    password: String,
) -> Result<HttpResponse, ApiError> {
    let p = state
        .auth
        .presented(req)
        .and_then(|raw| state.auth.authenticate(raw))
        .map_err(ApiError::Unauthorized)?;
    let id = own_user(&p)?;
    let user = state
        .store
        .user(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("user {id} not found")))?;
    let attempt = super::login::begin(req, state, user.email.as_str()).await?;
    let matches = state
        .hasher
        .verify(current, user.password.clone())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if !matches || user.password.is_none() {
        return Err(ApiError::unprocessable(
            "currentPassword",
            "the current password is wrong",
        ));
    }
    state.throttle.succeeded(attempt);
    let hash = state
        .hasher
        .hash(password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let keep = (p.via == Via::LoginToken).then_some(p.credential_id.as_str());
    let event = audit(state, &p, "user:password-changed", "user")
        .with_payload(serde_json::json!({ "userId": id.as_str() }));
    let now = state.clock.now();
    state
        .store
        .change_password(&id, &hash, keep, now, &event)
        .await?;
    Ok(data(PasswordSet::from(&user)))
}
