//! The account, its roles, the mail outbox and accepting an invitation.

use super::extract::{JsonBody, Query};
use super::{audit, data, ApiError, AppState};
use crate::auth::credential::RawCredential;
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::{Role, GUEST_ROLE_ID};
use crate::store::{Account, Event, LinkPurpose, StoreError};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

fn account_body(a: &Account) -> serde_json::Value {
    serde_json::json!({
        "id": a.id.as_str(),
        "name": a.name,
        "metadata": serde_json::from_str::<serde_json::Value>(&a.metadata).unwrap_or_else(|_| serde_json::json!({})),
        "createdAt": a.created_at.to_rfc3339(),
        "updatedAt": a.updated_at.to_rfc3339(),
    })
}

fn current(state: &AppState, p: &Principal) -> Result<Account, ApiError> {
    state
        .store
        .account()?
        .filter(|a| a.id == p.account_id)
        .ok_or_else(|| ApiError::NotFound("account not found".into()))
}

pub(super) async fn get_account(
    p: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&p, Action::ReadAccount, Resource::account(&p.account_id))?;
    Ok(data(account_body(&current(&state, &p)?)))
}

#[derive(Deserialize)]
pub(super) struct AccountUpdate {
    name: Option<String>,
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

pub(super) async fn update_account(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<AccountUpdate>,
) -> Result<HttpResponse, ApiError> {
    authorize(&p, Action::UpdateAccount, Resource::account(&p.account_id))?;
    let mut account = current(&state, &p)?;
    if let Some(name) = body.0.name {
        account.name = crate::domain::PersonName::parse(&name, &state.limits.text)?
            .as_str()
            .to_owned();
    }
    if let Some(metadata) = body.0.metadata {
        account.metadata = super::limited_metadata(
            "metadata",
            serde_json::Value::Object(metadata).to_string(),
            &state.limits.text,
        )?;
    }
    account.updated_at = state.clock.now();
    let event = audit(&state, &p, "account:updated", "account")
        .with_payload(serde_json::json!({ "name": account.name }));
    state.store.update_account(&account, &event).await?;
    Ok(data(account_body(&account)))
}

pub(super) async fn list_roles(
    p: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&p, Action::ReadRoles, Resource::account(&p.account_id))?;
    let account = current(&state, &p)?;
    let at = account.created_at.to_rfc3339();
    let role = |id: &str, name: &str| serde_json::json!({ "id": id, "name": name, "accountId": account.id.as_str(), "createdAt": at, "updatedAt": at });
    Ok(data([
        role(Role::Administrator.id().as_str(), "Administrator"),
        role(Role::Member.id().as_str(), "Member"),
        role(GUEST_ROLE_ID, "Guest"),
    ]))
}

/// `GET /v1/latchkey/outbox`: the mails Latchkey "sent", newest first (Administrators).
pub(super) async fn list_outbox(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    authorize(&p, Action::ReadOutbox, Resource::account(&p.account_id))?;
    let page = q.page(20, state.limits.max_page_size)?;
    let skip = usize::try_from((page.number - 1).saturating_mul(page.size)).unwrap_or(usize::MAX);
    let (mails, total) = state.store.outbox(skip, page.size as usize)?;
    let items: Vec<serde_json::Value> = mails
        .iter()
        .filter(|m| m.account_id == p.account_id)
        .map(|m| {
            serde_json::json!({
                "to": m.to.as_str(),
                "subject": m.subject,
                "body": state.auth.open_mail(&m.sealed_body).unwrap_or_default(),
                "createdAt": m.created_at.to_rfc3339(),
            })
        })
        .collect();
    let pagination = serde_json::json!({
        "currentPage": page.number,
        "pageCount": (total as u64).div_ceil(page.size).max(1),
        "totalCount": total,
    });
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items, "pagination": pagination })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SetPassword {
    token: Option<String>,
    current_password: Option<String>,
    password: String,
}

/// `POST /v1/latchkey/password`: `{token, password}` redeems an invitation link once;
/// `{currentPassword, password}` with a user's credential changes the password.
pub(super) async fn set_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<SetPassword>,
) -> Result<HttpResponse, ApiError> {
    let SetPassword {
        token,
        current_password,
        password,
    } = body.0;
    let count = password.chars().count();
    if !(8..=1024).contains(&count) {
        return Err(ApiError::unprocessable(
            "password",
            "a password has 8 to 1024 characters",
        ));
    }
    let token = match (token, current_password) {
        (Some(token), _) => token,
        (None, Some(current)) => {
            return super::sessions::change_password(&req, &state, current, password).await
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "token",
                "send {token, password} from an invitation, or {currentPassword, password} with your credential",
            ))
        }
    };
    let raw =
        RawCredential::parse(&token).map_err(|e| ApiError::bad_request("token", e.to_string()))?;
    let invalid = || {
        ApiError::bad_request(
            "token",
            "the link is not valid: it was already used, has expired or never existed",
        )
    };
    let link = state
        .store
        .take_link(&raw.digest(), |p| matches!(p, LinkPurpose::SetPassword(_)))
        .await?
        .ok_or_else(invalid)?;
    let now = state.clock.now();
    if now >= link.expires_at {
        return Err(invalid());
    }
    let LinkPurpose::SetPassword(user_id) = link.purpose else {
        return Err(invalid());
    };
    let hash = state
        .hasher
        .hash(password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let event = Event::new("user:password-set", "user", link.account_id.clone(), now)
        .by(Some(user_id.to_string()))
        .with_payload(serde_json::json!({ "userId": user_id.as_str() }));
    let user = match state
        .store
        .set_first_password(&user_id, &hash, now, &event)
        .await
    {
        Ok(user) => user,
        Err(StoreError::Conflict(_) | StoreError::NotFound(_)) => return Err(invalid()),
        Err(other) => return Err(other.into()),
    };
    Ok(data(
        serde_json::json!({ "success": true, "email": user.email.as_str() }),
    ))
}
