//! Verified principals by credential digest, good until the store's next write or expiry.

use super::Principal;
use crate::domain::Timestamp;
use std::collections::HashMap;
use std::sync::RwLock;

/// Entries kept before the cache starts over.
const CAPACITY: usize = 100_000;

/// A cache whose every entry carries the store generation it was read at.
#[derive(Default)]
pub(super) struct PrincipalCache {
    entries: RwLock<HashMap<[u8; 32], (u64, Principal)>>,
}

impl PrincipalCache {
    /// The cached principal, if it was read at `generation` and has not expired at `now`.
    pub(super) fn get(&self, key: &[u8; 32], generation: u64, now: Timestamp) -> Option<Principal> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        match entries.get(key) {
            Some((g, p)) if *g == generation && p.expires_at.is_none_or(|at| now < at) => {
                Some(p.clone())
            }
            _ => None,
        }
    }

    /// Remembers a principal read at `generation`.
    pub(super) fn put(&self, key: [u8; 32], generation: u64, principal: &Principal) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, (generation, principal.clone()));
    }
}
