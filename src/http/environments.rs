//! `/v1/environments`: list, create, get (`current` too), update, delete.

use super::bodies::json_or_empty;
use super::extract::{JsonBody, Pagination, Query};
use super::reach::allowed_environment;
use super::required::required;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::policy::{self, authorize, Action, Resource};
use crate::auth::Principal;
use crate::cache::GenerationCell;
use crate::domain::{
    AccountId, ApiKeyType, Environment, EnvironmentId, EnvironmentName, Event, GuestAuthentication,
};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// The wire shape of an environment.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvironmentBody {
    id: String,
    account_id: String,
    name: String,
    is_prod: bool,
    guest_authentication: Vec<&'static str>,
    features: serde_json::Map<String, serde_json::Value>,
    metadata: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    translations_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespaces: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language_override: Option<String>,
    guests_can_invite: bool,
    /// Latchkey extension: origins whose pages may use the publishable keys and space tokens.
    allowed_origins: Vec<String>,
    created_at: String,
    updated_at: String,
}

impl From<Environment> for EnvironmentBody {
    fn from(e: Environment) -> Self {
        Self {
            id: e.id.to_string(),
            account_id: e.account_id.to_string(),
            name: e.name.as_str().to_owned(),
            is_prod: e.is_prod,
            guest_authentication: e.guest_authentication.iter().map(|g| g.as_str()).collect(),
            features: serde_json::Map::new(),
            metadata: json_or_empty(&e.metadata),
            translations_path: e.translations_path,
            namespaces: e.namespaces,
            language_override: e.language_override,
            guests_can_invite: e.guests_can_invite,
            allowed_origins: e.allowed_origins.iter().map(|o| o.to_string()).collect(),
            created_at: e.created_at.to_rfc3339(),
            updated_at: e.updated_at.to_rfc3339(),
        }
    }
}

/// Every environment with its serialized wire body, as of a store generation: environments
/// change rarely and are read on the hot path.
#[derive(Default)]
pub struct EnvironmentBodies {
    cached: GenerationCell<Bodies>,
}

/// Environments with their serialized wire bodies.
type Bodies = Arc<Listing>;

/// Every environment with its wire body, in listing order, and where each one is.
struct Listing {
    items: Vec<(Environment, String)>,
    by_id: HashMap<EnvironmentId, usize>,
    /// The account every environment belongs to, when they all belong to one (a server holds
    /// one account): a user of it who may read every environment needs no check per item.
    sole_account: Option<AccountId>,
}

impl Listing {
    fn new(items: Vec<(Environment, String)>) -> Self {
        let by_id = items
            .iter()
            .enumerate()
            .map(|(i, (e, _))| (e.id.clone(), i))
            .collect();
        let first = items.first().map(|(e, _)| &e.account_id);
        let sole_account = first
            .filter(|a| items.iter().all(|(e, _)| &e.account_id == *a))
            .cloned();
        Self {
            items,
            by_id,
            sole_account,
        }
    }

    /// The bodies of the environments `p` may read, in listing order.
    fn visible_to<'a>(&'a self, p: &'a Principal) -> impl Iterator<Item = &'a str> + 'a {
        let everywhere = self.sole_account.as_ref().is_some_and(|account| {
            policy::allowed_account_wide(p, Action::ReadEnvironment, account)
        });
        self.items
            .iter()
            .filter(move |(e, _)| {
                everywhere
                    || authorize(
                        p,
                        Action::ReadEnvironment,
                        Resource::environment(&e.account_id, &e.id),
                    )
                    .is_ok()
            })
            .map(|(_, json)| json.as_str())
    }

    /// The body of environment `id` of `account`.
    fn body(&self, account: &AccountId, id: &EnvironmentId) -> Option<&str> {
        let (e, json) = self.items.get(*self.by_id.get(id)?)?;
        (&e.account_id == account).then_some(json.as_str())
    }
}

impl EnvironmentBodies {
    fn get(&self, state: &AppState) -> Result<Bodies, ApiError> {
        self.cached.get_or_try_init(state.store.generation(), || {
            let bodies = state
                .store
                .environments()?
                .iter()
                .map(|e| {
                    let json = serde_json::to_string(&EnvironmentBody::from(e.clone()))
                        .map_err(|e| ApiError::Internal(e.to_string()))?;
                    Ok((e.clone(), json))
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            Ok(Arc::new(Listing::new(bodies)))
        })
    }
}

/// `{"data": <json>}` from an already serialized body.
fn data_json(json: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(format!("{{\"data\":{json}}}"))
}

/// `{"data": [<json>, …], "pagination": …}` from already serialized bodies.
fn paged_json(items: &[&str], pagination: Pagination) -> HttpResponse {
    let mut body = String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 96);
    body.push_str("{\"data\":[");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    // Writing to a String cannot fail.
    let _ = write!(body, "],\"pagination\":{pagination}}}");
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}

/// `EnvironmentConfigCreate` and `EnvironmentConfigUpdate`: every field optional here, required
/// ones checked by the handler.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EnvironmentConfig {
    name: Option<String>,
    is_prod: Option<bool>,
    guest_authentication: Option<Vec<String>>,
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
    translations_path: Option<String>,
    namespaces: Option<Vec<String>>,
    language_override: Option<String>,
    guests_can_invite: Option<bool>,
    allowed_origins: Option<Vec<String>>,
}

impl EnvironmentConfig {
    /// Applies the given fields to `env`, validating each.
    fn apply(
        self,
        env: &mut Environment,
        text: &crate::domain::limits::TextLimits,
    ) -> Result<(), ApiError> {
        if let Some(name) = self.name {
            env.name = EnvironmentName::parse(&name, text)?;
        }
        if let Some(is_prod) = self.is_prod {
            env.is_prod = is_prod;
        }
        if let Some(allowed) = self.guests_can_invite {
            env.guests_can_invite = allowed;
        }
        if let Some(methods) = self.guest_authentication {
            env.guest_authentication = parse_guest_authentication(&methods)?;
        }
        if let Some(metadata) = self.metadata {
            env.metadata = super::limited_metadata(
                "metadata",
                serde_json::Value::Object(metadata).to_string(),
                text,
            )?;
        }
        if let Some(path) = self.translations_path {
            env.translations_path = Some(super::bounded("translationsPath", path, 1024)?);
        }
        if let Some(namespaces) = self.namespaces {
            if namespaces.len() > 32 {
                return Err(ApiError::unprocessable(
                    "namespaces",
                    "at most 32 namespaces",
                ));
            }
            let checked = namespaces
                .into_iter()
                .map(|n| super::bounded("namespaces", n, 128))
                .collect::<Result<Vec<_>, _>>()?;
            env.namespaces = Some(checked);
        }
        if let Some(lang) = self.language_override {
            env.language_override = Some(super::bounded("languageOverride", lang, 32)?);
        }
        if let Some(origins) = self.allowed_origins {
            env.allowed_origins = parse_origins(&origins)?;
        }
        Ok(())
    }
}

/// `allowedOrigins`: at most `MAX_ALLOWED_ORIGINS` web origins, duplicates dropped.
fn parse_origins(raw: &[String]) -> Result<Vec<crate::domain::WebOrigin>, ApiError> {
    if raw.len() > crate::domain::MAX_ALLOWED_ORIGINS {
        return Err(ApiError::unprocessable(
            "allowedOrigins",
            format!(
                "at most {} allowed origins",
                crate::domain::MAX_ALLOWED_ORIGINS
            ),
        ));
    }
    let mut out = Vec::new();
    for origin in raw {
        let origin = crate::domain::WebOrigin::parse(origin)?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

fn parse_guest_authentication(methods: &[String]) -> Result<Vec<GuestAuthentication>, ApiError> {
    let mut out = Vec::new();
    for m in methods {
        let g = GuestAuthentication::parse(m)?;
        if !out.contains(&g) {
            out.push(g);
        }
    }
    Ok(out)
}

/// Resolves a path id (or `current`) to an environment the caller may see.
/// A path's environment id, where `current` names the caller's own environment.
fn environment_id(p: &Principal, raw: &str) -> Result<EnvironmentId, ApiError> {
    if raw == "current" {
        p.environment().cloned().ok_or_else(|| {
            ApiError::bad_request(
                "environmentId",
                "'current' needs an environment key or token; name an environment id",
            )
        })
    } else {
        Ok(EnvironmentId::parse(raw)?)
    }
}

fn resolve(
    state: &AppState,
    p: &Principal,
    raw: &str,
    action: Action,
) -> Result<Environment, ApiError> {
    allowed_environment(state, p, &environment_id(p, raw)?, action)
}

pub(super) async fn list_environments(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    authorize(
        &p,
        Action::ListEnvironments,
        Resource::account(&p.account_id),
    )?;
    let page = q.page(10, state.limits.max_page_size)?;
    let listing = state.environment_bodies.get(&state)?;
    let (items, pagination) = page.slice(listing.visible_to(&p));
    Ok(paged_json(&items, pagination))
}

pub(super) async fn create_environment(
    p: Principal,
    state: web::Data<AppState>,
    body: JsonBody<EnvironmentConfig>,
) -> Result<HttpResponse, ApiError> {
    authorize(
        &p,
        Action::CreateEnvironment,
        Resource::account(&p.account_id),
    )?;
    room_for_another(&state)?;
    let config = body.0;
    let name = EnvironmentName::parse(
        required("name", config.name.as_deref())?,
        &state.limits.text,
    )?;
    let is_prod = required("isProd", config.is_prod)?;
    let mut env = Environment::new(p.account_id.clone(), name, is_prod, state.clock.now());
    config.apply(&mut env, &state.limits.text)?;
    let keys = [ApiKeyType::Secret, ApiKeyType::Publishable]
        .map(|t| state.auth.new_api_key(&env.account_id, &env.id, t).0);
    let event = changed_event(&state, &p, "environment:created", &env);
    state.store.create_environment(&env, &keys, &event).await?;
    Ok(data(EnvironmentBody::from(env)))
}

/// 422 when the account already holds `limits.environments` environments.
fn room_for_another(state: &AppState) -> Result<(), ApiError> {
    if state.store.environments()?.len() >= state.limits.environments {
        return Err(ApiError::unprocessable(
            "name",
            format!(
                "an account holds at most {} environments (limits.environments)",
                state.limits.environments
            ),
        ));
    }
    Ok(())
}

/// The audit event `topic` of a created or changed `env`, naming it.
fn changed_event(state: &AppState, p: &Principal, topic: &str, env: &Environment) -> Event {
    audit(state, p, topic, "environment")
        .in_environment(&env.id)
        .with_payload(serde_json::json!({ "name": env.name.as_str(), "isProd": env.is_prod }))
}

pub(super) async fn get_environment(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = environment_id(&p, &path)?;
    authorize(
        &p,
        Action::ReadEnvironment,
        Resource::environment(&p.account_id, &id),
    )?;
    let listing = state.environment_bodies.get(&state)?;
    let json = listing
        .body(&p.account_id, &id)
        .ok_or_else(|| ApiError::NotFound(format!("environment {id} not found")))?;
    Ok(data_json(json))
}

/// Answers with a bare `Environment` (no `data` envelope), as the contract says.
pub(super) async fn update_environment(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<EnvironmentConfig>,
) -> Result<HttpResponse, ApiError> {
    let mut env = resolve(&state, &p, &path, Action::UpdateEnvironment)?;
    body.0.apply(&mut env, &state.limits.text)?;
    env.updated_at = state.clock.now();
    let event = changed_event(&state, &p, "environment:updated", &env);
    state.store.update_environment(&env, &event).await?;
    Ok(HttpResponse::Ok().json(EnvironmentBody::from(env)))
}

pub(super) async fn delete_environment(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let env = resolve(&state, &p, &path, Action::DeleteEnvironment)?;
    let event = audit(&state, &p, "environment:deleted", "environment")
        .in_environment(&env.id)
        .with_payload(serde_json::json!({ "name": env.name.as_str() }));
    state.store.delete_environment(&env.id, &event).await?;
    Ok(success())
}
