//! What keeps spaces bounded: the per-environment count limit, checked in the creating
//! transaction's lock (`limits.spaces_per_environment`), and listings that read only what
//! they filter and sort by — a space's metadata and settings (up to `max_metadata_bytes`
//! each) are not copied, and only the spaces of the page are read in full.

use super::codec::{pair_prefix, Record};
use super::{Space, Store, StoreError, T};
use crate::domain::{AccountId, ApiKeyId, EnvironmentId, GuestAuthentication, SpaceId, Timestamp};
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The limit and a count of full space reads for listings (tests prove pages read only
/// their own spaces).
pub(super) struct SpaceLimits {
    per_environment: AtomicUsize,
    full_reads: AtomicU64,
    summary_reads: AtomicU64,
}

impl Default for SpaceLimits {
    fn default() -> Self {
        Self {
            per_environment: AtomicUsize::new(usize::MAX),
            full_reads: AtomicU64::new(0),
            summary_reads: AtomicU64::new(0),
        }
    }
}

/// A space's `Space` layout, with metadata and settings borrowed, not decoded.
#[derive(Deserialize)]
#[allow(dead_code)]
struct SpaceHead<'a> {
    id: SpaceId,
    account_id: AccountId,
    environment_id: EnvironmentId,
    name: String,
    guest_authentication: Option<Vec<GuestAuthentication>>,
    guests_can_invite: Option<bool>,
    #[serde(borrow)]
    metadata: &'a [u8],
    #[serde(borrow)]
    settings: &'a [u8],
    labels: Vec<String>,
    namespace: Option<String>,
    archived_at: Option<Timestamp>,
    created_by: String,
    created_with_key: Option<ApiKeyId>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// What a listing filters and sorts spaces by.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceSummary {
    /// The space.
    pub id: SpaceId,
    /// Its environment.
    pub environment_id: EnvironmentId,
    /// Display name.
    pub name: String,
    /// Namespace.
    pub namespace: Option<String>,
    /// Archived at.
    pub archived_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
}

fn summary(bytes: &[u8]) -> Result<SpaceSummary, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt(format!("space record {why}"));
    let body = match bytes.split_first() {
        Some((&v, body)) if v == Space::VERSION => body,
        _ => return Err(corrupt("has an unknown version".into())),
    };
    let head: SpaceHead =
        bincode::deserialize(body).map_err(|e| corrupt(format!("does not decode: {e}")))?;
    Ok(SpaceSummary {
        id: head.id,
        environment_id: head.environment_id,
        name: head.name,
        namespace: head.namespace,
        archived_at: head.archived_at,
        created_at: head.created_at,
    })
}

impl Store {
    /// Sets `limits.spaces_per_environment`.
    pub fn set_spaces_per_environment(&self, max: usize) {
        self.inner
            .spaces
            .per_environment
            .store(max.max(1), Ordering::Relaxed);
    }

    /// Refuses when `env` already holds as many spaces as the limit allows (call under the
    /// structure lock, before the creating transaction).
    pub(super) fn ensure_room_for_a_space(&self, env: &EnvironmentId) -> Result<(), StoreError> {
        let max = self.inner.spaces.per_environment.load(Ordering::Relaxed);
        let held = self.count_prefix(T::EnvSpaces, &pair_prefix(env.as_str()), max);
        if held >= max {
            return Err(StoreError::Limit(format!(
                "the environment holds {held} spaces, the most limits.spaces_per_environment allows; delete spaces or raise the limit"
            )));
        }
        Ok(())
    }

    /// The spaces of an environment as listings see them, oldest first.
    pub fn space_summaries_in(&self, env: &EnvironmentId) -> Result<Vec<SpaceSummary>, StoreError> {
        let mut out = Vec::new();
        for id in self.pair_seconds(T::EnvSpaces, env.as_str())? {
            if let Some(bytes) = self.tree(T::Spaces).get(id.as_bytes())? {
                self.inner
                    .spaces
                    .summary_reads
                    .fetch_add(1, Ordering::Relaxed);
                out.push(summary(&bytes)?);
            }
        }
        out.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(out)
    }

    /// One space in full, for a listing's page (counted).
    pub fn listed_space(&self, id: &SpaceId) -> Result<Option<Space>, StoreError> {
        self.inner.spaces.full_reads.fetch_add(1, Ordering::Relaxed);
        self.space(id)
    }

    /// How many spaces listings have read in full since open.
    pub fn listed_space_reads(&self) -> u64 {
        self.inner.spaces.full_reads.load(Ordering::Relaxed)
    }

    /// How many space records listings have read a summary of since open.
    pub fn space_summary_reads(&self) -> u64 {
        self.inner.spaces.summary_reads.load(Ordering::Relaxed)
    }

    /// How many workbooks a space holds (keys only).
    pub fn workbook_count(&self, space: &SpaceId) -> usize {
        self.count_prefix(T::SpaceWorkbooks, &pair_prefix(space.as_str()), usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_reads_the_same_fields_as_the_full_record() {
        let space = Space {
            id: SpaceId::generate(),
            account_id: AccountId::generate(),
            environment_id: EnvironmentId::generate(),
            name: "Listed".into(),
            guest_authentication: None,
            guests_can_invite: Some(true),
            metadata: "{\"big\":\"…\"}".into(),
            settings: "{}".into(),
            labels: vec!["a".into()],
            namespace: Some("ns".into()),
            archived_at: Some(Timestamp(7)),
            created_by: "us_usr_x".into(),
            created_with_key: None,
            created_at: Timestamp(5),
            updated_at: Timestamp(6),
        };
        let s = summary(&space.encode()).unwrap();
        assert_eq!(
            (s.id, s.name, s.namespace, s.archived_at, s.created_at),
            (
                space.id,
                space.name,
                space.namespace,
                space.archived_at,
                space.created_at
            )
        );
    }
}
