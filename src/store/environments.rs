//! Environments and the removal of everything they own.

use super::codec::{pair_prefix, pair_second};
use super::{abort, Abort, ApiKey, Environment, Event, Store, StoreError, Tx, TxResult, T};
use crate::domain::{ApiKeyId, EnvironmentId, SpaceId};
use std::sync::Arc;

impl Store {
    /// One environment.
    pub fn environment(&self, id: &EnvironmentId) -> Result<Option<Environment>, StoreError> {
        self.get(T::Environments, id.as_str().as_bytes())
    }

    /// Every environment, oldest first. Kept in memory until the next write.
    pub fn environments(&self) -> Result<Arc<Vec<Environment>>, StoreError> {
        self.inner
            .environments
            .get_or_try_init(self.generation(), || {
                let mut all = self
                    .scan::<Environment>(T::Environments, b"")
                    .map(|r| r.map(|(_, env)| env))
                    .collect::<Result<Vec<_>, _>>()?;
                all.sort_by(|a, b| {
                    (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str()))
                });
                Ok(Arc::new(all))
            })
    }

    /// Creates an environment together with its first keys.
    pub async fn create_environment(
        &self,
        env: &Environment,
        keys: &[ApiKey],
        event: &Event,
    ) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            tx.put(T::Environments, env.id.as_str().as_bytes(), env)?;
            for key in keys {
                tx.insert_api_key(key)?;
            }
            Ok(())
        })
        .await
    }

    /// Replaces an existing environment.
    pub async fn update_environment(
        &self,
        env: &Environment,
        event: &Event,
    ) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            if tx
                .get_raw(T::Environments, env.id.as_str().as_bytes())?
                .is_none()
            {
                return abort(Abort::NotFound(format!("environment {} not found", env.id)));
            }
            tx.put(T::Environments, env.id.as_str().as_bytes(), env)
        })
        .await
    }

    /// Deletes an environment with every key, space (and its workbooks), guest (and its
    /// grants), secret agent (and its versions) and guide it owns, in one transaction.
    pub async fn delete_environment(
        &self,
        id: &EnvironmentId,
        event: &Event,
    ) -> Result<(), StoreError> {
        let _guard = self.structure_lock().await;
        let key_ids = self.api_key_ids_of(id)?;
        let spaces = self
            .pair_seconds(T::EnvSpaces, id.as_str())?
            .iter()
            .filter_map(|s| SpaceId::parse(s).ok())
            .map(|s| self.space_plan(&s))
            .collect::<Result<Vec<_>, _>>()?;
        let guests = self
            .guest_ids_in(id)?
            .into_iter()
            .map(|g| Ok((self.grants_of(&g)?, g)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let secrets = self.secret_keys_in(id)?;
        let agents = self.agent_plans_in(id)?;
        let guides = self.guide_keys_in(id)?;
        let webhooks = self.webhook_plans_in(id)?;
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            let Some(env) = tx.get::<Environment>(T::Environments, id.as_str().as_bytes())? else {
                return abort(Abort::NotFound(format!("environment {id} not found")));
            };
            tx.remove(T::Environments, env.id.as_str().as_bytes())?;
            for key_id in &key_ids {
                tx.remove_api_key(key_id)?;
            }
            for plan in &spaces {
                tx.remove_space(plan)?;
            }
            for (grants, guest) in &guests {
                tx.remove_guest(guest, grants)?;
            }
            for (name_key, secret_id) in &secrets {
                tx.remove(T::SecretNames, name_key)?;
                tx.remove(T::Secrets, secret_id)?;
            }
            for plan in &agents {
                tx.remove_agent(plan)?;
            }
            tx.remove_webhooks(id, &webhooks)?;
            for (index, guide_id) in &guides {
                tx.remove(T::EnvGuides, index)?;
                tx.remove(T::Guides, guide_id.as_bytes())?;
            }
            Ok(())
        })
        .await
    }

    /// The ids of every key in an environment, expired ones included.
    pub(super) fn api_key_ids_of(&self, env: &EnvironmentId) -> Result<Vec<ApiKeyId>, StoreError> {
        self.tree(T::EnvKeys)
            .scan_prefix(pair_prefix(env.as_str()))
            .keys()
            .map(|k| {
                let k = k?;
                pair_second(&k)
                    .and_then(|id| ApiKeyId::parse(id).ok())
                    .ok_or_else(|| StoreError::Corrupt("env_keys holds a malformed key".into()))
            })
            .collect()
    }
}

impl Tx<'_> {
    /// True when the environment exists inside this transaction.
    pub(super) fn environment_exists(&self, id: &EnvironmentId) -> TxResult<bool> {
        Ok(self
            .get_raw(T::Environments, id.as_str().as_bytes())?
            .is_some())
    }
}
