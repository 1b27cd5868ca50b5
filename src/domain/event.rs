//! Audit events: what changed, who did it, and where.

use super::{AccountId, EnvironmentId, EventId, SpaceId, Timestamp};
use serde::{Deserialize, Serialize};

/// One audit event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `us_evt_…`.
    pub id: EventId,
    /// For example `environment:created` or `api-key:rotated`.
    pub topic: String,
    /// For example `environment` or `auth`.
    pub domain: String,
    /// Account.
    pub account_id: AccountId,
    /// Environment, when the event belongs to one.
    pub environment_id: Option<EnvironmentId>,
    /// Space, when the event belongs to one.
    pub space_id: Option<String>,
    /// Who did it: a user, key, PAT or guest id (never a raw credential).
    pub actor_id: Option<String>,
    /// What changed, as JSON text; never secret material.
    pub payload: String,
    /// When.
    pub created_at: Timestamp,
    /// When it was acknowledged.
    pub acknowledged_at: Option<Timestamp>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
}

impl Event {
    /// A new event at `now` with a fresh id and no acknowledgement.
    pub fn new(topic: &str, domain: &str, account_id: AccountId, now: Timestamp) -> Self {
        Self {
            id: EventId::generate_timed(),
            topic: topic.to_owned(),
            domain: domain.to_owned(),
            account_id,
            environment_id: None,
            space_id: None,
            actor_id: None,
            payload: "{}".to_owned(),
            created_at: now,
            acknowledged_at: None,
            acknowledged_by: None,
        }
    }

    /// Sets the environment.
    pub fn in_environment(mut self, id: &EnvironmentId) -> Self {
        self.environment_id = Some(id.clone());
        self
    }

    /// Sets the space.
    pub fn in_space(mut self, id: &SpaceId) -> Self {
        self.space_id = Some(id.to_string());
        self
    }

    /// Sets the actor.
    pub fn by(mut self, actor: Option<String>) -> Self {
        self.actor_id = actor;
        self
    }

    /// Sets the payload.
    pub fn with_payload(mut self, payload: serde_json::Value) -> Self {
        self.payload = payload.to_string();
        self
    }
}
