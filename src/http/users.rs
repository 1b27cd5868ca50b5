//! `/v1/users`: list, invite, get, update, delete, resend invitations, and role assignments.

use super::bodies::paged;
use super::extract::{JsonBody, Query};
use super::{audit, data, success, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::{
    AccountId, ActorRoleId, Email, Link, LinkPurpose, Mail, PersonName, Role, RoleId, Timestamp,
    User, UserId,
};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserBody {
    id: String,
    email: String,
    name: String,
    account_id: String,
    idp: &'static str,
    metadata: serde_json::Value,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dashboard: Option<i64>,
    role: &'static str,
    /// False until an invited user has set a password.
    has_password: bool,
    actor_roles: Vec<ActorRoleBody>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ActorRoleBody {
    pub(super) id: String,
    pub(super) role_id: String,
    pub(super) actor_id: String,
    pub(super) resource_id: String,
    pub(super) created_at: String,
    pub(super) updated_at: String,
}

fn actor_role(user: &User) -> ActorRoleBody {
    ActorRoleBody {
        id: user.role_assignment.to_string(),
        role_id: user.role.id().to_string(),
        actor_id: user.id.to_string(),
        resource_id: user.account_id.to_string(),
        created_at: user.role_assigned_at.to_rfc3339(),
        updated_at: user.role_assigned_at.to_rfc3339(),
    }
}

impl From<User> for UserBody {
    fn from(u: User) -> Self {
        Self {
            actor_roles: vec![actor_role(&u)],
            id: u.id.to_string(),
            email: u.email.to_string(),
            name: u.name.as_str().to_owned(),
            account_id: u.account_id.to_string(),
            idp: "latchkey",
            metadata: serde_json::from_str(&u.metadata)
                .unwrap_or_else(|_| serde_json::Value::Object(serde_json::Map::new())),
            created_at: u.created_at.to_rfc3339(),
            updated_at: u.updated_at.to_rfc3339(),
            dashboard: u.dashboard,
            role: u.role.as_str(),
            has_password: u.password.is_some(),
        }
    }
}

/// Loads the user named in the path after `action` is allowed on them.
pub(super) fn target(
    state: &AppState,
    p: &Principal,
    raw: &str,
    action: Action,
) -> Result<User, ApiError> {
    let id = UserId::parse(raw)?;
    authorize(p, action, Resource::user(&p.account_id, &id))?;
    state
        .store
        .user(&id)?
        .filter(|u| u.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("user {id} not found")))
}

pub(super) async fn list_users(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    authorize(&p, Action::ListUsers, Resource::account(&p.account_id))?;
    let page = q.page(20, state.limits.max_page_size)?;
    let email = q.optional("email")?.map(str::to_lowercase);
    let search = q.optional("search")?.map(str::to_lowercase);
    let mut users: Vec<User> = state
        .store
        .users()?
        .into_iter()
        .filter(|u| email.as_ref().is_none_or(|e| u.email.as_str() == e))
        .filter(|u| {
            search.as_ref().is_none_or(|s| {
                u.email.as_str().contains(s) || u.name.as_str().to_lowercase().contains(s)
            })
        })
        .collect();
    sort_users(
        &mut users,
        q.optional("sortField")?,
        q.optional("sortDirection")?,
    )?;
    let (items, pagination) = page.slice(users);
    let items: Vec<UserBody> = items.into_iter().map(UserBody::from).collect();
    Ok(paged(items, pagination))
}

fn sort_users(
    users: &mut [User],
    field: Option<&str>,
    direction: Option<&str>,
) -> Result<(), ApiError> {
    match field.unwrap_or("created_at") {
        "email" => users.sort_by(|a, b| a.email.as_str().cmp(b.email.as_str())),
        "name" => users.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str())),
        "id" => users.sort_by(|a, b| a.id.cmp(&b.id)),
        "created_at" => users.sort_by_key(|u| u.created_at),
        "updated_at" => users.sort_by_key(|u| u.updated_at),
        "idp" | "idp_ref" | "last_seen_at" | "dashboard" => {}
        other => {
            return Err(ApiError::bad_request(
                "sortField",
                format!("cannot sort users by '{other}'"),
            ))
        }
    }
    match direction.unwrap_or("asc") {
        "asc" => Ok(()),
        "desc" => {
            users.reverse();
            Ok(())
        }
        other => Err(ApiError::bad_request(
            "sortDirection",
            format!("sortDirection must be asc or desc, not '{other}'"),
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RoleAssignment {
    role_id: String,
    resource_id: String,
}

impl RoleAssignment {
    /// The role `roleId` names, for an actor of kind `what` ("user", "agent").
    pub(super) fn named_role(&self, what: &str) -> Result<Role, ApiError> {
        let id = RoleId::parse(&self.role_id)?;
        Role::from_id(&id).ok_or_else(|| {
            ApiError::bad_request(
                "roleId",
                format!("{id} is not a {what} role; use us_rol_admin or us_rol_member"),
            )
        })
    }

    /// The `resourceId` the role is held on.
    pub(super) fn resource_id(&self) -> &str {
        &self.resource_id
    }

    fn role(&self, p: &Principal) -> Result<Role, ApiError> {
        let role = self.named_role("user")?;
        if self.resource_id != p.account_id.as_str() {
            return Err(ApiError::bad_request(
                "resourceId",
                "user roles apply to the account; use the account id",
            ));
        }
        Ok(role)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Invite {
    email: String,
    name: String,
    #[serde(default)]
    actor_roles: Vec<RoleAssignment>,
}

/// An `Invite`, parsed: who to invite and with which account role.
struct UserInvite {
    email: Email,
    name: PersonName,
    role: Role,
}

impl Invite {
    /// The invite, its role (Member unless one is named) held on `p`'s account.
    fn parse(
        self,
        p: &Principal,
        text: &crate::domain::limits::TextLimits,
    ) -> Result<UserInvite, ApiError> {
        Ok(UserInvite {
            email: Email::parse(&self.email)?,
            name: PersonName::parse(&self.name, text)?,
            role: match self.actor_roles.as_slice() {
                [] => Role::Member,
                [one] => one.role(p)?,
                _ => {
                    return Err(ApiError::unprocessable(
                        "actorRoles",
                        "a user holds one account role",
                    ))
                }
            },
        })
    }
}

impl UserInvite {
    /// The invited user of `account`, without a password until the invitation is accepted.
    fn user(self, account: &AccountId, now: Timestamp) -> User {
        User {
            id: UserId::generate(),
            account_id: account.clone(),
            email: self.email,
            name: self.name,
            role: self.role,
            password: None,
            role_assignment: ActorRoleId::generate(),
            role_assigned_at: now,
            metadata: "{}".into(),
            dashboard: None,
            created_at: now,
            updated_at: now,
        }
    }
}

pub(super) async fn invite_user(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<Invite>,
) -> Result<HttpResponse, ApiError> {
    authorize(&p, Action::ManageUsers, Resource::account(&p.account_id))?;
    let invite = body.0.parse(&p, &state.limits.text)?;
    room_for_a_user(&state)?;
    let user = invite.user(&p.account_id, state.clock.now());
    let (digest, link, mail) = invitation(&state, &user);
    let event = audit(&state, &p, "user:invited", "user")
        .with_payload(serde_json::json!({ "userId": user.id.as_str(), "email": user.email.as_str(), "role": user.role.as_str() }));
    state
        .store
        .invite_user(&user, &digest, &link, &mail, &event)
        .await?;
    Ok(data(UserBody::from(user)))
}

/// 422 once the account holds `limits.users` users.
fn room_for_a_user(state: &AppState) -> Result<(), ApiError> {
    if state.store.user_count(state.limits.users) >= state.limits.users {
        return Err(ApiError::unprocessable(
            "email",
            format!(
                "an account holds at most {} users (limits.users)",
                state.limits.users
            ),
        ));
    }
    Ok(())
}

/// The single-use set-password link and the mail that carries it.
fn invitation(state: &AppState, user: &User) -> ([u8; 32], Link, Mail) {
    let purpose = LinkPurpose::SetPassword(user.id.clone());
    let (token, link) = state.new_link(purpose, user.account_id.clone());
    let now = link.created_at;
    let url = format!(
        "{}/admin/#/accept?token={}",
        state.public_url,
        token.expose()
    );
    let body = format!(
        "Hello {name},\n\nYou have been invited to Latchkey as {role}. Choose your password here:\n{url}\n\n\
         Or from a terminal:\ncurl -X POST {base}/v1/latchkey/password -H 'Content-Type: application/json' \
         -d '{{\"token\":\"{token}\",\"password\":\"<your password>\"}}'\n\nThe link works once and expires {expires}.\n",
        name = user.name.as_str(),
        role = user.role.as_str(),
        base = state.public_url,
        token = token.expose(),
        expires = link.expires_at.to_rfc3339(),
    );
    let mail = Mail {
        to: user.email.clone(),
        subject: crate::domain::MailSubject::new("You are invited to Latchkey"),
        sealed_body: state.auth.seal_mail(&body),
        account_id: user.account_id.clone(),
        created_at: now,
    };
    (token.digest(), link, mail)
}

pub(super) async fn resend_invite(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = target(&state, &p, &path, Action::ManageUsers)?;
    if user.password.is_some() {
        return Err(ApiError::Conflict(format!(
            "user {} has already accepted the invitation",
            user.id
        )));
    }
    let (digest, link, mail) = invitation(&state, &user);
    let event = audit(&state, &p, "user:invite-resent", "user")
        .with_payload(serde_json::json!({ "userId": user.id.as_str() }));
    state.store.send_link(&digest, &link, &mail, &event).await?;
    Ok(success())
}

pub(super) async fn get_user(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(data(UserBody::from(target(
        &state,
        &p,
        &path,
        Action::ReadUser,
    )?)))
}

#[derive(Deserialize)]
pub(super) struct UserUpdate {
    name: Option<String>,
    dashboard: Option<i64>,
}

pub(super) async fn update_user(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<UserUpdate>,
) -> Result<HttpResponse, ApiError> {
    let mut user = target(&state, &p, &path, Action::UpdateUserProfile)?;
    if let Some(name) = body.0.name {
        user.name = PersonName::parse(&name, &state.limits.text)?;
    }
    if body.0.dashboard.is_some() {
        user.dashboard = body.0.dashboard;
    }
    user.updated_at = state.clock.now();
    let event = audit(&state, &p, "user:updated", "user")
        .with_payload(serde_json::json!({ "userId": user.id.as_str() }));
    state.store.update_user(&user, &event).await?;
    Ok(data(UserBody::from(user)))
}

pub(super) async fn delete_user(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = target(&state, &p, &path, Action::ManageUsers)?;
    let event = audit(&state, &p, "user:deleted", "user").with_payload(
        serde_json::json!({ "userId": user.id.as_str(), "email": user.email.as_str() }),
    );
    state.store.delete_user(&user.id, &event).await?;
    Ok(success())
}

pub(super) async fn list_user_roles(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = target(&state, &p, &path, Action::ReadUser)?;
    Ok(data([actor_role(&user)]))
}

/// Assigns a role (replacing the current one); the last Administrator cannot be demoted.
pub(super) async fn assign_user_role(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<RoleAssignment>,
) -> Result<HttpResponse, ApiError> {
    let user = target(&state, &p, &path, Action::ManageUsers)?;
    let role = body.0.role(&p)?;
    let user = change_role(&state, &p, user, role).await?;
    Ok(data(actor_role(&user)))
}

/// Removes a role assignment: the user falls back to Member.
pub(super) async fn delete_user_role(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, assignment) = path.into_inner();
    let user = target(&state, &p, &user_id, Action::ManageUsers)?;
    if ActorRoleId::parse(&assignment)? != user.role_assignment {
        return Err(ApiError::NotFound(format!(
            "role assignment {assignment} not found"
        )));
    }
    change_role(&state, &p, user, Role::Member).await?;
    Ok(success())
}

async fn change_role(
    state: &AppState,
    p: &Principal,
    mut user: User,
    role: Role,
) -> Result<User, ApiError> {
    let from = user.role;
    user.role = role;
    user.role_assignment = ActorRoleId::generate();
    user.updated_at = state.clock.now();
    user.role_assigned_at = user.updated_at;
    let event = audit(state, p, "user:role-changed", "user")
        .with_payload(serde_json::json!({ "userId": user.id.as_str(), "from": from.as_str(), "to": role.as_str() }));
    state.store.update_user(&user, &event).await?;
    Ok(user)
}
