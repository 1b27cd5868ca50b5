//! `/v1/agents/{id}/roles` and the agent log endpoints. Roles are stored like user roles (one
//! assignment per resource); the logs are always empty, as Latchkey never runs agents.

use super::agent_wire::RUNTIME_NOTE;
use super::agents::{environment_for, target};
use super::bodies::Paged;
use super::extract::{JsonBody, Query};
use super::users::RoleAssignment;
use super::{audit, data, success, ApiError, AppState};
use crate::auth::policy::Action;
use crate::auth::Principal;
use crate::domain::{ActorRoleId, Agent, AgentRole, EventId, Role};
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::json;

/// The contract's `ActorRole` for a role held by an agent.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AgentRoleBody<'a> {
    id: &'a str,
    role_id: String,
    actor_id: &'a str,
    resource_id: &'a str,
    created_at: String,
    updated_at: String,
}

impl<'a> AgentRoleBody<'a> {
    fn new(agent: &'a Agent, r: &'a AgentRole) -> Self {
        Self {
            id: r.id.as_str(),
            role_id: r.role.id().to_string(),
            actor_id: agent.id.as_str(),
            resource_id: &r.resource_id,
            created_at: r.created_at.to_rfc3339(),
            updated_at: r.created_at.to_rfc3339(),
        }
    }
}

/// `GET /agents/{id}/roles`.
pub(super) async fn list_agent_roles(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let agent = target(&state, &p, &path, &q, Action::ReadAgents)?;
    let roles: Vec<AgentRoleBody> = agent
        .roles
        .iter()
        .map(|r| AgentRoleBody::new(&agent, r))
        .collect();
    Ok(data(roles))
}

/// The role `body` assigns, on the account or the agent's own environment.
fn agent_role(body: &RoleAssignment, agent: &Agent) -> Result<Role, ApiError> {
    let role = body.named_role("agent")?;
    if body.resource_id() != agent.account_id.as_str()
        && body.resource_id() != agent.environment_id.as_str()
    {
        return Err(ApiError::bad_request(
            "resourceId",
            "an agent role applies to the account or to the agent's environment; use one of their ids",
        ));
    }
    Ok(role)
}

/// `POST /agents/{id}/roles`: assigns a role on a resource, replacing the one held there.
pub(super) async fn assign_agent_role(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
    body: JsonBody<RoleAssignment>,
) -> Result<HttpResponse, ApiError> {
    let agent = target(&state, &p, &path, &q, Action::ManageAgents)?;
    let role = agent_role(&body.0, &agent)?;
    let now = state.clock.now();
    let assigned = AgentRole {
        id: ActorRoleId::generate(),
        role,
        resource_id: body.0.resource_id().to_owned(),
        created_at: now,
    };
    let mut roles = agent.roles.clone();
    roles.retain(|r| r.resource_id != assigned.resource_id);
    roles.push(assigned.clone());
    let event = audit(&state, &p, "agent:updated", "agent")
        .in_environment(&agent.environment_id)
        .with_payload(json!({ "agentId": agent.id.as_str(), "roleAssigned": role.as_str(), "resourceId": assigned.resource_id }));
    let agent = state
        .store
        .set_agent_roles(&agent.id, roles, now, &event)
        .await?;
    Ok(data(AgentRoleBody::new(&agent, &assigned)))
}

/// `DELETE /agents/{id}/roles/{actorRoleId}`.
pub(super) async fn delete_agent_role(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let (agent_id, assignment) = path.into_inner();
    let agent = target(&state, &p, &agent_id, &q, Action::ManageAgents)?;
    let assignment = ActorRoleId::parse(&assignment)?;
    if !agent.roles.iter().any(|r| r.id == assignment) {
        return Err(ApiError::NotFound(format!(
            "role assignment {assignment} not found"
        )));
    }
    let roles = agent
        .roles
        .iter()
        .filter(|r| r.id != assignment)
        .cloned()
        .collect();
    let event = audit(&state, &p, "agent:updated", "agent")
        .in_environment(&agent.environment_id)
        .with_payload(json!({ "agentId": agent.id.as_str(), "roleRemoved": assignment.as_str() }));
    state
        .store
        .set_agent_roles(&agent.id, roles, state.clock.now(), &event)
        .await?;
    Ok(success())
}

/// An empty page of logs or executions, with the note that nothing runs.
fn nothing_ran(q: &Query, state: &AppState) -> Result<HttpResponse, ApiError> {
    let page = q.page(20, state.limits.max_page_size)?;
    let (data, pagination) = page.slice(Vec::<()>::new());
    Ok(HttpResponse::Ok().json(Paged {
        data,
        pagination,
        runtime_note: Some(RUNTIME_NOTE),
    }))
}

/// `GET /agents/{id}/logs`.
pub(super) async fn agent_logs(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    target(&state, &p, &path, &q, Action::ReadAgents)?;
    nothing_ran(&q, &state)
}

/// `GET /agents/logs` and `GET /agents/executions`.
pub(super) async fn environment_agent_logs(
    p: Principal,
    state: web::Data<AppState>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    environment_for(&state, &p, q.optional("environmentId")?, Action::ReadAgents)?;
    nothing_ran(&q, &state)
}

/// `GET /agents/log/{eventId}`: there is never one.
pub(super) async fn agent_log(
    p: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    environment_for(&state, &p, q.optional("environmentId")?, Action::ReadAgents)?;
    let id = EventId::parse(&path)?;
    Err(ApiError::NotFound(format!(
        "no agent log for event {id}: {RUNTIME_NOTE}"
    )))
}
