//! `/v1/agents`: listeners deployed per environment (`flatfile deploy`, `agents.create`), kept
//! with their versions. Latchkey stores agents and never runs them; every agent it answers
//! says so (`running: false`, `runtimeNote`).

use super::agent_wire::{read_body, AgentBody, AgentConfigBody, VersionBody};
use super::bodies::{flag, Paged};
use super::extract::Query;
use super::reach::allowed_environment;
use super::spaces::environments_in_reach;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::policy::{authorize, Action, Resource};
use crate::auth::Principal;
use crate::domain::{Agent, AgentVersion, Event};
use crate::domain::{AgentId, AgentVersionId, EnvironmentId};
use crate::store::{AgentDeploy, AgentLimits};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// The environment a request names (or an environment-bound caller's own) after `action` is
/// allowed in it; a missing environment and one out of reach look the same (404).
pub(super) fn environment_for(
    state: &AppState,
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
    allowed_environment(state, p, &env, action)?;
    Ok(env)
}

/// Loads the agent in the path after `action` is allowed in its environment; an agent of
/// another environment (or another one than `environmentId` names) is not found.
pub(super) fn target(
    state: &AppState,
    p: &Principal,
    raw: &str,
    q: &Query,
    action: Action,
) -> Result<Agent, ApiError> {
    let id = AgentId::parse(raw)?;
    let missing = || ApiError::NotFound(format!("agent {id} not found"));
    let agent = state
        .store
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

fn current_version(state: &AppState, a: &Agent) -> Result<AgentVersion, ApiError> {
    state
        .store
        .agent_version(&a.id, a.current)?
        .ok_or_else(|| ApiError::Internal(format!("agent {} has lost its current version", a.id)))
}

/// `GET /agents`: one environment's agents, or (for a user naming none) every environment's.
/// Listings leave out `source` and `sourceMap`; `GET /agents/{id}` has them.
pub(super) async fn list_agents(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let page = q.page(20, state.limits.max_page_size)?;
    let envs = listed_environments(&state, &p, &q)?;
    let listed = matching(&state, &envs, &q)?;
    let (shown, pagination) = page.slice(listed);
    Ok(HttpResponse::Ok().json(Paged {
        data: shown
            .iter()
            .map(|(a, v)| AgentBody::new(a, v, false))
            .collect(),
        pagination,
        runtime_note: None,
    }))
}

/// The agents in `envs` (each with its current version) that the query's `isSystem` and
/// `search` (part of the slug, in any case) keep.
fn matching(
    state: &AppState,
    envs: &[EnvironmentId],
    q: &Query,
) -> Result<Vec<(Agent, AgentVersion)>, ApiError> {
    let is_system = flag(q, "isSystem")?;
    let search = q.optional("search")?.map(str::to_lowercase);
    let mut listed = Vec::new();
    for env in envs {
        for agent in state.store.agents_in(env)? {
            let current = current_version(state, &agent)?;
            let matches = is_system.is_none_or(|s| current.config.is_system == s)
                && search
                    .as_ref()
                    .is_none_or(|s| agent.slug.to_lowercase().contains(s));
            if matches {
                listed.push((agent, current));
            }
        }
    }
    Ok(listed)
}

/// The environments `GET /agents` lists: the named one, the caller's own, or every one the
/// caller may read agents in.
fn listed_environments(
    state: &AppState,
    p: &Principal,
    q: &Query,
) -> Result<Vec<EnvironmentId>, ApiError> {
    Ok(match q.optional("environmentId")? {
        Some(raw) => vec![environment_for(state, p, Some(raw), Action::ReadAgents)?],
        None if p.environment().is_some() => {
            vec![environment_for(state, p, None, Action::ReadAgents)?]
        }
        None => environments_in_reach(state, p)?
            .into_iter()
            .filter(|e| {
                authorize(
                    p,
                    Action::ReadAgents,
                    Resource::environment(&p.account_id, e),
                )
                .is_ok()
            })
            .collect(),
    })
}

/// `POST /agents?environmentId=`: deploys. A slug new to the environment creates an agent
/// (`agent:created`); a known one adds a new current version to it (`agent:updated`).
pub(super) async fn create_agent(
    p: Principal,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let named = q.optional("environmentId")?;
    let env = environment_for(&state, &p, named, Action::ManageAgents)?;
    let (max_source, limit) = body_limits(&state);
    let body: AgentConfigBody = read_body(&req, payload, limit).await?;
    let (slug, config) = body.parse(max_source, &state.limits.text)?;
    let deploy = AgentDeploy {
        account_id: p.account_id.clone(),
        environment_id: env.clone(),
        slug,
        config,
        now: state.clock.now(),
    };
    let (agent, version) = state
        .store
        .deploy_agent(deploy, limits(&state), |agent, created| {
            deployed(&state, &p, &env, agent, created)
        })
        .await?;
    Ok(data(AgentBody::new(&agent, &version, true)))
}

/// The most bytes of an agent's source (and of its source map), and of a whole deploy body.
fn body_limits(state: &AppState) -> (usize, usize) {
    let lim = &state.limits;
    let max_source = lim.max_agent_source_bytes;
    let limit = max_source
        .saturating_mul(2)
        .saturating_add(lim.max_body_bytes);
    (max_source, limit)
}

/// The audit event of a deploy: `agent:created` for a new agent, else `agent:updated`.
fn deployed(
    state: &AppState,
    p: &Principal,
    env: &EnvironmentId,
    agent: &Agent,
    created: bool,
) -> Event {
    let topic = if created {
        "agent:created"
    } else {
        "agent:updated"
    };
    audit(state, p, topic, "agent")
        .in_environment(env)
        .with_payload(
            json!({ "agentId": agent.id.as_str(), "slug": agent.slug, "version": agent.current }),
        )
}

pub(super) fn limits(state: &AppState) -> AgentLimits {
    AgentLimits {
        per_environment: state.limits.agents_per_environment,
        versions_kept: state.limits.agent_versions_kept,
    }
}

/// `GET /agents/{id}`: the agent with its current version's source.
pub(super) async fn get_agent(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let agent = target(&state, &p, &path, &q, Action::ReadAgents)?;
    let current = current_version(&state, &agent)?;
    Ok(data(AgentBody::new(&agent, &current, true)))
}

/// `DELETE /agents/{id}`: the agent and every version (`agent:deleted`).
pub(super) async fn delete_agent(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let agent = target(&state, &p, &path, &q, Action::ManageAgents)?;
    let event = audit(&state, &p, "agent:deleted", "agent")
        .in_environment(&agent.environment_id)
        .with_payload(json!({ "agentId": agent.id.as_str(), "slug": agent.slug }));
    state.store.delete_agent(&agent.id, &event).await?;
    Ok(success())
}

/// `GET /agents/{id}/versions`: the kept versions, newest first, without their code.
pub(super) async fn list_versions(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let agent = target(&state, &p, &path, &q, Action::ReadAgents)?;
    let versions = state.store.agent_versions(&agent.id)?;
    let bodies: Vec<VersionBody> = versions
        .iter()
        .map(|v| VersionBody::new(v, &agent.slug, false))
        .collect();
    Ok(data(bodies))
}

/// `GET /agents/{id}/versions/{versionId}/revert` (a GET, as the client sends it): the kept
/// version becomes current again as a new version whose `origin` is the old one
/// (`agent:updated`).
pub(super) async fn revert_agent(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let (agent_id, version_id) = path.into_inner();
    let agent = target(&state, &p, &agent_id, &q, Action::ManageAgents)?;
    let version_id = AgentVersionId::parse(&version_id)?;
    let event = audit(&state, &p, "agent:updated", "agent")
        .in_environment(&agent.environment_id)
        .with_payload(json!({ "agentId": agent.id.as_str(), "slug": agent.slug, "revertedTo": version_id.as_str() }));
    let (agent, version) = state
        .store
        .revert_agent(
            &agent.id,
            &version_id,
            limits(&state).versions_kept,
            state.clock.now(),
            &event,
        )
        .await?;
    Ok(data(VersionBody::new(&version, &agent.slug, true)))
}
