//! `/v1/spaces`: list, create, get, update, delete (one or many), archive and unarchive.

use super::bodies::{flag, json_or_empty, paged, unchanged};
use super::extract::{JsonBody, Query};
use super::workbooks::WorkbookConfig;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::jwt::TokenKind;
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::rate::RetryAfter;
use crate::auth::{Caller, Principal, PrincipalKind, TokenSpec, Via};
use crate::domain::{ApiKeyType, EnvironmentId, GuestAuthentication, SpaceId};
use crate::domain::{Environment, Event, Space, Workbook};
use crate::store::SpaceSummary;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// The wire `Space`; `guestAuthentication` and `guestsCanInvite` are the effective values.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SpaceBody {
    id: String,
    name: String,
    environment_id: String,
    account_id: String,
    guest_authentication: Vec<&'static str>,
    guests_can_invite: bool,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    metadata: serde_json::Value,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    settings: serde_json::Value,
    labels: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    archived_at: Option<String>,
    workbooks_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by_user_id: Option<String>,
    created_at: String,
    updated_at: String,
    /// The shared link, when the space has one (the embed's: its space page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) guest_link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
}

impl SpaceBody {
    /// `space` of `env` holding `workbooks` workbooks, as this server (`state.public_url`) shows it.
    pub(super) fn new(
        state: &AppState,
        space: &Space,
        env: &Environment,
        workbooks: usize,
    ) -> Self {
        let methods = space.sign_in_methods(env);
        let shared = methods.contains(&GuestAuthentication::SharedLink);
        Self {
            id: space.id.to_string(),
            name: space.name.clone(),
            environment_id: space.environment_id.to_string(),
            account_id: space.account_id.to_string(),
            guest_authentication: methods.iter().map(|m| m.as_str()).collect(),
            guests_can_invite: space.guests_may_invite(env),
            metadata: json_or_empty(&space.metadata),
            settings: json_or_empty(&space.settings),
            labels: space.labels.clone(),
            namespace: space.namespace.clone(),
            archived_at: space.archived_at.map(|t| t.to_rfc3339()),
            workbooks_count: workbooks,
            created_by_user_id: Some(space.created_by.clone()).filter(|c| c.starts_with("us_usr_")),
            created_at: space.created_at.to_rfc3339(),
            updated_at: space.updated_at.to_rfc3339(),
            guest_link: shared.then(|| format!("{}/join/{}", state.public_url, space.id)),
            access_token: None,
        }
    }

    /// The body with the space token a publishable key's creation answers.
    pub(super) fn with_token(self, access_token: Option<String>) -> Self {
        Self {
            access_token,
            ..self
        }
    }
}

/// The environments a listing covers when none is named: an environment-bound caller's own, or
/// every environment (each is then put to the policy by the caller).
pub(super) fn environments_in_reach(
    state: &AppState,
    p: &Principal,
) -> Result<Vec<EnvironmentId>, ApiError> {
    Ok(match p.environment() {
        Some(env) => vec![env.clone()],
        None => state
            .store
            .environments()?
            .iter()
            .map(|e| e.id.clone())
            .collect(),
    })
}

/// The spaces a listing covers: the one named (after `on_space` is allowed on it), or every
/// space of the environments in reach (after `on_environment` is allowed on each).
pub(super) fn spaces_in_reach(
    state: &AppState,
    p: &Principal,
    named: Option<&str>,
    on_space: Action,
    on_environment: Action,
) -> Result<Vec<SpaceId>, ApiError> {
    if let Some(raw) = named {
        return Ok(vec![load(state, p, raw, on_space)?.0.id]);
    }
    let mut ids = Vec::new();
    for env in environments_in_reach(state, p)? {
        authorize(
            p,
            on_environment,
            Resource::environment(&p.account_id, &env),
        )?;
        ids.extend(state.store.spaces_in(&env)?.into_iter().map(|s| s.id));
    }
    Ok(ids)
}

/// Loads a space and its environment after `action` is allowed on it; cross-environment and
/// missing spaces look the same (404).
pub(super) fn load(
    state: &AppState,
    p: &Principal,
    raw: &str,
    action: Action,
) -> Result<(Space, Environment), ApiError> {
    let id = SpaceId::parse(raw)?;
    let missing = || ApiError::NotFound(format!("space {id} not found"));
    let space = state
        .store
        .space(&id)?
        .filter(|s| s.account_id == p.account_id)
        .ok_or_else(missing)?;
    let env = state
        .store
        .environment(&space.environment_id)?
        .ok_or_else(missing)?;
    authorize(
        p,
        action,
        Resource::space(&p.account_id, &env.id, &space.id).archived(space.archived_at.is_some()),
    )?;
    Ok((space, env))
}

/// `SpaceConfig`: every field optional.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct SpaceConfig {
    name: Option<String>,
    environment_id: Option<String>,
    guest_authentication: Option<Vec<String>>,
    guests_can_invite: Option<bool>,
    metadata: Option<serde_json::Value>,
    settings: Option<serde_json::Map<String, serde_json::Value>>,
    labels: Option<Vec<String>>,
    namespace: Option<String>,
}

impl SpaceConfig {
    fn apply(
        self,
        space: &mut Space,
        text: &crate::domain::limits::TextLimits,
    ) -> Result<(), ApiError> {
        if let Some(name) = self.name {
            space.name = super::limited_name("name", name, text)?;
        }
        if let Some(methods) = self.guest_authentication {
            let mut parsed = Vec::new();
            for m in &methods {
                let g = GuestAuthentication::parse(m)?;
                if !parsed.contains(&g) {
                    parsed.push(g);
                }
            }
            space.guest_authentication = Some(parsed);
        }
        if self.guests_can_invite.is_some() {
            space.guests_can_invite = self.guests_can_invite;
        }
        if let Some(metadata) = self.metadata {
            space.metadata = super::limited_metadata("metadata", metadata.to_string(), text)?;
        }
        if let Some(settings) = self.settings {
            space.settings = super::limited_metadata(
                "settings",
                serde_json::Value::Object(settings).to_string(),
                text,
            )?;
        }
        if let Some(labels) = self.labels {
            if labels.len() > 32 {
                return Err(ApiError::unprocessable("labels", "at most 32 labels"));
            }
            space.labels = labels
                .into_iter()
                .map(|l| super::bounded("labels", l, 128))
                .collect::<Result<_, _>>()?;
        }
        if let Some(namespace) = self.namespace {
            space.namespace = Some(super::bounded("namespace", namespace, 128)?);
        }
        Ok(())
    }
}

/// `GET /spaces`'s filters, in the order they are read from the query.
struct SpaceFilter<'q> {
    archived: bool,
    search: Option<String>,
    namespace: Option<&'q str>,
    environment: Option<EnvironmentId>,
}

impl<'q> TryFrom<&'q Query> for SpaceFilter<'q> {
    type Error = ApiError;

    fn try_from(q: &'q Query) -> Result<Self, ApiError> {
        Ok(Self {
            archived: flag(q, "archived")?.unwrap_or(false),
            search: q.optional("search")?.map(str::to_lowercase),
            namespace: q.optional("namespace")?,
            environment: q
                .optional("environmentId")?
                .map(EnvironmentId::parse)
                .transpose()?,
        })
    }
}

impl SpaceFilter<'_> {
    fn matches(&self, space: &SpaceSummary) -> bool {
        space.archived_at.is_some() == self.archived
            && self
                .search
                .as_ref()
                .is_none_or(|s| space.name.to_lowercase().contains(s))
            && self
                .namespace
                .is_none_or(|n| space.namespace.as_deref() == Some(n))
    }
}

pub(super) async fn list_spaces(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let page = q.page(10, state.limits.max_page_size)?;
    let filter = SpaceFilter::try_from(&q)?;
    let envs = match &filter.environment {
        Some(id) => vec![id.clone()],
        None => environments_in_reach(&state, &p)?,
    };
    if let ([env], None, None) = (envs.as_slice(), &filter.search, filter.namespace) {
        if let Some(answer) = list_in_creation_order(&p, &state, &q, env, filter.archived, page)? {
            return Ok(answer);
        }
    }
    let mut rows = visible_summaries(&state, &p, envs, &filter)?;
    sort_spaces(
        &mut rows,
        q.optional("sortField")?,
        q.optional("sortDirection")?,
    )?;
    // Only the page's spaces are read in full and have their workbooks counted.
    let (rows, pagination) = page.slice(rows);
    let items = listed_bodies(&state, rows.iter().map(|(s, env)| (&s.id, env)))?;
    Ok(paged(items, pagination))
}

/// The summaries of the spaces of `envs` that `p` may read and `filter` keeps, each with its
/// environment, after `ListSpaces` is allowed on each environment.
fn visible_summaries(
    state: &AppState,
    p: &Principal,
    envs: Vec<EnvironmentId>,
    filter: &SpaceFilter,
) -> Result<Vec<(SpaceSummary, Environment)>, ApiError> {
    let mut rows = Vec::new();
    for env_id in envs {
        let env = listable_environment(p, state, &env_id)?;
        for space in state.store.space_summaries_in(&env_id)? {
            let visible = authorize(
                p,
                Action::ReadSpace,
                Resource::space(&p.account_id, &env_id, &space.id),
            )
            .is_ok();
            if visible && filter.matches(&space) {
                rows.push((space, env.clone()));
            }
        }
    }
    Ok(rows)
}

/// Environment `env_id` of `p`'s account, after `ListSpaces` is allowed on it.
fn listable_environment(
    p: &Principal,
    state: &AppState,
    env_id: &EnvironmentId,
) -> Result<Environment, ApiError> {
    authorize(
        p,
        Action::ListSpaces,
        Resource::environment(&p.account_id, env_id),
    )?;
    state
        .store
        .environment(env_id)?
        .filter(|e| e.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("environment {env_id} not found")))
}

/// The listed bodies of the spaces `ids` (each with its environment), read in full, with their
/// workbooks counted; a space deleted meanwhile is left out.
fn listed_bodies<'a>(
    state: &AppState,
    ids: impl IntoIterator<Item = (&'a SpaceId, &'a Environment)>,
) -> Result<Vec<SpaceBody>, ApiError> {
    let mut items = Vec::new();
    for (id, env) in ids {
        if let Some(space) = state.store.listed_space(id)? {
            let count = state.store.workbook_count(&space.id);
            items.push(SpaceBody::new(state, &space, env, count));
        }
    }
    Ok(items)
}

/// The listing of one environment's spaces in creation order (no search or namespace), read
/// from the store's order index: a page costs the same however many spaces there are. `None`
/// when the caller does not see every space of the environment (a guest, a space token), or
/// asks for another order: then the listing filters space by space.
fn list_in_creation_order(
    p: &Principal,
    state: &AppState,
    q: &Query,
    env_id: &EnvironmentId,
    archived: bool,
    page: super::extract::Page,
) -> Result<Option<HttpResponse>, ApiError> {
    if !matches!(
        q.optional("sortField")?,
        None | Some("createdAt" | "lastActivityAt")
    ) {
        return Ok(None);
    }
    let newest_first = match q.optional("sortDirection")? {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Ok(None),
    };
    let env = listable_environment(p, state, env_id)?;
    // A space nobody has seen: allowed only when the answer does not depend on which space.
    let any_space = SpaceId::generate();
    let every_space = Resource::space(&p.account_id, env_id, &any_space);
    if authorize(p, Action::ReadSpace, every_space).is_err() {
        return Ok(None);
    }
    let skip = usize::try_from(page.skip()).unwrap_or(usize::MAX);
    let size = usize::try_from(page.size).unwrap_or(usize::MAX);
    let (ids, total) = state
        .store
        .space_page(env_id, archived, newest_first, skip, size)?;
    let items = listed_bodies(state, ids.iter().map(|id| (id, &env)))?;
    Ok(Some(paged(items, page.pagination(total))))
}

fn sort_spaces(
    rows: &mut [(SpaceSummary, Environment)],
    field: Option<&str>,
    direction: Option<&str>,
) -> Result<(), ApiError> {
    match field.unwrap_or("createdAt") {
        "name" => rows.sort_by(|a, b| a.0.name.cmp(&b.0.name)),
        "createdAt" | "lastActivityAt" => rows.sort_by_key(|r| r.0.created_at),
        "environmentId" => rows.sort_by(|a, b| a.0.environment_id.cmp(&b.0.environment_id)),
        "workbooksCount" | "filesCount" | "createdByUserName" => {}
        other => {
            return Err(ApiError::bad_request(
                "sortField",
                format!("cannot sort spaces by '{other}'"),
            ))
        }
    }
    match direction.unwrap_or("asc") {
        "asc" => Ok(()),
        "desc" => {
            rows.reverse();
            Ok(())
        }
        other => Err(ApiError::bad_request(
            "sortDirection",
            format!("sortDirection must be asc or desc, not '{other}'"),
        )),
    }
}

/// Creates a space. Created with a publishable key (or its token), it answers an `accessToken`
/// limited to the new space.
pub(super) async fn create_space(
    req: HttpRequest,
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<SpaceConfig>,
) -> Result<HttpResponse, ApiError> {
    let (space, env, token, _) = create(&req, &p, &state, body.0, None).await?;
    Ok(data(
        SpaceBody::new(&state, &space, &env, 0).with_token(token),
    ))
}

/// What `POST /v1/spaces` and the embed's `POST /v1/internal/spaces/init` share: the policy,
/// the per-address limit on publishable-key creations, the write, and the space token. The
/// embed's workbook is created with the space, as its space token would (same policy).
pub(super) async fn create(
    req: &HttpRequest,
    p: &Principal,
    state: &AppState,
    config: SpaceConfig,
    workbook: Option<WorkbookConfig>,
) -> Result<(Space, Environment, Option<String>, Vec<Workbook>), ApiError> {
    let env_id = match (&config.environment_id, p.environment()) {
        (Some(raw), _) => EnvironmentId::parse(raw)?,
        (None, Some(env)) => env.clone(),
        (None, None) => {
            return Err(ApiError::bad_request(
                "environmentId",
                "environmentId is required",
            ))
        }
    };
    authorize(
        p,
        Action::CreateSpace,
        Resource::environment(&p.account_id, &env_id),
    )?;
    let env = state
        .store
        .environment(&env_id)?
        .filter(|e| e.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("environment {env_id} not found")))?;
    let now = state.clock.now();
    let publishable = match &p.kind {
        PrincipalKind::Environment {
            key_id,
            key_type: ApiKeyType::Publishable,
            ..
        } => Some(key_id.clone()),
        _ => None,
    };
    if publishable.is_some() {
        if let Some(limit) = req
            .app_data::<web::Data<crate::state::AppState>>()
            .map(|s| &s.embed)
        {
            limit.spaces.take(req.peer_addr().map(|a| a.ip())).map_err(
                |RetryAfter(retry_after)| ApiError::TooManyRequests {
                    message: format!(
                        "too many spaces created with publishable keys from this address; \
                         retry in {retry_after} s (browser.spaces_per_address)"
                    ),
                    retry_after,
                },
            )?;
        }
    }
    let mut space = Space {
        created_with_key: publishable.clone(),
        ..Space::new(
            p.account_id.clone(),
            env.id.clone(),
            "Untitled space",
            p.actor_id(),
            now,
        )
    };
    config.apply(&mut space, &state.limits.text)?;
    let mut events = vec![audit(state, p, "space:created", "space")
        .in_environment(&env.id)
        .in_space(&space.id)
        .with_payload(serde_json::json!({ "name": space.name }))];
    let mut workbooks = Vec::new();
    if let (Some(config), Some(key_id)) = (workbook, &publishable) {
        let as_space = Principal::new(Caller {
            account_id: p.account_id.clone(),
            kind: PrincipalKind::SpaceToken {
                space_id: space.id.clone(),
                environment_id: env.id.clone(),
                key_id: key_id.clone(),
            },
            credential_id: key_id.to_string(),
            expires_at: None,
            via: Via::SpaceToken,
        });
        authorize(
            &as_space,
            Action::CreateWorkbook,
            Resource::space(&p.account_id, &env.id, &space.id),
        )?;
        let wb = super::workbooks::build_workbook(state, p, &space, &env, config)?;
        events.push(super::workbooks::created_event(state, p, &wb));
        workbooks.push(wb);
    }
    state
        .store
        .insert_space_with(&space, &workbooks, &events)
        .await?;
    let token = publishable.map(|key| {
        state
            .auth
            .issue_token(TokenSpec {
                kind: TokenKind::Space,
                subject: space.id.as_str(),
                account: &space.account_id,
                environment: Some(&env.id),
                parent: key.as_str(),
                role: None,
                ttl: None,
                space: Some(&space.id),
                source: None,
            })
            .token
    });
    Ok((space, env, token, workbooks))
}

pub(super) async fn get_space(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (space, env) = load(&state, &p, &path, Action::ReadSpace)?;
    let count = state.store.workbooks_of(&space.id)?.len();
    Ok(data(SpaceBody::new(&state, &space, &env, count)))
}

pub(super) async fn update_space(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<SpaceConfig>,
) -> Result<HttpResponse, ApiError> {
    let (mut space, env) = load(&state, &p, &path, Action::UpdateSpace)?;
    unchanged(
        "environmentId",
        body.0.environment_id.as_deref(),
        space.environment_id.as_str(),
        "a space cannot move to another environment",
    )?;
    body.0.apply(&mut space, &state.limits.text)?;
    space.updated_at = state.clock.now();
    let event = audit(&state, &p, "space:updated", "space")
        .in_environment(&env.id)
        .in_space(&space.id);
    state.store.update_space(&space, &event).await?;
    let count = state.store.workbooks_of(&space.id)?.len();
    Ok(data(SpaceBody::new(&state, &space, &env, count)))
}

pub(super) async fn delete_space(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (space, env) = load(&state, &p, &path, Action::DeleteSpace)?;
    let event = deleted_event(&state, &p, &space, &env);
    state.store.delete_spaces(&[space.id], &[event]).await?;
    Ok(success())
}

/// `DELETE /spaces?spaceIds=a&spaceIds=b`: all or nothing.
pub(super) async fn delete_spaces(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let mut ids = Vec::new();
    let mut events = Vec::new();
    for id in space_ids(&state, &q)? {
        let (space, env) = load(&state, &p, id, Action::DeleteSpace)?;
        if !ids.contains(&space.id) {
            events.push(deleted_event(&state, &p, &space, &env));
            ids.push(space.id);
        }
    }
    state.store.delete_spaces(&ids, &events).await?;
    Ok(success())
}

/// `spaceIds`: at least one, at most `limits.max_page_size`.
fn space_ids<'q>(state: &AppState, q: &'q Query) -> Result<Vec<&'q str>, ApiError> {
    let raw = q.all("spaceIds");
    if raw.is_empty() {
        return Err(ApiError::bad_request(
            "spaceIds",
            "query parameter spaceIds is required",
        ));
    }
    if raw.len() > state.limits.max_page_size {
        return Err(ApiError::unprocessable(
            "spaceIds",
            format!(
                "at most {} spaces at once (limits.max_page_size)",
                state.limits.max_page_size
            ),
        ));
    }
    Ok(raw)
}

/// The `space:deleted` event of `space`, by `p`.
fn deleted_event(state: &AppState, p: &Principal, space: &Space, env: &Environment) -> Event {
    audit(state, p, "space:deleted", "space")
        .in_environment(&env.id)
        .in_space(&space.id)
}

pub(super) async fn archive_space(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_archived(p, state, &path, true).await
}

pub(super) async fn unarchive_space(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_archived(p, state, &path, false).await
}

async fn set_archived(
    p: Principal,
    state: web::Data<AppState>,
    raw: &str,
    archived: bool,
) -> Result<HttpResponse, ApiError> {
    let (mut space, env) = load(&state, &p, raw, Action::UpdateSpace)?;
    if space.archived_at.is_some() == archived {
        return Ok(success());
    }
    let now = state.clock.now();
    space.archived_at = archived.then_some(now);
    space.updated_at = now;
    let topic = if archived {
        "space:archived"
    } else {
        "space:unarchived"
    };
    let event = audit(&state, &p, topic, "space")
        .in_environment(&env.id)
        .in_space(&space.id);
    state.store.update_space(&space, &event).await?;
    Ok(success())
}

/// `GET /join/{spaceId}`: what a shared guest link (and a magic link, `#token=…`) opens. A
/// browser (`Accept: text/html`) gets the space page, which joins or redeems the link; API
/// clients get how to join, as JSON. Reading it changes nothing; joining takes a POST, so link
/// scanners cannot join anyone.
pub(super) async fn join_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if super::space_page::wants_html(&req) {
        return Ok(super::space_page::page(&req, &state, &path));
    }
    let id = SpaceId::parse(&path)?;
    let open = state.auth.allows(&id, GuestAuthentication::SharedLink)?;
    if !open {
        return Err(ApiError::NotFound(format!("space {id} has no shared link")));
    }
    Ok(data(JoinBody {
        space_id: id.as_str(),
        join: JoinRequest {
            method: "POST",
            path: "/v1/invitations/exchange",
            body: JoinRequestBody {
                email: "<your email>",
                space_id: id.as_str(),
            },
        },
    }))
}

/// What `GET /join/{spaceId}` tells an API client: how to join.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JoinBody<'a> {
    space_id: &'a str,
    join: JoinRequest<'a>,
}

#[derive(Serialize)]
struct JoinRequest<'a> {
    method: &'static str,
    path: &'static str,
    body: JoinRequestBody<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JoinRequestBody<'a> {
    email: &'static str,
    space_id: &'a str,
}
