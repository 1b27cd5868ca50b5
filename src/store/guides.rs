//! Environment guides: onboarding documents kept per environment with their latest versions.

use super::codec::{pair, pair_prefix, Record};
use super::{abort, Abort, Event, Store, StoreError, T};
use crate::domain::{EnvironmentId, Guide, GuideId};

impl Record for Guide {
    const VERSION: u8 = 1;
    const NAME: &'static str = "guide";
}

impl Store {
    /// One guide.
    pub fn guide(&self, id: &GuideId) -> Result<Option<Guide>, StoreError> {
        self.get(T::Guides, id.as_str().as_bytes())
    }

    /// The guides of an environment, oldest first.
    pub fn guides_in(&self, env: &EnvironmentId) -> Result<Vec<Guide>, StoreError> {
        let mut out = Vec::new();
        for id in self.pair_seconds(T::EnvGuides, env.as_str())? {
            if let Some(g) = self.get::<Guide>(T::Guides, id.as_bytes())? {
                out.push(g);
            }
        }
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(out)
    }

    fn slug_taken(&self, guide: &Guide) -> Result<bool, StoreError> {
        Ok(self
            .guides_in(&guide.environment_id)?
            .iter()
            .any(|g| g.slug == guide.slug && g.id != guide.id))
    }

    /// Creates a guide, refusing a slug already used in its environment and a new guide past
    /// `max_per_environment`.
    pub async fn create_guide(
        &self,
        guide: &Guide,
        max_per_environment: usize,
        event: &Event,
    ) -> Result<(), StoreError> {
        let guard = self.structure_lock().await;
        let env = guide.environment_id.as_str();
        if self.count_prefix(T::EnvGuides, &pair_prefix(env), max_per_environment)
            >= max_per_environment
        {
            return Err(StoreError::Limit(format!(
                "an environment holds at most {max_per_environment} guides (limits.guides_per_environment)"
            )));
        }
        self.put_guide(guard, guide, event, true).await
    }

    /// Replaces a guide, refusing a slug already used by another guide of its environment.
    pub async fn update_guide(&self, guide: &Guide, event: &Event) -> Result<(), StoreError> {
        let guard = self.structure_lock().await;
        self.put_guide(guard, guide, event, false).await
    }

    async fn put_guide(
        &self,
        guard: tokio::sync::MutexGuard<'_, ()>,
        guide: &Guide,
        event: &Event,
        new: bool,
    ) -> Result<(), StoreError> {
        if self.slug_taken(guide)? {
            return Err(StoreError::Conflict(format!(
                "a guide with slug '{}' already exists in environment {}",
                guide.slug, guide.environment_id
            )));
        }
        let index = pair(guide.environment_id.as_str(), guide.id.as_str());
        self.write_locked(guard, std::slice::from_ref(event), |tx| {
            if !tx.environment_exists(&guide.environment_id)? {
                return abort(Abort::NotFound(format!(
                    "environment {} not found",
                    guide.environment_id
                )));
            }
            let exists = tx
                .get_raw(T::Guides, guide.id.as_str().as_bytes())?
                .is_some();
            match (new, exists) {
                (true, true) => {
                    return abort(Abort::Conflict(format!("guide {} exists", guide.id)))
                }
                (false, false) => {
                    return abort(Abort::NotFound(format!("guide {} not found", guide.id)))
                }
                _ => {}
            }
            tx.put(T::Guides, guide.id.as_str().as_bytes(), guide)?;
            tx.put_raw(T::EnvGuides, &index, &[])
        })
        .await
    }

    /// Deletes a guide and its versions.
    pub async fn delete_guide(&self, guide: &Guide, event: &Event) -> Result<(), StoreError> {
        let index = pair(guide.environment_id.as_str(), guide.id.as_str());
        self.write(std::slice::from_ref(event), |tx| {
            if !tx.remove(T::Guides, guide.id.as_str().as_bytes())? {
                return abort(Abort::NotFound(format!("guide {} not found", guide.id)));
            }
            tx.remove(T::EnvGuides, &index)?;
            Ok(())
        })
        .await
    }

    /// The `env_guides` keys and guide ids of an environment (for its deletion).
    pub(super) fn guide_keys_in(
        &self,
        env: &EnvironmentId,
    ) -> Result<Vec<(Vec<u8>, String)>, StoreError> {
        Ok(self
            .pair_seconds(T::EnvGuides, env.as_str())?
            .into_iter()
            .map(|id| (pair(env.as_str(), &id), id))
            .collect())
    }

    /// Every guide is indexed under its environment, and every index entry names a guide of
    /// that environment.
    pub(super) fn check_guides(&self, limit: Option<usize>) -> Result<(), String> {
        let max = limit.unwrap_or(usize::MAX);
        for item in self.tree(T::Guides).iter().take(max) {
            let (_, value) = item.map_err(|e| e.to_string())?;
            let g = Guide::decode(&value).map_err(|e| e.to_string())?;
            let index = pair(g.environment_id.as_str(), g.id.as_str());
            if !self
                .tree(T::EnvGuides)
                .contains_key(index)
                .map_err(|e| e.to_string())?
            {
                return Err(format!("guide {} is missing from env_guides", g.id));
            }
        }
        for item in self.tree(T::EnvGuides).iter().keys().take(max) {
            let key = item.map_err(|e| e.to_string())?;
            let id = super::codec::pair_second(&key)
                .ok_or_else(|| "env_guides holds a malformed key".to_owned())?;
            let env = std::str::from_utf8(&key[..key.len() - id.len() - 1]).unwrap_or("");
            match self.get::<Guide>(T::Guides, id.as_bytes()) {
                Ok(Some(g)) if g.environment_id.as_str() == env => {}
                _ => {
                    return Err(format!(
                        "env_guides names guide {id}, which is not in {env}"
                    ))
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;

    #[test]
    fn guides_round_trip() {
        let mut g = Guide::sample();
        g.add_version("[1]".into(), Timestamp(3), 5);
        assert_eq!(Guide::decode(&g.encode()).unwrap(), g);
    }
}
