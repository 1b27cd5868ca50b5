//! How the agent records are stored: an agent and its versions, each as versioned bincode.

use super::codec::Record;
use crate::domain::{Agent, AgentVersion};

impl Record for Agent {
    const VERSION: u8 = 1;
    const NAME: &'static str = "agent";
}

impl Record for AgentVersion {
    const VERSION: u8 = 1;
    const NAME: &'static str = "agent version";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;

    #[test]
    fn agent_records_round_trip() {
        let now = Timestamp(1_700_000_000_000);
        let agent = Agent {
            id: AgentId::generate(),
            account_id: AccountId::generate(),
            environment_id: EnvironmentId::generate(),
            slug: "default".into(),
            current: 2,
            latest: 3,
            roles: vec![AgentRole {
                id: ActorRoleId::generate(),
                role: Role::Member,
                resource_id: "us_env_x".into(),
                created_at: now,
            }],
            created_at: now,
            updated_at: now,
        };
        assert_eq!(Agent::decode(&agent.encode()).unwrap(), agent);
        let version = AgentVersion {
            id: AgentVersionId::generate(),
            agent_id: agent.id.clone(),
            version: 3,
            origin: 1,
            config: AgentConfig {
                topics: vec!["space:created".into()],
                compiler: Some("js".into()),
                source: Some("module.exports = {}".into()),
                options: Some("{}".into()),
                ..AgentConfig::default()
            },
            created_at: now,
        };
        assert_eq!(AgentVersion::decode(&version.encode()).unwrap(), version);
    }
}
