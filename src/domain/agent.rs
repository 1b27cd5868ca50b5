//! Agents: an agent (slug, version numbers, roles) and its versions (the deployed configuration
//! and code).

use super::{AccountId, ActorRoleId, AgentId, AgentVersionId, EnvironmentId, Role, Timestamp};
use serde::{Deserialize, Serialize};

/// What a deploy uploads: the listener's topics, code and settings. JSON documents are kept
/// as text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentConfig {
    /// Event topics the listener handles.
    pub topics: Vec<String>,
    /// `js`, when given.
    pub compiler: Option<String>,
    /// The bundled listener code.
    pub source: Option<String>,
    /// Its source map.
    pub source_map: Option<String>,
    /// Options object, as JSON text.
    pub options: Option<String>,
    /// A hosted template name, kept as given.
    pub template: Option<String>,
    /// Template options object, as JSON text.
    pub template_options: Option<String>,
    /// Marked as a system agent.
    pub is_system: bool,
    /// Namespace filter (`space:…`, `workbook:…`).
    pub namespace: Option<String>,
    /// Package versions object, as JSON text.
    pub package_versions: Option<String>,
    /// Commit information object, as JSON text.
    pub commit_info: Option<String>,
}

/// A role assigned to an agent on the account or on the agent's environment. Stored and shown;
/// an agent has no credential, so the role lets nothing act in Latchkey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentRole {
    /// `us_acr_…`.
    pub id: ActorRoleId,
    /// Administrator or Member.
    pub role: Role,
    /// The account or environment id the role applies to.
    pub resource_id: String,
    /// Assigned.
    pub created_at: Timestamp,
}

/// An agent: its identity, slug and current version; the code lives in its versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// `us_ag_…`.
    pub id: AgentId,
    /// Account.
    pub account_id: AccountId,
    /// Environment.
    pub environment_id: EnvironmentId,
    /// Unique within the environment.
    pub slug: String,
    /// The version number in use.
    pub current: u32,
    /// The highest version number given out.
    pub latest: u32,
    /// Role assignments.
    pub roles: Vec<AgentRole>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// One version of an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentVersion {
    /// `us_agv_…`.
    pub id: AgentVersionId,
    /// The agent.
    pub agent_id: AgentId,
    /// 1, 2, … in deploy order.
    pub version: u32,
    /// The version whose configuration this is: itself for a deploy, the older one for a revert.
    pub origin: u32,
    /// What was deployed.
    pub config: AgentConfig,
    /// Created.
    pub created_at: Timestamp,
}
