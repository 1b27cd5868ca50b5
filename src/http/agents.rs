//! `/v1/agents`: listeners deployed per environment (`flatfile deploy`, `agents.create`), kept
//! with their versions. Latchkey stores agents and never runs them; every agent it answers
//! says so (`running: false`, `runtimeNote`).

use super::extract::{parse_json, Query};
use super::spaces::{environments_in_reach, strip_nulls};
use super::{audit, bounded, data, limited_metadata, success, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::{Authenticator, Principal};
use crate::domain::{AgentId, AgentVersionId, EnvironmentId};
use crate::store::{Agent, AgentConfig, AgentDeploy, AgentLimits, AgentVersion};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// What every agent body says about execution.
pub(super) const RUNTIME_NOTE: &str = "Latchkey stores agents and their versions but never runs them; run your listener yourself (for example with @flatfile/listener)";

/// The slug an agent deployed without one gets (as the hosted service names it).
const DEFAULT_SLUG: &str = "default";
const MAX_SLUG: usize = 128;
const MAX_TOPICS: usize = 256;
const MAX_TOPIC: usize = 128;

fn parse_json_text(text: &Option<String>) -> Option<Value> {
    text.as_deref().and_then(|t| serde_json::from_str(t).ok())
}

/// The configuration fields of `c`, with the code only when `with_source`.
fn config_fields(out: &mut Map<String, Value>, c: &AgentConfig, with_source: bool) {
    out.insert("topics".into(), json!(c.topics));
    out.insert("compiler".into(), json!(c.compiler));
    if with_source {
        out.insert("source".into(), json!(c.source));
        out.insert("sourceMap".into(), json!(c.source_map));
    }
    out.insert("options".into(), json!(parse_json_text(&c.options)));
    out.insert("template".into(), json!(c.template));
    out.insert(
        "templateOptions".into(),
        json!(parse_json_text(&c.template_options)),
    );
    out.insert("isSystem".into(), json!(c.is_system));
    out.insert("namespace".into(), json!(c.namespace));
    out.insert(
        "packageVersions".into(),
        json!(parse_json_text(&c.package_versions)),
    );
    out.insert("commitInfo".into(), json!(parse_json_text(&c.commit_info)));
}

/// The contract's `Agent`: identity, slug and the current version's configuration.
pub(super) fn agent_body(a: &Agent, current: &AgentVersion, with_source: bool) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(a.id.as_str()));
    out.insert("accountId".into(), json!(a.account_id.as_str()));
    out.insert("environmentId".into(), json!(a.environment_id.as_str()));
    out.insert("slug".into(), json!(a.slug));
    config_fields(&mut out, &current.config, with_source);
    out.insert("createdAt".into(), json!(a.created_at.to_rfc3339()));
    out.insert("updatedAt".into(), json!(a.updated_at.to_rfc3339()));
    out.insert("currentVersion".into(), json!(current.version));
    out.insert("currentVersionId".into(), json!(current.id.as_str()));
    out.insert("running".into(), json!(false));
    out.insert("runtimeNote".into(), json!(RUNTIME_NOTE));
    strip_nulls(Value::Object(out))
}

/// The contract's `AgentVersion` (`agent_id` is how the client reads the agent's id).
fn version_body(v: &AgentVersion, slug: &str, with_source: bool) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(v.id.as_str()));
    out.insert("agent_id".into(), json!(v.agent_id.as_str()));
    out.insert("version".into(), json!(v.version));
    out.insert("origin".into(), json!(v.origin));
    out.insert("slug".into(), json!(slug));
    config_fields(&mut out, &v.config, with_source);
    out.insert("createdAt".into(), json!(v.created_at.to_rfc3339()));
    out.insert("updatedAt".into(), json!(v.created_at.to_rfc3339()));
    out.insert("running".into(), json!(false));
    strip_nulls(Value::Object(out))
}

/// The environment a request names (or an environment-bound caller's own) after `action` is
/// allowed in it; a missing environment and one out of reach look the same (404).
pub(super) fn environment_for(
    auth: &Authenticator,
    p: &Principal,
    raw: Option<&str>,
    action: Action,
) -> Result<EnvironmentId, ApiError> {
    let env = match (raw, p.environment()) {
        (Some(raw), _) => EnvironmentId::parse(raw)?,
        (None, Some(own)) => own.clone(),
        (None, None) => {
            return Err(ApiError::bad_request(
                "environmentId",
                "query parameter environmentId is required",
            ))
        }
    };
    authorize(p, action, Resource::environment(&p.account_id, &env))?;
    auth.store()
        .environment(&env)?
        .filter(|e| e.account_id == p.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("environment {env} not found")))?;
    Ok(env)
}

/// Loads the agent in the path after `action` is allowed in its environment; an agent of
/// another environment (or another one than `environmentId` names) is not found.
pub(super) fn target(
    auth: &Authenticator,
    p: &Principal,
    raw: &str,
    q: &Query,
    action: Action,
) -> Result<Agent, ApiError> {
    let id = AgentId::parse(raw)?;
    let missing = || ApiError::NotFound(format!("agent {id} not found"));
    let agent = auth
        .store()
        .agent(&id)?
        .filter(|a| a.account_id == p.account_id)
        .ok_or_else(missing)?;
    authorize(
        p,
        action,
        Resource::environment(&p.account_id, &agent.environment_id),
    )?;
    if q.optional("environmentId")?
        .is_some_and(|e| e != agent.environment_id.as_str())
    {
        return Err(missing());
    }
    Ok(agent)
}

fn current_version(auth: &Authenticator, a: &Agent) -> Result<AgentVersion, ApiError> {
    auth.store()
        .agent_version(&a.id, a.current)?
        .ok_or_else(|| ApiError::Internal(format!("agent {} has lost its current version", a.id)))
}

fn flag(q: &Query, name: &str) -> Result<Option<bool>, ApiError> {
    match q.optional(name)? {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::bad_request(
            name,
            format!("{name} must be true or false"),
        )),
    }
}

/// `GET /agents`: one environment's agents, or (for a user naming none) every environment's.
/// Listings leave out `source` and `sourceMap`; `GET /agents/{id}` has them.
pub(super) async fn list_agents(
    p: Principal,
    auth: web::Data<Authenticator>,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let page = q.page(20, state.limits.max_page_size as u64)?;
    let envs = match q.optional("environmentId")? {
        Some(raw) => vec![environment_for(&auth, &p, Some(raw), Action::ReadAgents)?],
        None if p.environment().is_some() => {
            vec![environment_for(&auth, &p, None, Action::ReadAgents)?]
        }
        None => environments_in_reach(&auth, &p)?
            .into_iter()
            .filter(|e| {
                authorize(
                    &p,
                    Action::ReadAgents,
                    Resource::environment(&p.account_id, e),
                )
                .is_ok()
            })
            .collect(),
    };
    let is_system = flag(&q, "isSystem")?;
    let search = q.optional("search")?.map(str::to_lowercase);
    let mut bodies = Vec::new();
    for env in &envs {
        for agent in auth.store().agents_in(env)? {
            let current = current_version(&auth, &agent)?;
            let matches = is_system.is_none_or(|s| current.config.is_system == s)
                && search
                    .as_ref()
                    .is_none_or(|s| agent.slug.to_lowercase().contains(s));
            if matches {
                bodies.push(agent_body(&agent, &current, false));
            }
        }
    }
    let (items, pagination) = page.slice(bodies);
    Ok(HttpResponse::Ok().json(json!({ "data": items, "pagination": pagination })))
}

/// `AgentConfig` as sent; unknown keys are ignored (the client strips them anyway).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AgentConfigBody {
    topics: Option<Vec<String>>,
    compiler: Option<String>,
    source: Option<String>,
    source_map: Option<String>,
    slug: Option<String>,
    options: Option<Map<String, Value>>,
    template: Option<String>,
    template_options: Option<Map<String, Value>>,
    is_system: Option<bool>,
    namespace: Option<String>,
    package_versions: Option<Map<String, Value>>,
    commit_info: Option<Map<String, Value>>,
}

fn document(
    key: &'static str,
    value: Option<Map<String, Value>>,
) -> Result<Option<String>, ApiError> {
    value
        .map(|m| limited_metadata(key, Value::Object(m).to_string()))
        .transpose()
}

fn code(key: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    match value {
        Some(text) if text.len() > max => Err(ApiError::PayloadTooLarge(format!(
            "{key} is larger than {max} bytes (limits.max_agent_source_bytes)"
        ))),
        other => Ok(other),
    }
}

fn slug(raw: Option<String>) -> Result<String, ApiError> {
    let slug = raw.unwrap_or_else(|| DEFAULT_SLUG.to_owned());
    let valid = !slug.is_empty()
        && slug.len() <= MAX_SLUG
        && slug
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if !valid {
        return Err(ApiError::unprocessable(
            "slug",
            format!("slug must have 1 to {MAX_SLUG} ASCII letters, digits or - _ . :"),
        ));
    }
    Ok(slug)
}

impl AgentConfigBody {
    /// The slug and stored configuration, each field within its limit.
    fn parse(self, max_source: usize) -> Result<(String, AgentConfig), ApiError> {
        let topics = self.topics.unwrap_or_default();
        if topics.len() > MAX_TOPICS
            || topics
                .iter()
                .any(|t| t.is_empty() || t.len() > MAX_TOPIC || t.chars().any(char::is_control))
        {
            return Err(ApiError::unprocessable(
                "topics",
                format!("topics holds at most {MAX_TOPICS} topics of 1 to {MAX_TOPIC} characters"),
            ));
        }
        if self.compiler.as_deref().is_some_and(|c| c != "js") {
            return Err(ApiError::unprocessable(
                "compiler",
                "compiler must be \"js\"",
            ));
        }
        let config = AgentConfig {
            topics,
            compiler: self.compiler,
            source: code("source", self.source, max_source)?,
            source_map: code("sourceMap", self.source_map, max_source)?,
            options: document("options", self.options)?,
            template: self
                .template
                .map(|t| bounded("template", t, 64))
                .transpose()?,
            template_options: document("templateOptions", self.template_options)?,
            is_system: self.is_system.unwrap_or(false),
            namespace: self
                .namespace
                .map(|n| bounded("namespace", n, 256))
                .transpose()?,
            package_versions: document("packageVersions", self.package_versions)?,
            commit_info: document("commitInfo", self.commit_info)?,
        };
        Ok((slug(self.slug)?, config))
    }
}

/// Reads a JSON body of at most `limit` bytes (413 past it) and parses it.
async fn read_body<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "an agent body is at most {limit} bytes (twice limits.max_agent_source_bytes plus limits.max_body_bytes)"
        ))
    };
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|_| ApiError::bad_request("body", "the request body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    parse_json(&body)
}

/// `POST /agents?environmentId=`: deploys. A slug new to the environment creates an agent
/// (`agent:created`); a known one adds a new current version to it (`agent:updated`).
pub(super) async fn create_agent(
    p: Principal,
    auth: web::Data<Authenticator>,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let env = environment_for(
        &auth,
        &p,
        q.optional("environmentId")?,
        Action::ManageAgents,
    )?;
    let lim = &state.limits;
    let max_source = usize::try_from(lim.max_agent_source_bytes).unwrap_or(usize::MAX);
    let limit = max_source
        .saturating_mul(2)
        .saturating_add(usize::try_from(lim.max_body_bytes).unwrap_or(usize::MAX));
    let body: AgentConfigBody = read_body(&req, payload, limit).await?;
    let (slug, config) = body.parse(max_source)?;
    let deploy = AgentDeploy {
        account_id: p.account_id.clone(),
        environment_id: env.clone(),
        slug,
        config,
        now: auth.clock().now(),
    };
    let (agent, version) = auth
        .store()
        .deploy_agent(deploy, limits(&state), |agent, created| {
            let topic = if created { "agent:created" } else { "agent:updated" };
            audit(&auth, &p, topic, "agent").in_environment(&env).with_payload(
                json!({ "agentId": agent.id.as_str(), "slug": agent.slug, "version": agent.current }),
            )
        })
        .await?;
    Ok(data(agent_body(&agent, &version, true)))
}

pub(super) fn limits(state: &AppState) -> AgentLimits {
    AgentLimits {
        per_environment: usize::try_from(state.limits.agents_per_environment).unwrap_or(usize::MAX),
        versions_kept: usize::try_from(state.limits.agent_versions_kept).unwrap_or(usize::MAX),
    }
}

/// `GET /agents/{id}`: the agent with its current version's source.
pub(super) async fn get_agent(
    p: Principal,
    auth: web::Data<Authenticator>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let agent = target(&auth, &p, &path, &q, Action::ReadAgents)?;
    let current = current_version(&auth, &agent)?;
    Ok(data(agent_body(&agent, &current, true)))
}

/// `DELETE /agents/{id}`: the agent and every version (`agent:deleted`).
pub(super) async fn delete_agent(
    p: Principal,
    auth: web::Data<Authenticator>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let agent = target(&auth, &p, &path, &q, Action::ManageAgents)?;
    let event = audit(&auth, &p, "agent:deleted", "agent")
        .in_environment(&agent.environment_id)
        .with_payload(json!({ "agentId": agent.id.as_str(), "slug": agent.slug }));
    auth.store().delete_agent(&agent.id, &event).await?;
    Ok(success())
}

/// `GET /agents/{id}/versions`: the kept versions, newest first, without their code.
pub(super) async fn list_versions(
    p: Principal,
    auth: web::Data<Authenticator>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let agent = target(&auth, &p, &path, &q, Action::ReadAgents)?;
    let versions: Vec<Value> = auth
        .store()
        .agent_versions(&agent.id)?
        .iter()
        .map(|v| version_body(v, &agent.slug, false))
        .collect();
    Ok(data(versions))
}

/// `GET /agents/{id}/versions/{versionId}/revert` (a GET, as the client sends it): the kept
/// version becomes current again as a new version whose `origin` is the old one
/// (`agent:updated`).
pub(super) async fn revert_agent(
    p: Principal,
    auth: web::Data<Authenticator>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let (agent_id, version_id) = path.into_inner();
    let agent = target(&auth, &p, &agent_id, &q, Action::ManageAgents)?;
    let version_id = AgentVersionId::parse(&version_id)?;
    let event = audit(&auth, &p, "agent:updated", "agent")
        .in_environment(&agent.environment_id)
        .with_payload(json!({ "agentId": agent.id.as_str(), "slug": agent.slug, "revertedTo": version_id.as_str() }));
    let (agent, version) = auth
        .store()
        .revert_agent(
            &agent.id,
            &version_id,
            limits(&state).versions_kept,
            auth.clock().now(),
            &event,
        )
        .await?;
    Ok(data(version_body(&version, &agent.slug, true)))
}
