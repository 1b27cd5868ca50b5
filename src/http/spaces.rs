//! `/v1/spaces`: list, create, get, update, delete (one or many), archive and unarchive.

use super::extract::{JsonBody, Query};
use super::workbooks::WorkbookConfig;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::jwt::TokenKind;
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::rate::RetryAfter;
use crate::auth::{Caller, Principal, PrincipalKind, TokenSpec, Via};
use crate::domain::{ApiKeyType, EnvironmentId, GuestAuthentication, SpaceId};
use crate::store::{Environment, Space, SpaceSummary, Workbook};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// The wire `Space`; `guestAuthentication` and `guestsCanInvite` are the effective values.
pub(super) fn space_body(
    state: &AppState,
    space: &Space,
    env: &Environment,
    workbooks: usize,
    access_token: Option<String>,
) -> serde_json::Value {
    let methods = space.sign_in_methods(env);
    let mut body = serde_json::json!({
        "id": space.id.as_str(),
        "name": space.name,
        "environmentId": space.environment_id.as_str(),
        "accountId": space.account_id.as_str(),
        "guestAuthentication": methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "guestsCanInvite": space.guests_may_invite(env),
        "metadata": json_or_empty(&space.metadata),
        "settings": json_or_empty(&space.settings),
        "labels": space.labels,
        "namespace": space.namespace,
        "archivedAt": space.archived_at.map(|t| t.to_rfc3339()),
        "workbooksCount": workbooks,
        "createdByUserId": space.created_by.starts_with("us_usr_").then_some(&space.created_by),
        "createdAt": space.created_at.to_rfc3339(),
        "updatedAt": space.updated_at.to_rfc3339(),
    });
    if methods.contains(&GuestAuthentication::SharedLink) {
        body["guestLink"] = format!("{}/join/{}", state.public_url, space.id).into();
    }
    if let Some(token) = access_token {
        body["accessToken"] = token.into();
    }
    strip_nulls(body)
}

pub(super) fn json_or_empty(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::json!({}))
}

pub(super) fn strip_nulls(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(map) = v.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    v
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

pub(super) async fn list_spaces(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let page = q.page(10, state.limits.max_page_size)?;
    let archived = match q.optional("archived")? {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "archived",
                "archived must be true or false",
            ))
        }
    };
    let search = q.optional("search")?.map(str::to_lowercase);
    let namespace = q.optional("namespace")?;
    let envs = match q.optional("environmentId")? {
        Some(raw) => vec![EnvironmentId::parse(raw)?],
        None => environments_in_reach(&state, &p)?,
    };
    if let ([env], None, None) = (envs.as_slice(), &search, namespace) {
        if let Some(answer) = list_in_creation_order(&p, &state, &q, env, archived, page)? {
            return Ok(answer);
        }
    }
    let mut rows: Vec<(SpaceSummary, Environment)> = Vec::new();
    for env_id in envs {
        authorize(
            &p,
            Action::ListSpaces,
            Resource::environment(&p.account_id, &env_id),
        )?;
        let Some(env) = state
            .store
            .environment(&env_id)?
            .filter(|e| e.account_id == p.account_id)
        else {
            return Err(ApiError::NotFound(format!(
                "environment {env_id} not found"
            )));
        };
        for space in state.store.space_summaries_in(&env_id)? {
            let visible = authorize(
                &p,
                Action::ReadSpace,
                Resource::space(&p.account_id, &env_id, &space.id),
            )
            .is_ok();
            let matches = space.archived_at.is_some() == archived
                && search
                    .as_ref()
                    .is_none_or(|s| space.name.to_lowercase().contains(s))
                && namespace.is_none_or(|n| space.namespace.as_deref() == Some(n));
            if visible && matches {
                rows.push((space, env.clone()));
            }
        }
    }
    sort_spaces(
        &mut rows,
        q.optional("sortField")?,
        q.optional("sortDirection")?,
    )?;
    // Only the page's spaces are read in full and have their workbooks counted.
    let (rows, pagination) = page.slice(rows);
    let mut items = Vec::new();
    for (summary, env) in rows {
        if let Some(space) = state.store.listed_space(&summary.id)? {
            let count = state.store.workbook_count(&space.id);
            items.push(space_body(&state, &space, &env, count, None));
        }
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items, "pagination": pagination })))
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
    let env_resource = Resource::environment(&p.account_id, env_id);
    authorize(p, Action::ListSpaces, env_resource)?;
    // A space nobody has seen: allowed only when the answer does not depend on which space.
    let any_space = SpaceId::generate();
    let every_space = Resource::space(&p.account_id, env_id, &any_space);
    if authorize(p, Action::ReadSpace, every_space).is_err() {
        return Ok(None);
    }
    let env = state
        .store
        .environment(env_id)?
        .filter(|e| e.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("environment {env_id} not found")))?;
    let skip = usize::try_from(page.skip()).unwrap_or(usize::MAX);
    let size = usize::try_from(page.size).unwrap_or(usize::MAX);
    let (ids, total) = state
        .store
        .space_page(env_id, archived, newest_first, skip, size)?;
    let mut items = Vec::new();
    for id in ids {
        if let Some(space) = state.store.listed_space(&id)? {
            let count = state.store.workbook_count(&space.id);
            items.push(space_body(state, &space, &env, count, None));
        }
    }
    let pagination = page.pagination(total);
    Ok(Some(HttpResponse::Ok().json(
        serde_json::json!({ "data": items, "pagination": pagination }),
    )))
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
    Ok(data(space_body(&state, &space, &env, 0, token)))
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
        id: SpaceId::generate(),
        account_id: p.account_id.clone(),
        environment_id: env.id.clone(),
        name: "Untitled space".into(),
        guest_authentication: None,
        guests_can_invite: None,
        metadata: "{}".into(),
        settings: "{}".into(),
        labels: Vec::new(),
        namespace: None,
        archived_at: None,
        created_by: p.actor_id(),
        created_with_key: publishable.clone(),
        created_at: now,
        updated_at: now,
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
    Ok(data(space_body(&state, &space, &env, count, None)))
}

pub(super) async fn update_space(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<SpaceConfig>,
) -> Result<HttpResponse, ApiError> {
    let (mut space, env) = load(&state, &p, &path, Action::UpdateSpace)?;
    if body
        .0
        .environment_id
        .as_deref()
        .is_some_and(|e| e != space.environment_id.as_str())
    {
        return Err(ApiError::unprocessable(
            "environmentId",
            "a space cannot move to another environment",
        ));
    }
    body.0.apply(&mut space, &state.limits.text)?;
    space.updated_at = state.clock.now();
    let event = audit(&state, &p, "space:updated", "space")
        .in_environment(&env.id)
        .in_space(&space.id);
    state.store.update_space(&space, &event).await?;
    let count = state.store.workbooks_of(&space.id)?.len();
    Ok(data(space_body(&state, &space, &env, count, None)))
}

pub(super) async fn delete_space(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (space, env) = load(&state, &p, &path, Action::DeleteSpace)?;
    let event = audit(&state, &p, "space:deleted", "space")
        .in_environment(&env.id)
        .in_space(&space.id);
    state.store.delete_spaces(&[space.id], &[event]).await?;
    Ok(success())
}

/// `DELETE /spaces?spaceIds=a&spaceIds=b`: all or nothing.
pub(super) async fn delete_spaces(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
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
    let mut ids = Vec::new();
    let mut events = Vec::new();
    for id in raw {
        let (space, env) = load(&state, &p, id, Action::DeleteSpace)?;
        if !ids.contains(&space.id) {
            events.push(
                audit(&state, &p, "space:deleted", "space")
                    .in_environment(&env.id)
                    .in_space(&space.id),
            );
            ids.push(space.id);
        }
    }
    state.store.delete_spaces(&ids, &events).await?;
    Ok(success())
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
    Ok(data(serde_json::json!({
        "spaceId": id.as_str(),
        "join": { "method": "POST", "path": "/v1/invitations/exchange", "body": { "email": "<your email>", "spaceId": id.as_str() } },
    })))
}
