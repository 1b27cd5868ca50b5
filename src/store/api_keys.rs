//! Environment API keys and the credential digest index.

use super::codec::pair;
use super::{abort, Abort, ApiKey, CredentialRef, Event, Store, StoreError, Tx, TxResult, T};
use crate::domain::{ApiKeyId, EnvironmentId, Timestamp};
use std::sync::atomic::Ordering;

impl Store {
    /// One key by id.
    pub fn api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        self.get(T::ApiKeys, id.as_str().as_bytes())
    }

    /// What a credential digest points at (counted, so tests can prove when no lookup happened).
    pub fn credential_by_digest(
        &self,
        digest: &[u8; 32],
    ) -> Result<Option<CredentialRef>, StoreError> {
        self.inner
            .credential_lookups
            .fetch_add(1, Ordering::Relaxed);
        self.get(T::Digests, digest)
    }

    /// Every key of an environment, oldest first, expired ones included.
    pub fn api_keys_of(&self, env: &EnvironmentId) -> Result<Vec<ApiKey>, StoreError> {
        let mut keys = Vec::new();
        for id in self.api_key_ids_of(env)? {
            if let Some(key) = self.api_key(&id)? {
                keys.push(key);
            }
        }
        keys.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(keys)
    }

    /// Adds a key to an existing environment, refusing past `max_per_environment`.
    pub async fn insert_api_key(
        &self,
        key: &ApiKey,
        max_per_environment: usize,
        event: &Event,
    ) -> Result<(), StoreError> {
        let _guard = self.structure_lock().await;
        self.ensure_key_room(
            &key.environment_id,
            None,
            key.created_at,
            max_per_environment,
        )?;
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            if !tx.environment_exists(&key.environment_id)? {
                return abort(Abort::NotFound(format!(
                    "environment {} not found",
                    key.environment_id
                )));
            }
            tx.insert_api_key(key)
        })
        .await
    }

    /// Refuses when the environment already has `max` working keys (besides `leaving`).
    fn ensure_key_room(
        &self,
        env: &EnvironmentId,
        leaving: Option<&ApiKeyId>,
        now: Timestamp,
        max: usize,
    ) -> Result<(), StoreError> {
        let active = self
            .api_keys_of(env)?
            .iter()
            .filter(|k| k.is_active_at(now) && Some(&k.id) != leaving)
            .count();
        if active >= max {
            return Err(StoreError::Limit(format!(
                "an environment holds at most {max} working keys (limits.keys_per_environment); delete one first"
            )));
        }
        Ok(())
    }

    /// Deletes a key; its digest stops resolving at once.
    pub async fn delete_api_key(&self, id: &ApiKeyId, event: &Event) -> Result<(), StoreError> {
        self.write(std::slice::from_ref(event), |tx| {
            if !tx.remove_api_key(id)? {
                return abort(Abort::NotFound(format!("key {id} not found")));
            }
            Ok(())
        })
        .await
    }

    /// Adds `replacement` and makes `old` expire at `expires_at`, in one transaction.
    pub async fn rotate_api_key(
        &self,
        old: &ApiKeyId,
        expires_at: Timestamp,
        replacement: &ApiKey,
        max_per_environment: usize,
        event: &Event,
    ) -> Result<ApiKey, StoreError> {
        let _guard = self.structure_lock().await;
        let now = replacement.created_at;
        let leaving = (expires_at <= now).then_some(old);
        self.ensure_key_room(
            &replacement.environment_id,
            leaving,
            now,
            max_per_environment,
        )?;
        self.write_locked(_guard, std::slice::from_ref(event), |tx| {
            let Some(mut current) = tx.get::<ApiKey>(T::ApiKeys, old.as_str().as_bytes())? else {
                return abort(Abort::NotFound(format!("key {old} not found")));
            };
            if current.replaced_by.is_some() {
                return abort(Abort::Conflict(format!(
                    "key {old} has already been rotated"
                )));
            }
            current.expires_at = Some(expires_at);
            current.replaced_by = Some(replacement.id.clone());
            current.updated_at = replacement.created_at;
            tx.put(T::ApiKeys, old.as_str().as_bytes(), &current)?;
            tx.insert_api_key(replacement)?;
            Ok(current)
        })
        .await
    }
}

impl Tx<'_> {
    /// Writes a key with its environment and digest index entries.
    pub(super) fn insert_api_key(&self, key: &ApiKey) -> TxResult<()> {
        self.put(T::ApiKeys, key.id.as_str().as_bytes(), key)?;
        self.put_raw(
            T::EnvKeys,
            &pair(key.environment_id.as_str(), key.id.as_str()),
            &[],
        )?;
        self.put(
            T::Digests,
            &key.digest,
            &CredentialRef::ApiKey(key.id.clone()),
        )
    }

    /// Removes a key and its index entries; false when it did not exist.
    pub(super) fn remove_api_key(&self, id: &ApiKeyId) -> TxResult<bool> {
        let Some(key) = self.get::<ApiKey>(T::ApiKeys, id.as_str().as_bytes())? else {
            return Ok(false);
        };
        self.remove(T::ApiKeys, id.as_str().as_bytes())?;
        self.remove(T::EnvKeys, &pair(key.environment_id.as_str(), id.as_str()))?;
        self.put(
            T::Digests,
            &key.digest,
            &CredentialRef::Revoked(key.updated_at.max(key.created_at)),
        )?;
        Ok(true)
    }
}
