//! Agents: listeners deployed per environment, kept with their versions. Latchkey stores them
//! and never runs them. A deploy with a slug the environment already has adds a version to
//! that agent; a revert copies an older version into a new current one.

use super::codec::{pair, pair_prefix, pair_second, Record};
use super::{abort, Abort, Event, Store, StoreError, Tx, TxResult, T};
use crate::domain::{
    AccountId, Agent, AgentConfig, AgentId, AgentRole, AgentVersion, AgentVersionId, EnvironmentId,
    Timestamp,
};

/// A deploy: the configuration for the agent with `slug` in `environment_id`.
#[derive(Debug, Clone)]
pub struct AgentDeploy {
    /// Account.
    pub account_id: AccountId,
    /// Environment.
    pub environment_id: EnvironmentId,
    /// The agent to add a version to, or to create.
    pub slug: String,
    /// What to deploy.
    pub config: AgentConfig,
    /// Now.
    pub now: Timestamp,
}

/// The bounds a deploy or revert keeps to.
#[derive(Debug, Clone, Copy)]
pub struct AgentLimits {
    /// Agents per environment.
    pub per_environment: usize,
    /// Versions kept per agent.
    pub versions_kept: usize,
}

/// `agent id ‖ 0 ‖ version (u32 BE)`: an `agent_versions` key.
fn version_key(agent: &AgentId, version: u32) -> Vec<u8> {
    let mut key = pair_prefix(agent.as_str());
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// The version number at the end of an `agent_versions` key.
fn version_of(key: &[u8]) -> Option<u32> {
    let at = key.iter().position(|&b| b == 0)?;
    Some(u32::from_be_bytes(key.get(at + 1..)?.try_into().ok()?))
}

/// What removing an agent touches.
pub(super) struct AgentPlan {
    agent: Agent,
    versions: Vec<u32>,
}

impl Store {
    /// One agent.
    pub fn agent(&self, id: &AgentId) -> Result<Option<Agent>, StoreError> {
        self.get(T::Agents, id.as_str().as_bytes())
    }

    /// The agents of an environment, oldest first.
    pub fn agents_in(&self, env: &EnvironmentId) -> Result<Vec<Agent>, StoreError> {
        let mut out = Vec::new();
        for id in self.pair_seconds(T::EnvAgents, env.as_str())? {
            if let Some(agent) = self.get::<Agent>(T::Agents, id.as_bytes())? {
                out.push(agent);
            }
        }
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(out)
    }

    /// One version of an agent by number.
    pub fn agent_version(
        &self,
        agent: &AgentId,
        version: u32,
    ) -> Result<Option<AgentVersion>, StoreError> {
        self.get(T::AgentVersions, &version_key(agent, version))
    }

    /// The kept versions of an agent, newest first.
    pub fn agent_versions(&self, agent: &AgentId) -> Result<Vec<AgentVersion>, StoreError> {
        let mut out = self
            .scan::<AgentVersion>(T::AgentVersions, &pair_prefix(agent.as_str()))
            .map(|r| r.map(|(_, v)| v))
            .collect::<Result<Vec<_>, _>>()?;
        out.reverse();
        Ok(out)
    }

    fn version_numbers(&self, agent: &AgentId) -> Result<Vec<u32>, StoreError> {
        self.tree(T::AgentVersions)
            .scan_prefix(pair_prefix(agent.as_str()))
            .keys()
            .map(|k| {
                version_of(&k?).ok_or_else(|| {
                    StoreError::Corrupt("agent_versions holds a malformed key".into())
                })
            })
            .collect()
    }

    /// Deploys: a new agent when the slug is new to the environment (refused past
    /// `per_environment`), else a new current version of that agent; versions beyond
    /// `versions_kept` are removed, oldest first. `event` gets the agent and whether it is new.
    pub async fn deploy_agent(
        &self,
        deploy: AgentDeploy,
        limits: AgentLimits,
        event: impl FnOnce(&Agent, bool) -> Event,
    ) -> Result<(Agent, AgentVersion), StoreError> {
        let guard = self.structure_lock().await;
        let env = &deploy.environment_id;
        let slug_key = pair(env.as_str(), &deploy.slug);
        let existing = match self.tree(T::AgentSlugs).get(&slug_key)? {
            Some(id) => self.get::<Agent>(T::Agents, &id)?,
            None => None,
        };
        let created = existing.is_none();
        if created
            && self.count_prefix(
                T::EnvAgents,
                &pair_prefix(env.as_str()),
                limits.per_environment,
            ) >= limits.per_environment
        {
            return Err(StoreError::Limit(format!(
                "an environment holds at most {} agents (limits.agents_per_environment)",
                limits.per_environment
            )));
        }
        let mut agent = existing.unwrap_or_else(|| Agent {
            id: AgentId::generate(),
            account_id: deploy.account_id.clone(),
            environment_id: env.clone(),
            slug: deploy.slug.clone(),
            current: 0,
            latest: 0,
            roles: Vec::new(),
            created_at: deploy.now,
            updated_at: deploy.now,
        });
        let version = next_version(&agent, deploy.config, None, deploy.now)?;
        agent.latest = version.version;
        agent.current = version.version;
        agent.updated_at = deploy.now;
        let pruned = self.prunable(&agent, limits.versions_kept)?;
        let event = event(&agent, created);
        self.write_locked(guard, std::slice::from_ref(&event), |tx| {
            if !tx.environment_exists(env)? {
                return abort(Abort::NotFound(format!("environment {env} not found")));
            }
            tx.put(T::Agents, agent.id.as_str().as_bytes(), &agent)?;
            tx.put_raw(T::EnvAgents, &pair(env.as_str(), agent.id.as_str()), &[])?;
            tx.put_raw(T::AgentSlugs, &slug_key, agent.id.as_str().as_bytes())?;
            tx.put(
                T::AgentVersions,
                &version_key(&agent.id, version.version),
                &version,
            )?;
            for n in &pruned {
                tx.remove(T::AgentVersions, &version_key(&agent.id, *n))?;
            }
            Ok(())
        })
        .await?;
        Ok((agent, version))
    }

    /// Makes the kept version `target` current again, as a new version whose `origin` is
    /// `target`.
    pub async fn revert_agent(
        &self,
        agent: &AgentId,
        target: &AgentVersionId,
        versions_kept: usize,
        now: Timestamp,
        event: &Event,
    ) -> Result<(Agent, AgentVersion), StoreError> {
        let guard = self.structure_lock().await;
        let not_found = || StoreError::NotFound(format!("agent {agent} not found"));
        let mut record = self.agent(agent)?.ok_or_else(not_found)?;
        let old = self
            .agent_versions(agent)?
            .into_iter()
            .find(|v| v.id == *target)
            .ok_or_else(|| {
                StoreError::NotFound(format!("version {target} of agent {agent} not found"))
            })?;
        let version = next_version(&record, old.config, Some(old.version), now)?;
        record.latest = version.version;
        record.current = version.version;
        record.updated_at = now;
        let pruned = self.prunable(&record, versions_kept)?;
        self.write_locked(guard, std::slice::from_ref(event), |tx| {
            if tx.get_raw(T::Agents, agent.as_str().as_bytes())?.is_none() {
                return abort(Abort::NotFound(format!("agent {agent} not found")));
            }
            tx.put(T::Agents, agent.as_str().as_bytes(), &record)?;
            tx.put(
                T::AgentVersions,
                &version_key(agent, version.version),
                &version,
            )?;
            for n in &pruned {
                tx.remove(T::AgentVersions, &version_key(agent, *n))?;
            }
            Ok(())
        })
        .await?;
        Ok((record, version))
    }

    /// Replaces an agent's role assignments.
    pub async fn set_agent_roles(
        &self,
        agent: &AgentId,
        roles: Vec<AgentRole>,
        now: Timestamp,
        event: &Event,
    ) -> Result<Agent, StoreError> {
        let _guard = self.structure_lock().await;
        let mut record = self
            .agent(agent)?
            .ok_or_else(|| StoreError::NotFound(format!("agent {agent} not found")))?;
        record.roles = roles;
        record.updated_at = now;
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            if tx.get_raw(T::Agents, agent.as_str().as_bytes())?.is_none() {
                return abort(Abort::NotFound(format!("agent {agent} not found")));
            }
            tx.put(T::Agents, agent.as_str().as_bytes(), &record)
        })
        .await?;
        Ok(record)
    }

    /// Deletes an agent with every version.
    pub async fn delete_agent(&self, agent: &AgentId, event: &Event) -> Result<(), StoreError> {
        let guard = self.structure_lock().await;
        let plan = self
            .agent_plan(agent)?
            .ok_or_else(|| StoreError::NotFound(format!("agent {agent} not found")))?;
        self.write_locked(guard, std::slice::from_ref(event), |tx| {
            tx.remove_agent(&plan)?;
            Ok(())
        })
        .await
    }

    /// What removing the agent takes, if it exists.
    pub(super) fn agent_plan(&self, agent: &AgentId) -> Result<Option<AgentPlan>, StoreError> {
        let Some(record) = self.agent(agent)? else {
            return Ok(None);
        };
        Ok(Some(AgentPlan {
            versions: self.version_numbers(agent)?,
            agent: record,
        }))
    }

    /// What removing every agent of an environment takes (for its deletion).
    pub(super) fn agent_plans_in(&self, env: &EnvironmentId) -> Result<Vec<AgentPlan>, StoreError> {
        let mut out = Vec::new();
        for id in self.pair_seconds(T::EnvAgents, env.as_str())? {
            let id = AgentId::parse(&id)
                .map_err(|_| StoreError::Corrupt("env_agents holds a malformed key".into()))?;
            out.extend(self.agent_plan(&id)?);
        }
        Ok(out)
    }

    /// Version numbers to drop so that `versions_kept` remain, the current one always among them.
    fn prunable(&self, agent: &Agent, versions_kept: usize) -> Result<Vec<u32>, StoreError> {
        let mut numbers = self.version_numbers(&agent.id)?;
        numbers.retain(|n| *n != agent.current);
        // The current version (not yet stored for a deploy) counts as one kept.
        let keep = versions_kept.saturating_sub(1);
        let drop = numbers.len().saturating_sub(keep);
        numbers.truncate(drop);
        Ok(numbers)
    }

    /// Every agent index entry points at its agent, and every agent at its current version.
    pub(super) fn check_agents(&self, limit: Option<usize>) -> Result<(), String> {
        for item in self
            .tree(T::Agents)
            .iter()
            .values()
            .take(limit.unwrap_or(usize::MAX))
        {
            let agent =
                Agent::decode(&item.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
            let listed = self
                .tree(T::EnvAgents)
                .contains_key(pair(agent.environment_id.as_str(), agent.id.as_str()))
                .map_err(|e| e.to_string())?;
            let slug = self
                .tree(T::AgentSlugs)
                .get(pair(agent.environment_id.as_str(), &agent.slug))
                .map_err(|e| e.to_string())?;
            if !listed || slug.as_deref() != Some(agent.id.as_str().as_bytes()) {
                return Err(format!(
                    "agent {} is missing from the agent indexes",
                    agent.id
                ));
            }
            if self
                .tree(T::AgentVersions)
                .get(version_key(&agent.id, agent.current))
                .map_err(|e| e.to_string())?
                .is_none()
            {
                return Err(format!("agent {} has lost its current version", agent.id));
            }
        }
        for item in self
            .tree(T::EnvAgents)
            .iter()
            .keys()
            .take(limit.unwrap_or(usize::MAX))
        {
            let key = item.map_err(|e| e.to_string())?;
            let id = pair_second(&key).unwrap_or_default();
            if self
                .tree(T::Agents)
                .get(id.as_bytes())
                .map_err(|e| e.to_string())?
                .is_none()
            {
                return Err(format!("env_agents lists agent {id}, which does not exist"));
            }
        }
        Ok(())
    }
}

/// The version after `agent`'s latest, carrying `config`.
fn next_version(
    agent: &Agent,
    config: AgentConfig,
    origin: Option<u32>,
    now: Timestamp,
) -> Result<AgentVersion, StoreError> {
    let number = agent.latest.checked_add(1).ok_or_else(|| {
        StoreError::Limit(format!("agent {} has run out of version numbers", agent.id))
    })?;
    Ok(AgentVersion {
        id: AgentVersionId::generate(),
        agent_id: agent.id.clone(),
        version: number,
        origin: origin.unwrap_or(number),
        config,
        created_at: now,
    })
}

impl Tx<'_> {
    /// Removes an agent, its index entries and its versions.
    pub(super) fn remove_agent(&self, plan: &AgentPlan) -> TxResult<()> {
        let agent = &plan.agent;
        let env = agent.environment_id.as_str();
        if !self.remove(T::Agents, agent.id.as_str().as_bytes())? {
            return abort(Abort::NotFound(format!("agent {} not found", agent.id)));
        }
        self.remove(T::EnvAgents, &pair(env, agent.id.as_str()))?;
        self.remove(T::AgentSlugs, &pair(env, &agent.slug))?;
        for n in &plan.versions {
            self.remove(T::AgentVersions, &version_key(&agent.id, *n))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_keys_sort_by_number_within_an_agent_and_round_trip() {
        let a = AgentId::generate();
        let k1 = version_key(&a, 1);
        let k2 = version_key(&a, 2);
        let k300 = version_key(&a, 300);
        assert!(k1 < k2 && k2 < k300);
        assert!(k300.starts_with(&pair_prefix(a.as_str())));
        assert_eq!(version_of(&k300), Some(300));
        assert_eq!(version_of(b"no-separator"), None);
    }
}
