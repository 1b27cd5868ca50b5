//! Verified principals by credential digest, good until the store's next write or expiry.

use super::Principal;
use crate::cache::GenerationCache;
use crate::domain::Timestamp;

/// Entries kept before the cache starts over.
const CAPACITY: usize = 100_000;

/// A cache whose every entry carries the store generation it was read at.
pub(super) struct PrincipalCache(GenerationCache<[u8; 32], Principal>);

impl Default for PrincipalCache {
    fn default() -> Self {
        Self(GenerationCache::new(CAPACITY))
    }
}

impl PrincipalCache {
    /// The cached principal, if it was read at `generation` and has not expired at `now`.
    pub(super) fn get(&self, key: &[u8; 32], generation: u64, now: Timestamp) -> Option<Principal> {
        self.0
            .get_if(key, generation, |p| p.expires_at.is_none_or(|at| now < at))
    }

    /// Remembers a principal read at `generation`.
    pub(super) fn put(&self, key: [u8; 32], generation: u64, principal: &Principal) {
        self.0.put(key, generation, principal.clone());
    }
}
