//! Scoped secrets: upserted by (environment, space, name); values stay sealed here.

use super::{abort, Abort, Event, Secret, Store, StoreError, T};
use crate::domain::{EnvironmentId, SecretId, SpaceId};

/// `env ‖ 0 ‖ space-or-empty ‖ 0 ‖ name` for a secret of the whole scope, and
/// `env ‖ 0 ‖ space-or-empty ‖ 0 ‖ 0x01 ‖ actor ‖ 0 ‖ name` for one meant for an actor. Names and
/// actor ids hold no control characters, so the two forms never collide.
fn name_key(
    env: &EnvironmentId,
    space: Option<&SpaceId>,
    actor: Option<&str>,
    name: &str,
) -> Vec<u8> {
    let mut key = scope_prefix(env, space);
    if let Some(actor) = actor {
        key.push(1);
        key.extend_from_slice(actor.as_bytes());
        key.push(0);
    }
    key.extend_from_slice(name.as_bytes());
    key
}

/// The key of `secret` in `secret_names`.
fn key_of(secret: &Secret) -> Vec<u8> {
    name_key(
        &secret.environment_id,
        secret.space_id.as_ref(),
        secret.actor_id.as_deref(),
        &secret.name,
    )
}

/// `env ‖ 0 ‖ space-or-empty ‖ 0`: every secret of one scope.
fn scope_prefix(env: &EnvironmentId, space: Option<&SpaceId>) -> Vec<u8> {
    let mut key = env.as_str().as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(space.map_or("", |s| s.as_str()).as_bytes());
    key.push(0);
    key
}

impl Store {
    /// One secret.
    pub fn secret(&self, id: &SecretId) -> Result<Option<Secret>, StoreError> {
        self.get(T::Secrets, id.as_str().as_bytes())
    }

    /// The secrets of one scope (an environment, or one of its spaces), by name.
    pub fn secrets_in(
        &self,
        env: &EnvironmentId,
        space: Option<&SpaceId>,
    ) -> Result<Vec<Secret>, StoreError> {
        let mut out = Vec::new();
        for item in self
            .tree(T::SecretNames)
            .scan_prefix(scope_prefix(env, space))
            .values()
        {
            if let Some(secret) = self.get::<Secret>(T::Secrets, &item?)? {
                out.push(secret);
            }
        }
        Ok(out)
    }

    /// The secret with this scope, actor (none: the scope's own) and name.
    pub fn secret_named(
        &self,
        env: &EnvironmentId,
        space: Option<&SpaceId>,
        actor: Option<&str>,
        name: &str,
    ) -> Result<Option<Secret>, StoreError> {
        match self
            .tree(T::SecretNames)
            .get(name_key(env, space, actor, name))?
        {
            Some(id) => self.get(T::Secrets, &id),
            None => Ok(None),
        }
    }

    /// Creates or replaces a secret (same id when the scope, actor and name exist), refusing a
    /// new one past `max_per_scope`.
    pub async fn upsert_secret(
        &self,
        secret: &Secret,
        max_per_scope: usize,
        event: &Event,
    ) -> Result<(), StoreError> {
        let _guard = self.structure_lock().await;
        let key = key_of(secret);
        let exists = self.tree(T::SecretNames).contains_key(&key)?;
        if !exists
            && self.count_prefix(
                T::SecretNames,
                &scope_prefix(&secret.environment_id, secret.space_id.as_ref()),
                max_per_scope,
            ) >= max_per_scope
        {
            return Err(StoreError::Limit(format!(
                "a scope holds at most {max_per_scope} secrets (limits.secrets_per_scope)"
            )));
        }
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            if !tx.environment_exists(&secret.environment_id)? {
                return abort(Abort::NotFound(format!(
                    "environment {} not found",
                    secret.environment_id
                )));
            }
            if let Some(space) = &secret.space_id {
                if tx.get_raw(T::Spaces, space.as_str().as_bytes())?.is_none() {
                    return abort(Abort::NotFound(format!("space {space} not found")));
                }
            }
            tx.put(T::Secrets, secret.id.as_str().as_bytes(), secret)?;
            tx.put_raw(T::SecretNames, &key, secret.id.as_str().as_bytes())
        })
        .await
    }

    /// Deletes a secret.
    pub async fn delete_secret(&self, secret: &Secret, event: &Event) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            if !tx.remove(T::Secrets, secret.id.as_str().as_bytes())? {
                return abort(Abort::NotFound(format!("secret {} not found", secret.id)));
            }
            tx.remove(T::SecretNames, &key_of(secret))?;
            // Before actor-scoped keys, a secret with an actor was indexed under its scope's
            // own key: drop such an entry too when it names this secret.
            let legacy = name_key(
                &secret.environment_id,
                secret.space_id.as_ref(),
                None,
                &secret.name,
            );
            if secret.actor_id.is_some()
                && tx.get_raw(T::SecretNames, &legacy)?.as_deref()
                    == Some(secret.id.as_str().as_bytes())
            {
                tx.remove(T::SecretNames, &legacy)?;
            }
            Ok(())
        })
        .await
    }

    /// Every secret id of an environment (for its deletion).
    pub(super) fn secret_keys_in(
        &self,
        env: &EnvironmentId,
    ) -> Result<Vec<(sled::IVec, sled::IVec)>, StoreError> {
        let mut prefix = env.as_str().as_bytes().to_vec();
        prefix.push(0);
        Ok(self
            .tree(T::SecretNames)
            .scan_prefix(prefix)
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// Every secret of one space (for its deletion), as (name key, id).
    pub(super) fn secret_keys_of_space(
        &self,
        env: &EnvironmentId,
        space: &SpaceId,
    ) -> Result<Vec<(sled::IVec, sled::IVec)>, StoreError> {
        Ok(self
            .tree(T::SecretNames)
            .scan_prefix(scope_prefix(env, Some(space)))
            .collect::<Result<Vec<_>, _>>()?)
    }
}
