//! `/v1/environments/{environmentId}/guides`: an environment's guides, each with its latest
//! versions. Anyone of the account reads them (Administrators, Members, the environment's keys);
//! Administrators and the environment's secret key write them.

use super::extract::JsonBody;
use super::reach::allowed_environment;
use super::required::required;
use super::{audit, bounded, data, limited_metadata, limited_name, success, ApiError, AppState};
use crate::auth::policy::Action;
use crate::auth::Principal;
use crate::domain::{EnvironmentId, Guide, GuideId, GuideVersion};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The wire `GuideVersion`: the blocks at that version, as JSON text.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionBody {
    id: String,
    version: u32,
    content: String,
    created_at: String,
    updated_at: String,
}

impl VersionBody {
    fn new(g: &Guide, v: &GuideVersion) -> Self {
        Self {
            id: g.id.to_string(),
            version: v.version,
            content: v.content.clone(),
            created_at: v.created_at.to_rfc3339(),
            updated_at: v.created_at.to_rfc3339(),
        }
    }
}

/// The wire `Guide`, with its kept versions.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GuideBody {
    id: String,
    environment_id: String,
    slug: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Value::is_null")]
    metadata: Value,
    #[serde(skip_serializing_if = "Value::is_null")]
    blocks: Value,
    versions: Vec<VersionBody>,
    created_at: String,
    updated_at: String,
}

impl From<&Guide> for GuideBody {
    fn from(g: &Guide) -> Self {
        let json = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
        Self {
            id: g.id.to_string(),
            environment_id: g.environment_id.to_string(),
            slug: g.slug.clone(),
            title: g.title.clone(),
            description: g.description.clone(),
            metadata: g.metadata.as_deref().map_or(Value::Null, json),
            blocks: json(&g.blocks),
            versions: g.versions.iter().map(|v| VersionBody::new(g, v)).collect(),
            created_at: g.created_at.to_rfc3339(),
            updated_at: g.updated_at.to_rfc3339(),
        }
    }
}

/// The path's environment, after the policy allows `action` on it and it exists.
fn environment(
    state: &AppState,
    p: &Principal,
    raw: &str,
    action: Action,
) -> Result<EnvironmentId, ApiError> {
    let env = EnvironmentId::parse(raw)?;
    allowed_environment(state, p, &env, action)?;
    Ok(env)
}

/// The guide named by the path, in the path's environment.
fn load(
    state: &AppState,
    p: &Principal,
    (env, id): (&str, &str),
    action: Action,
) -> Result<Guide, ApiError> {
    let env = environment(state, p, env, action)?;
    let id = GuideId::parse(id)?;
    state
        .store
        .guide(&id)?
        .filter(|g| g.environment_id == env)
        .ok_or_else(|| ApiError::NotFound(format!("guide {id} not found in environment {env}")))
}

/// The contract's `GuideCreateRequest`, and (all optional) `GuideUpdateRequest`. `versions` is
/// accepted and ignored: Latchkey makes a version whenever the blocks change.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GuideFields {
    description: Option<String>,
    title: Option<String>,
    metadata: Option<Map<String, Value>>,
    slug: Option<String>,
    blocks: Option<Vec<Value>>,
    environment_id: Option<String>,
    #[serde(default, rename = "versions")]
    _versions: Option<Value>,
}

impl GuideFields {
    /// The fields, when every one a new guide needs is given; else 400 naming the first missing.
    fn complete(self) -> Result<Self, ApiError> {
        required("title", self.title.as_ref())?;
        required("slug", self.slug.as_ref())?;
        required("description", self.description.as_ref())?;
        required("blocks", self.blocks.as_ref())?;
        Ok(self)
    }
}

fn slug(raw: String) -> Result<String, ApiError> {
    let ok = !raw.is_empty()
        && raw.len() <= 128
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !ok {
        return Err(ApiError::unprocessable(
            "slug",
            "slug must have 1 to 128 ASCII letters, digits, '-', '_' or '.'",
        ));
    }
    Ok(raw)
}

/// Applies `f` to `g` (a new guide has every required field), checking each field and the whole
/// document against the limits.
fn apply(
    g: &mut Guide,
    f: GuideFields,
    path_env: &EnvironmentId,
    state: &AppState,
) -> Result<Option<String>, ApiError> {
    if f.environment_id.is_some_and(|e| e != path_env.as_str()) {
        return Err(ApiError::bad_request(
            "environmentId",
            "environmentId in the body must be the path's environment",
        ));
    }
    if let Some(title) = f.title {
        if title.trim().is_empty() {
            return Err(ApiError::bad_request("title", "title must not be empty"));
        }
        g.title = limited_name("title", title, &state.limits.text)?;
    }
    if let Some(d) = f.description {
        g.description = Some(bounded("description", d, 4096)?);
    }
    if let Some(m) = f.metadata {
        g.metadata = Some(limited_metadata(
            "metadata",
            Value::Object(m).to_string(),
            &state.limits.text,
        )?);
    }
    if let Some(s) = f.slug {
        g.slug = slug(s)?;
    }
    let blocks = f.blocks.map(|b| Value::Array(b).to_string());
    let max = state.limits.max_guide_bytes;
    let size = g.title.len()
        + g.description.as_ref().map_or(0, String::len)
        + g.metadata.as_ref().map_or(0, String::len)
        + blocks.as_ref().unwrap_or(&g.blocks).len();
    if size > max {
        return Err(ApiError::unprocessable(
            "blocks",
            format!("a guide holds at most {max} bytes of JSON (limits.max_guide_bytes)"),
        ));
    }
    Ok(blocks)
}

fn keep_versions(state: &AppState) -> usize {
    state.limits.guide_versions
}

pub(super) async fn list_guides(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let env = environment(&state, &p, &path, Action::ReadGuides)?;
    let guides = state.store.guides_in(&env)?;
    Ok(data(guides.iter().map(GuideBody::from).collect::<Vec<_>>()))
}

pub(super) async fn get_guide(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let g = load(&state, &p, (&path.0, &path.1), Action::ReadGuides)?;
    Ok(data(GuideBody::from(&g)))
}

pub(super) async fn get_guide_version(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let g = load(&state, &p, (&path.0, &path.1), Action::ReadGuides)?;
    let number: u32 = path
        .2
        .parse()
        .map_err(|_| ApiError::bad_request("version", "version must be a positive whole number"))?;
    let v = g
        .versions
        .iter()
        .find(|v| v.version == number)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "guide {} has no version {number} (only the latest limits.guide_versions are kept)",
                g.id
            ))
        })?;
    Ok(data(VersionBody::new(&g, v)))
}

pub(super) async fn create_guide(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<GuideFields>,
) -> Result<HttpResponse, ApiError> {
    let env = environment(&state, &p, &path, Action::WriteGuides)?;
    let f = body.0.complete()?;
    let now = state.clock.now();
    let mut g = new_guide(&p, &env, now);
    let blocks = apply(&mut g, f, &env, &state)?.unwrap_or_else(|| "[]".into());
    g.add_version(blocks, now, keep_versions(&state));
    let event = guide_event(&state, &p, "guide:created", &g);
    let max = state.limits.guides_per_environment;
    state.store.create_guide(&g, max, &event).await?;
    Ok(data(GuideBody::from(&g)))
}

pub(super) async fn update_guide(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: JsonBody<GuideFields>,
) -> Result<HttpResponse, ApiError> {
    let mut g = load(&state, &p, (&path.0, &path.1), Action::WriteGuides)?;
    let env = g.environment_id.clone();
    let now = state.clock.now();
    if let Some(blocks) = apply(&mut g, body.0, &env, &state)? {
        g.add_version(blocks, now, keep_versions(&state));
    }
    g.updated_at = now;
    let event = guide_event(&state, &p, "guide:updated", &g);
    state.store.update_guide(&g, &event).await?;
    Ok(data(GuideBody::from(&g)))
}

pub(super) async fn delete_guide(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let g = load(&state, &p, (&path.0, &path.1), Action::WriteGuides)?;
    let event = guide_event(&state, &p, "guide:deleted", &g);
    state.store.delete_guide(&g, &event).await?;
    Ok(success())
}

/// A guide of `env` with no content yet, made at `now`.
fn new_guide(p: &Principal, env: &EnvironmentId, now: crate::domain::Timestamp) -> Guide {
    Guide {
        id: GuideId::generate(),
        account_id: p.account_id.clone(),
        environment_id: env.clone(),
        slug: String::new(),
        title: String::new(),
        description: None,
        metadata: None,
        blocks: "[]".into(),
        versions: Vec::new(),
        created_at: now,
        updated_at: now,
    }
}

fn guide_event(state: &AppState, p: &Principal, topic: &str, g: &Guide) -> crate::domain::Event {
    audit(state, p, topic, "guide")
        .in_environment(&g.environment_id)
        .with_payload(serde_json::json!({
            "guideId": g.id.as_str(),
            "slug": g.slug,
            "version": g.versions.last().map(|v| v.version),
        }))
}
