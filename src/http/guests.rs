//! `/v1/guests`: guests and their space and workbook grants, guest tokens and guest roles.

use super::extract::{JsonBody, Query};
use super::spaces::load as load_space;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::jwt::TokenKind;
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::{Principal, TokenSpec};
use crate::domain::{
    ActorRoleId, Email, EnvironmentId, GuestId, PersonName, RoleId, SpaceId, WorkbookId,
    GUEST_ROLE_ID,
};
use crate::store::{Event, Grant, Guest, GuestPlan};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// Guest tokens last one hour.
pub(super) const GUEST_TOKEN_TTL: i64 = 3600;

pub(super) fn guest_body(guest: &Guest, grants: &[Grant]) -> serde_json::Value {
    let spaces: Vec<serde_json::Value> = grants
        .iter()
        .map(|g| {
            let mut space = serde_json::json!({ "id": g.space_id.as_str() });
            if let Some(wbs) = &g.workbooks {
                space["workbooks"] = wbs
                    .iter()
                    .map(|w| serde_json::json!({ "id": w.as_str() }))
                    .collect();
            }
            if let Some(sheets) = &g.sheets {
                space["sheets"] = sheets
                    .iter()
                    .map(|s| serde_json::json!({ "id": s }))
                    .collect();
            }
            space
        })
        .collect();
    serde_json::json!({
        "id": guest.id.as_str(),
        "environmentId": guest.environment_id.as_str(),
        "email": guest.email.as_str(),
        "name": guest.name.as_str(),
        "spaces": spaces,
        "createdAt": guest.created_at.to_rfc3339(),
        "updatedAt": guest.updated_at.to_rfc3339(),
    })
}

#[derive(Deserialize)]
pub(super) struct IdRef {
    id: String,
}

/// `GuestSpace`: a space, optionally narrowed to workbooks.
#[derive(Deserialize)]
pub(super) struct GuestSpace {
    id: String,
    workbooks: Option<Vec<IdRef>>,
    sheets: Option<Vec<IdRef>>,
}

impl GuestSpace {
    fn grant(&self, guest: &GuestId, now: crate::domain::Timestamp) -> Result<Grant, ApiError> {
        let workbooks = match &self.workbooks {
            Some(list) if list.len() > 100 => {
                return Err(ApiError::unprocessable(
                    "workbooks",
                    "at most 100 workbooks per grant",
                ))
            }
            Some(list) => Some(
                list.iter()
                    .map(|w| WorkbookId::parse(&w.id))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        Ok(Grant {
            guest_id: guest.clone(),
            space_id: SpaceId::parse(&self.id)?,
            workbooks,
            sheets: self
                .sheets
                .as_ref()
                .map(|s| s.iter().map(|r| r.id.chars().take(64).collect()).collect()),
            assignment: ActorRoleId::generate(),
            created_at: now,
        })
    }
}

/// `GuestConfig` (create) and `GuestConfigUpdate` (patch).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GuestConfig {
    environment_id: Option<String>,
    email: Option<String>,
    name: Option<String>,
    spaces: Option<Vec<GuestSpace>>,
}

/// Checks that `p` may grant `grant` (guests: never wider than their own grant, and only when
/// the space and environment let guests invite).
fn authorize_grant(
    state: &AppState,
    p: &Principal,
    env: &EnvironmentId,
    grant: &Grant,
) -> Result<(), ApiError> {
    let missing = || ApiError::NotFound(format!("space {} not found", grant.space_id));
    let space = state
        .store
        .space(&grant.space_id)?
        .filter(|s| s.account_id == p.account_id && s.environment_id == *env)
        .ok_or_else(missing)?;
    let environment = state.store.environment(env)?.ok_or_else(missing)?;
    let invites = space.guests_may_invite(&environment);
    let base = Resource::space(&p.account_id, &space.environment_id, &space.id)
        .guest_invites(invites)
        .archived(space.archived_at.is_some());
    match &grant.workbooks {
        None => authorize(p, Action::InviteGuests, base)?,
        Some(wbs) => {
            for wb in wbs {
                authorize(p, Action::InviteGuests, base.workbook(wb))?;
            }
        }
    }
    Ok(())
}

pub(super) async fn list_guests(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let (space, _) = load_space(&state, &p, q.required("spaceId")?, Action::ListGuests)?;
    let email = q.optional("email")?.map(Email::parse).transpose()?;
    let mut out = Vec::new();
    for guest in state.store.guests_of_space(&space.id)? {
        if email.as_ref().is_none_or(|e| *e == guest.email) {
            let grants = state.store.grants_of(&guest.id)?;
            out.push(guest_body(&guest, &grants));
        }
    }
    Ok(data(out))
}

/// `POST /guests` with a JSON array. A guest whose email already exists in the environment is
/// extended with the new spaces instead of duplicated.
pub(super) async fn create_guests(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<Vec<GuestConfig>>,
) -> Result<HttpResponse, ApiError> {
    let max = state.limits.guests_per_request;
    if body.0.is_empty() || body.0.len() > max {
        return Err(ApiError::unprocessable(
            "body",
            format!("send 1 to {max} guests per request (limits.guests_per_request)"),
        ));
    }
    let now = state.clock.now();
    let mut plans: Vec<GuestPlan> = Vec::new();
    let mut sent_names = Vec::new();
    let mut events = Vec::new();
    for config in body.0 {
        let env =
            EnvironmentId::parse(config.environment_id.as_deref().ok_or_else(|| {
                ApiError::bad_request("environmentId", "environmentId is required")
            })?)?;
        let email = Email::parse(
            config
                .email
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("email", "email is required"))?,
        )?;
        let name = PersonName::parse(
            config
                .name
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("name", "name is required"))?,
            &state.limits.text,
        )?;
        let spaces = config
            .spaces
            .ok_or_else(|| ApiError::bad_request("spaces", "spaces is required"))?;
        if plans
            .iter()
            .any(|plan| plan.guest.environment_id == env && plan.guest.email == email)
        {
            return Err(ApiError::unprocessable(
                "email",
                format!("{email} appears twice in this request"),
            ));
        }
        sent_names.push(name.clone());
        let guest = match state.store.guest_by_email(&env, &email)? {
            // Only a caller who may manage the guest changes its name; any other (a guest
            // inviting one) may add grants within its own, nothing else.
            Some(existing) if !may(&p, Action::ManageGuests, &existing) => existing,
            Some(existing) => Guest {
                name,
                updated_at: now,
                ..existing
            },
            None => Guest {
                id: GuestId::generate(),
                account_id: p.account_id.clone(),
                environment_id: env.clone(),
                email,
                name,
                created_at: now,
                updated_at: now,
            },
        };
        let grants = spaces
            .iter()
            .map(|s| s.grant(&guest.id, now))
            .collect::<Result<Vec<_>, _>>()?;
        if grants.is_empty() {
            authorize(
                &p,
                Action::ManageGuests,
                Resource::environment(&p.account_id, &env),
            )?;
        }
        super::invitations::guest_invitation_budget(&state, &p)?;
        for grant in &grants {
            authorize_grant(&state, &p, &env, grant)?;
            events.push(guest_event(
                &state,
                &p,
                "space:guestAdded",
                &guest,
                &grant.space_id,
            ));
        }
        plans.push(GuestPlan { guest, grants });
    }
    state.store.upsert_guests(&plans, &events).await?;
    let mut out = Vec::new();
    for (plan, sent) in plans.iter().zip(&sent_names) {
        let grants = state.store.grants_of(&plan.guest.id)?;
        out.push(visible_body(&p, &plan.guest, sent, grants));
    }
    Ok(data(out))
}

/// Whether `p` may take `action` on `guest`.
fn may(p: &Principal, action: Action, guest: &Guest) -> bool {
    let resource = Resource::environment(&p.account_id, &guest.environment_id).guest(&guest.id);
    authorize(p, action, resource).is_ok()
}

/// A guest as `p` may see it: a caller who may not read the guest (a guest that added another)
/// sees its id and email, the name it sent, and only the grants (and granted workbooks) within
/// its own reach.
fn visible_body(
    p: &Principal,
    guest: &Guest,
    sent_name: &PersonName,
    grants: Vec<Grant>,
) -> serde_json::Value {
    if may(p, Action::ReadGuest, guest) {
        return guest_body(guest, &grants);
    }
    let in_reach = |g: &Grant, wb: Option<&WorkbookId>| {
        let space = Resource::space(&p.account_id, &guest.environment_id, &g.space_id);
        match wb {
            Some(wb) => authorize(p, Action::ReadWorkbook, space.workbook(wb)).is_ok(),
            None => authorize(p, Action::ReadSpace, space).is_ok(),
        }
    };
    let grants: Vec<Grant> = grants
        .into_iter()
        .filter(|g| in_reach(g, None))
        .map(|mut g| {
            if let Some(wbs) = g.workbooks.take() {
                let kept = wbs
                    .into_iter()
                    .filter(|wb| in_reach(&g, Some(wb)))
                    .collect();
                g.workbooks = Some(kept);
            }
            g
        })
        .collect();
    let shown = Guest {
        name: sent_name.clone(),
        ..guest.clone()
    };
    guest_body(&shown, &grants)
}

fn guest_event(
    state: &AppState,
    p: &Principal,
    topic: &str,
    guest: &Guest,
    space: &SpaceId,
) -> Event {
    audit(state, p, topic, "space")
        .in_environment(&guest.environment_id)
        .in_space(space)
        .with_payload(
            serde_json::json!({ "guestId": guest.id.as_str(), "email": guest.email.as_str() }),
        )
}

/// Loads a guest after `action` is allowed on it.
fn load(state: &AppState, p: &Principal, raw: &str, action: Action) -> Result<Guest, ApiError> {
    let id = GuestId::parse(raw)?;
    let guest = state
        .store
        .guest(&id)?
        .filter(|g| g.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("guest {id} not found")))?;
    authorize(
        p,
        action,
        Resource::environment(&p.account_id, &guest.environment_id).guest(&guest.id),
    )?;
    Ok(guest)
}

pub(super) async fn get_guest(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let guest = load(&state, &p, &path, Action::ReadGuest)?;
    let grants = state.store.grants_of(&guest.id)?;
    Ok(data(guest_body(&guest, &grants)))
}

/// `PATCH /guests/{id}`: `spaces`, when given, replaces every grant.
pub(super) async fn update_guest(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<GuestConfig>,
) -> Result<HttpResponse, ApiError> {
    let mut guest = load(&state, &p, &path, Action::ManageGuests)?;
    let previous = guest.email.clone();
    let config = body.0;
    if let Some(email) = config.email {
        guest.email = Email::parse(&email)?;
    }
    if let Some(name) = config.name {
        guest.name = PersonName::parse(&name, &state.limits.text)?;
    }
    let now = state.clock.now();
    guest.updated_at = now;
    let grants = match config.spaces {
        Some(spaces) => Some(
            spaces
                .iter()
                .map(|s| s.grant(&guest.id, now))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    for grant in grants.iter().flatten() {
        authorize_grant(&state, &p, &guest.environment_id, grant)?;
    }
    let event = audit(&state, &p, "guest:updated", "space")
        .in_environment(&guest.environment_id)
        .with_payload(serde_json::json!({ "guestId": guest.id.as_str() }));
    state
        .store
        .update_guest(&guest, &previous, grants.as_deref(), &event)
        .await?;
    Ok(data(guest_body(&guest, &state.store.grants_of(&guest.id)?)))
}

/// `DELETE /guests/{id}`: the whole guest; with `?spaceId=` only that space's access.
pub(super) async fn delete_guest(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let guest = load(&state, &p, &path, Action::ManageGuests)?;
    match q.optional("spaceId")? {
        Some(raw) => {
            let space = SpaceId::parse(raw)?;
            let event = guest_event(&state, &p, "space:guestRemoved", &guest, &space);
            state.store.remove_grant(&guest.id, &space, &event).await?;
        }
        None => {
            let spaces: Vec<String> = state
                .store
                .grants_of(&guest.id)?
                .iter()
                .map(|g| g.space_id.to_string())
                .collect();
            let events = [audit(&state, &p, "guest:deleted", "space")
                .in_environment(&guest.environment_id)
                .with_payload(serde_json::json!({ "guestId": guest.id.as_str(), "email": guest.email.as_str(), "spaces": spaces }))];
            state.store.delete_guest(&guest.id, &events).await?;
        }
    }
    Ok(success())
}

/// `GET /guests/{id}/token?spaceId=`: a one-hour token, limited at each request to the
/// guest's grants (and to `spaceId` when given).
pub(super) async fn guest_token(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let guest = load(&state, &p, &path, Action::ManageGuests)?;
    let space = q.optional("spaceId")?.map(SpaceId::parse).transpose()?;
    if let Some(space) = &space {
        if state.store.grant(&guest.id, space)?.is_none() {
            return Err(ApiError::NotFound(format!(
                "guest {} has no access to space {space}",
                guest.id
            )));
        }
    }
    let token = issue_guest_token(&state, &guest, space.as_ref(), "api");
    let event = audit(&state, &p, "guest:token-issued", "auth")
        .in_environment(&guest.environment_id)
        .with_payload(serde_json::json!({ "guestId": guest.id.as_str(), "spaceId": space.as_ref().map(|s| s.as_str()) }));
    state.store.record_events_soon(&[event])?;
    Ok(data(serde_json::json!({ "token": token, "valid": true })))
}

/// Signs a one-hour guest token.
pub(super) fn issue_guest_token(
    state: &AppState,
    guest: &Guest,
    space: Option<&SpaceId>,
    source: &str,
) -> String {
    state
        .auth
        .issue_token(TokenSpec {
            kind: TokenKind::Guest,
            subject: guest.id.as_str(),
            account: &guest.account_id,
            environment: Some(&guest.environment_id),
            parent: guest.id.as_str(),
            role: None,
            ttl: Some(GUEST_TOKEN_TTL),
            space,
            source: Some(source),
        })
        .token
}

fn actor_role(grant: &Grant) -> serde_json::Value {
    serde_json::json!({
        "id": grant.assignment.as_str(),
        "roleId": GUEST_ROLE_ID,
        "actorId": grant.guest_id.as_str(),
        "resourceId": grant.space_id.as_str(),
        "createdAt": grant.created_at.to_rfc3339(),
        "updatedAt": grant.created_at.to_rfc3339(),
    })
}

pub(super) async fn list_guest_roles(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let guest = load(&state, &p, &path, Action::ReadGuest)?;
    let roles: Vec<serde_json::Value> = state
        .store
        .grants_of(&guest.id)?
        .iter()
        .map(actor_role)
        .collect();
    Ok(data(roles))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssignRole {
    role_id: String,
    resource_id: String,
}

/// `POST /guests/{id}/roles {roleId: us_rol_guest, resourceId: us_sp_…}`: a whole-space grant.
pub(super) async fn assign_guest_role(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<AssignRole>,
) -> Result<HttpResponse, ApiError> {
    let guest = load(&state, &p, &path, Action::ManageGuests)?;
    if RoleId::parse(&body.0.role_id)?.as_str() != GUEST_ROLE_ID {
        return Err(ApiError::bad_request(
            "roleId",
            format!("guests hold the guest role ({GUEST_ROLE_ID})"),
        ));
    }
    let space = SpaceId::parse(&body.0.resource_id).map_err(|_| {
        ApiError::bad_request("resourceId", "resourceId must be a space id (us_sp_…)")
    })?;
    let grant = Grant {
        guest_id: guest.id.clone(),
        space_id: space.clone(),
        workbooks: None,
        sheets: None,
        assignment: ActorRoleId::generate(),
        created_at: state.clock.now(),
    };
    authorize_grant(&state, &p, &guest.environment_id, &grant)?;
    let event = guest_event(&state, &p, "space:guestAdded", &guest, &space);
    state.store.add_grant(&grant, &event).await?;
    let stored = state.store.grant(&guest.id, &space)?.unwrap_or(grant);
    Ok(data(actor_role(&stored)))
}

pub(super) async fn delete_guest_role(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (guest_id, assignment) = path.into_inner();
    let guest = load(&state, &p, &guest_id, Action::ManageGuests)?;
    let assignment = ActorRoleId::parse(&assignment)?;
    let grant = state
        .store
        .grants_of(&guest.id)?
        .into_iter()
        .find(|g| g.assignment == assignment)
        .ok_or_else(|| ApiError::NotFound(format!("role assignment {assignment} not found")))?;
    let event = guest_event(&state, &p, "space:guestRemoved", &guest, &grant.space_id);
    state
        .store
        .remove_grant(&guest.id, &grant.space_id, &event)
        .await?;
    Ok(success())
}
