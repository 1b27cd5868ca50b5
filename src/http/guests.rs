//! `/v1/guests`: guests and their space and workbook grants, guest tokens and guest roles.

use super::extract::{JsonBody, Query};
use super::people::batch;
use super::required::required;
use super::spaces::load as load_space;
use super::users::ActorRoleBody;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::jwt::TokenKind;
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::{Principal, TokenSpec};
use crate::domain::{
    ActorRoleId, Email, Environment, EnvironmentId, Event, Grant, Guest, GuestId, PersonName,
    RoleId, Space, SpaceId, Timestamp, WorkbookId, GUEST_ROLE_ID,
};
use crate::store::GuestPlan;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

/// Guest tokens last one hour.
pub(super) const GUEST_TOKEN_TTL: i64 = 3600;

/// The contract's `Guest`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GuestBody {
    id: String,
    environment_id: String,
    email: String,
    name: String,
    spaces: Vec<GuestSpaceBody>,
    created_at: String,
    updated_at: String,
}

/// The contract's `GuestSpace`: a granted space, with its workbooks and sheets when narrowed.
#[derive(Serialize)]
struct GuestSpaceBody {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    workbooks: Option<Vec<IdBody>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sheets: Option<Vec<IdBody>>,
}

#[derive(Serialize)]
struct IdBody {
    id: String,
}

impl IdBody {
    fn all<T: ToString>(ids: &[T]) -> Vec<IdBody> {
        ids.iter().map(|id| IdBody { id: id.to_string() }).collect()
    }
}

impl From<&Grant> for GuestSpaceBody {
    fn from(g: &Grant) -> Self {
        Self {
            id: g.space_id.to_string(),
            workbooks: g.workbooks.as_deref().map(IdBody::all),
            sheets: g.sheets.as_deref().map(IdBody::all),
        }
    }
}

impl From<(&Guest, &[Grant])> for GuestBody {
    fn from((guest, grants): (&Guest, &[Grant])) -> Self {
        Self {
            id: guest.id.to_string(),
            environment_id: guest.environment_id.to_string(),
            email: guest.email.to_string(),
            name: guest.name.as_str().to_owned(),
            spaces: grants.iter().map(GuestSpaceBody::from).collect(),
            created_at: guest.created_at.to_rfc3339(),
            updated_at: guest.updated_at.to_rfc3339(),
        }
    }
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
    fn grant(&self, guest: &GuestId, now: Timestamp) -> Result<Grant, ApiError> {
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

/// A `GuestConfig` to create (or extend) a guest: every field present and valid.
struct NewGuest {
    env: EnvironmentId,
    email: Email,
    name: PersonName,
    spaces: Vec<GuestSpace>,
}

impl NewGuest {
    /// `config` with every field checked, names within `text`.
    fn parse(
        config: GuestConfig,
        text: &crate::domain::limits::TextLimits,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            env: EnvironmentId::parse(&required("environmentId", config.environment_id)?)?,
            email: Email::parse(&required("email", config.email)?)?,
            name: PersonName::parse(&required("name", config.name)?, text)?,
            spaces: required("spaces", config.spaces)?,
        })
    }
}

/// A `GuestConfigUpdate`: the fields given, valid.
struct GuestChanges {
    email: Option<Email>,
    name: Option<PersonName>,
    spaces: Option<Vec<GuestSpace>>,
}

impl GuestChanges {
    /// The fields `config` gives, each checked, names within `text`.
    fn parse(
        config: GuestConfig,
        text: &crate::domain::limits::TextLimits,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            email: config.email.as_deref().map(Email::parse).transpose()?,
            name: config
                .name
                .as_deref()
                .map(|n| PersonName::parse(n, text))
                .transpose()?,
            spaces: config.spaces,
        })
    }
}

impl GuestChanges {
    /// Applies the changes to `guest` at `now`; the grants that replace its grants, when
    /// `spaces` was given.
    fn apply(self, guest: &mut Guest, now: Timestamp) -> Result<Option<Vec<Grant>>, ApiError> {
        if let Some(email) = self.email {
            guest.email = email;
        }
        if let Some(name) = self.name {
            guest.name = name;
        }
        guest.updated_at = now;
        self.spaces
            .map(|spaces| grants(&spaces, &guest.id, now))
            .transpose()
    }
}

/// The grants `spaces` asks for `guest`.
fn grants(spaces: &[GuestSpace], guest: &GuestId, now: Timestamp) -> Result<Vec<Grant>, ApiError> {
    spaces.iter().map(|s| s.grant(guest, now)).collect()
}

/// Checks that `p` may grant `grant` (guests: never wider than their own grant, and only when
/// the space and environment let guests invite).
fn authorize_grant(
    state: &AppState,
    p: &Principal,
    env: &EnvironmentId,
    grant: &Grant,
) -> Result<(), ApiError> {
    let (space, environment) = guest_space(state, p, &grant.space_id, Some(env))?;
    authorize_invite(p, &space, &environment, grant.workbooks.as_deref())
}

/// The space `id` of `p`'s account (in `env`, when given) and its environment, else 404.
pub(super) fn guest_space(
    state: &AppState,
    p: &Principal,
    id: &SpaceId,
    env: Option<&EnvironmentId>,
) -> Result<(Space, Environment), ApiError> {
    let missing = || ApiError::NotFound(format!("space {id} not found"));
    let in_scope =
        |s: &Space| s.account_id == p.account_id && env.is_none_or(|env| s.environment_id == *env);
    let space = state
        .store
        .space(id)?
        .filter(in_scope)
        .ok_or_else(missing)?;
    let environment = state
        .store
        .environment(&space.environment_id)?
        .ok_or_else(missing)?;
    Ok((space, environment))
}

/// Checks that `p` may invite guests into `space`, into each of `workbooks` when given (a
/// guest only within its own grant, and only when the space and environment let guests invite).
pub(super) fn authorize_invite(
    p: &Principal,
    space: &Space,
    env: &Environment,
    workbooks: Option<&[WorkbookId]>,
) -> Result<(), ApiError> {
    let base = Resource::space(&p.account_id, &space.environment_id, &space.id)
        .guest_invites(space.guests_may_invite(env))
        .archived(space.archived_at.is_some());
    match workbooks {
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
    let guests: Vec<GuestBody> = state
        .store
        .guests_with_grants(&space.id)?
        .iter()
        .filter(|(guest, _)| email.as_ref().is_none_or(|e| *e == guest.email))
        .map(|(guest, grants)| GuestBody::from((guest, grants.as_slice())))
        .collect();
    Ok(data(guests))
}

/// `POST /guests` with a JSON array. A guest whose email already exists in the environment is
/// extended with the new spaces instead of duplicated.
pub(super) async fn create_guests(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<Vec<GuestConfig>>,
) -> Result<HttpResponse, ApiError> {
    let configs = batch(body.0, state.limits.guests_per_request, "guests")?;
    let now = state.clock.now();
    let mut guests = GuestBatch::default();
    for config in configs {
        guests.add(
            &state,
            &p,
            NewGuest::parse(config, &state.limits.text)?,
            now,
        )?;
    }
    let written = state
        .store
        .upsert_guests(&guests.plans, &guests.events)
        .await?;
    let named = guests.plans.iter().zip(&guests.sent_names);
    let out: Vec<GuestBody> = named
        .zip(written)
        .map(|((plan, sent), grants)| visible_body(&p, &plan.guest, sent, grants))
        .collect();
    Ok(data(out))
}

/// What one `POST /guests` writes: the guests it creates or extends, the names it sent for
/// them, and an event per grant.
#[derive(Default)]
struct GuestBatch {
    plans: Vec<GuestPlan>,
    sent_names: Vec<PersonName>,
    events: Vec<Event>,
}

impl GuestBatch {
    /// Plans `new`, refusing an address the batch already holds in the same environment.
    fn add(
        &mut self,
        state: &AppState,
        p: &Principal,
        new: NewGuest,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let twice = |plan: &GuestPlan| {
            plan.guest.environment_id == new.env && plan.guest.email == new.email
        };
        if self.plans.iter().any(twice) {
            return Err(ApiError::unprocessable(
                "email",
                format!("{} appears twice in this request", new.email),
            ));
        }
        self.sent_names.push(new.name.clone());
        let plan = plan_guest(state, p, new, now)?;
        for grant in &plan.grants {
            let event = guest_event(state, p, "space:guestAdded", &plan.guest, &grant.space_id);
            self.events.push(event);
        }
        self.plans.push(plan);
        Ok(())
    }
}

/// The guest `new` creates or extends and the grants it adds, once `p` may grant each.
fn plan_guest(
    state: &AppState,
    p: &Principal,
    new: NewGuest,
    now: Timestamp,
) -> Result<GuestPlan, ApiError> {
    let guest = match state.store.guest_by_email(&new.env, &new.email)? {
        // Only a caller who may manage the guest changes its name; any other (a guest
        // inviting one) may add grants within its own, nothing else.
        Some(existing) if !may(p, Action::ManageGuests, &existing) => existing,
        Some(existing) => Guest {
            name: new.name,
            updated_at: now,
            ..existing
        },
        None => Guest {
            id: GuestId::generate(),
            account_id: p.account_id.clone(),
            environment_id: new.env.clone(),
            email: new.email,
            name: new.name,
            created_at: now,
            updated_at: now,
        },
    };
    let grants = grants(&new.spaces, &guest.id, now)?;
    if grants.is_empty() {
        authorize(
            p,
            Action::ManageGuests,
            Resource::environment(&p.account_id, &new.env),
        )?;
    }
    super::invitations::guest_invitation_budget(state, p)?;
    for grant in &grants {
        authorize_grant(state, p, &new.env, grant)?;
    }
    Ok(GuestPlan { guest, grants })
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
) -> GuestBody {
    if may(p, Action::ReadGuest, guest) {
        return GuestBody::from((guest, grants.as_slice()));
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
    GuestBody::from((&shown, grants.as_slice()))
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
    Ok(data(GuestBody::from((&guest, grants.as_slice()))))
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
    let grants =
        GuestChanges::parse(body.0, &state.limits.text)?.apply(&mut guest, state.clock.now())?;
    for grant in grants.iter().flatten() {
        authorize_grant(&state, &p, &guest.environment_id, grant)?;
    }
    let event = audit(&state, &p, "guest:updated", "space")
        .in_environment(&guest.environment_id)
        .with_payload(serde_json::json!({ "guestId": guest.id.as_str() }));
    let grants = state
        .store
        .update_guest(&guest, &previous, grants.as_deref(), &event)
        .await?;
    Ok(data(GuestBody::from((&guest, grants.as_slice()))))
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
    Ok(data(GuestTokenBody { token, valid: true }))
}

/// `{token, valid: true}`: a guest token.
#[derive(Serialize)]
struct GuestTokenBody {
    token: String,
    valid: bool,
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

/// A grant as the contract's `ActorRole`: the guest role on the space.
fn actor_role(grant: &Grant) -> ActorRoleBody {
    ActorRoleBody {
        id: grant.assignment.to_string(),
        role_id: GUEST_ROLE_ID.to_owned(),
        actor_id: grant.guest_id.to_string(),
        resource_id: grant.space_id.to_string(),
        created_at: grant.created_at.to_rfc3339(),
        updated_at: grant.created_at.to_rfc3339(),
    }
}

pub(super) async fn list_guest_roles(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let guest = load(&state, &p, &path, Action::ReadGuest)?;
    let roles: Vec<ActorRoleBody> = state
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
    let space = SpaceId::try_from(body.0)?;
    let grant = whole_space(&guest.id, &space, state.clock.now());
    authorize_grant(&state, &p, &guest.environment_id, &grant)?;
    let event = guest_event(&state, &p, "space:guestAdded", &guest, &space);
    state.store.add_grant(&grant, &event).await?;
    let stored = state.store.grant(&guest.id, &space)?.unwrap_or(grant);
    Ok(data(actor_role(&stored)))
}

/// The space an `AssignRole` grants: the role must be the guest role.
impl TryFrom<AssignRole> for SpaceId {
    type Error = ApiError;

    fn try_from(body: AssignRole) -> Result<Self, ApiError> {
        if RoleId::parse(&body.role_id)?.as_str() != GUEST_ROLE_ID {
            return Err(ApiError::bad_request(
                "roleId",
                format!("guests hold the guest role ({GUEST_ROLE_ID})"),
            ));
        }
        SpaceId::parse(&body.resource_id).map_err(|_| {
            ApiError::bad_request("resourceId", "resourceId must be a space id (us_sp_…)")
        })
    }
}

/// A new grant of the whole of `space` to `guest`.
pub(super) fn whole_space(guest: &GuestId, space: &SpaceId, now: Timestamp) -> Grant {
    Grant {
        guest_id: guest.clone(),
        space_id: space.clone(),
        workbooks: None,
        sheets: None,
        assignment: ActorRoleId::generate(),
        created_at: now,
    }
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
