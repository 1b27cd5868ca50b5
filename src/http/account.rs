//! The account, its roles, the mail outbox and accepting an invitation.

use super::bodies::paged;
use super::extract::{JsonBody, Query};
use super::people::PasswordSet;
use super::{audit, data, ApiError, AppState};
use crate::auth::credential::RawCredential;
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::{Account, Event, LinkPurpose, Role, GUEST_ROLE_ID};
use crate::store::StoreError;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// The contract's `Account`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountBody {
    id: String,
    name: String,
    metadata: serde_json::Value,
    created_at: String,
    updated_at: String,
}

impl From<&Account> for AccountBody {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name.clone(),
            metadata: serde_json::from_str(&a.metadata)
                .unwrap_or_else(|_| serde_json::Value::Object(serde_json::Map::new())),
            created_at: a.created_at.to_rfc3339(),
            updated_at: a.updated_at.to_rfc3339(),
        }
    }
}

/// The contract's `Role`: one of the account's three fixed roles.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleBody {
    id: String,
    name: &'static str,
    account_id: String,
    created_at: String,
    updated_at: String,
}

/// A mail in the outbox, opened.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MailBody {
    to: String,
    subject: String,
    body: String,
    created_at: String,
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
    Ok(data(AccountBody::from(&current(&state, &p)?)))
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
    Ok(data(AccountBody::from(&account)))
}

pub(super) async fn list_roles(
    p: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&p, Action::ReadRoles, Resource::account(&p.account_id))?;
    let account = current(&state, &p)?;
    let role = |id: &str, name| RoleBody {
        id: id.to_owned(),
        name,
        account_id: account.id.to_string(),
        created_at: account.created_at.to_rfc3339(),
        updated_at: account.created_at.to_rfc3339(),
    };
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
    let items: Vec<MailBody> = mails
        .iter()
        .filter(|m| m.account_id == p.account_id)
        .map(|m| MailBody {
            to: m.to.to_string(),
            subject: m.subject.as_str().to_owned(),
            body: state.auth.open_mail(&m.sealed_body).unwrap_or_default(),
            created_at: m.created_at.to_rfc3339(),
        })
        .collect();
    Ok(paged(items, page.pagination(total as u64)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SetPassword {
    token: Option<String>,
    current_password: Option<String>,
    password: String,
}

/// A `SetPassword`, parsed: redeem an invitation link, or change the caller's password.
enum PasswordPlan {
    Redeem {
        token: RawCredential,
        password: String,
    },
    Change {
        current: String,
        password: String,
    },
}

impl TryFrom<SetPassword> for PasswordPlan {
    type Error = ApiError;

    fn try_from(body: SetPassword) -> Result<Self, ApiError> {
        let SetPassword {
            token,
            current_password,
            password,
        } = body;
        if !(8..=1024).contains(&password.chars().count()) {
            return Err(ApiError::unprocessable(
                "password",
                "a password has 8 to 1024 characters",
            ));
        }
        match (token, current_password) {
            (Some(token), _) => Ok(Self::Redeem {
                token: RawCredential::parse(&token)
                    .map_err(|e| ApiError::bad_request("token", e.to_string()))?,
                password,
            }),
            (None, Some(current)) => Ok(Self::Change { current, password }),
            (None, None) => Err(ApiError::bad_request(
                "token",
                "send {token, password} from an invitation, or {currentPassword, password} with your credential",
            )),
        }
    }
}

/// `POST /v1/latchkey/password`: `{token, password}` redeems an invitation link once;
/// `{currentPassword, password}` with a user's credential changes the password.
pub(super) async fn set_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<SetPassword>,
) -> Result<HttpResponse, ApiError> {
    match PasswordPlan::try_from(body.0)? {
        PasswordPlan::Redeem { token, password } => accept(&state, &token, password).await,
        PasswordPlan::Change { current, password } => {
            super::sessions::change_password(&req, &state, current, password).await
        }
    }
}

/// Redeems an invitation's set-password link once: the invited user's first password.
async fn accept(
    state: &AppState,
    token: &RawCredential,
    password: String,
) -> Result<HttpResponse, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "token",
            "the link is not valid: it was already used, has expired or never existed",
        )
    };
    let link = state
        .store
        .take_link(&token.digest(), |p| {
            matches!(p, LinkPurpose::SetPassword(_))
        })
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
    match state
        .store
        .set_first_password(&user_id, &hash, now, &event)
        .await
    {
        Ok(user) => Ok(data(PasswordSet::from(&user))),
        Err(StoreError::Conflict(_) | StoreError::NotFound(_)) => Err(invalid()),
        Err(other) => Err(other.into()),
    }
}
