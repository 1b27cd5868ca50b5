//! Values read from the store, each good while the store's generation (bumped by every write)
//! is the one it was read at. Written once here; the principals, the environments and their
//! wire bodies are cached with it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;

/// Values by key, each carrying the store generation it was read at. Holds at most
/// `capacity` entries, then starts over.
pub struct GenerationCache<K, V> {
    entries: RwLock<HashMap<K, (u64, V)>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> GenerationCache<K, V> {
    /// An empty cache of at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The value of `key`, if it was read at `generation` and `fresh` still holds for it.
    pub fn get_if(&self, key: &K, generation: u64, fresh: impl FnOnce(&V) -> bool) -> Option<V> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        match entries.get(key) {
            Some((g, v)) if *g == generation && fresh(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// Remembers `value`, read at `generation`, for `key`.
    pub fn put(&self, key: K, generation: u64, value: V) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key, (generation, value));
    }

    /// The value of `key` as of `generation`: the cached one, or `read`'s, then cached.
    pub fn get_or_try_insert<E>(
        &self,
        key: K,
        generation: u64,
        read: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(v) = self.get_if(&key, generation, |_| true) {
            return Ok(v);
        }
        let v = read()?;
        self.put(key, generation, v.clone());
        Ok(v)
    }
}

impl<K: Eq + Hash, V: Clone> Default for GenerationCache<K, V> {
    fn default() -> Self {
        Self::new(1)
    }
}

/// One value (an `Arc` of a listing, say), good while the store generation is unchanged.
pub struct GenerationCell<V>(GenerationCache<(), V>);

impl<V: Clone> GenerationCell<V> {
    /// The value as of `generation`: the cached one, or `read`'s, then cached.
    pub fn get_or_try_init<E>(
        &self,
        generation: u64,
        read: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        self.0.get_or_try_insert((), generation, read)
    }
}

impl<V: Clone> Default for GenerationCell<V> {
    fn default() -> Self {
        Self(GenerationCache::new(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_good_until_the_generation_changes() {
        let cache = GenerationCache::new(10);
        cache.put("a", 1, 10);
        assert_eq!(cache.get_if(&"a", 1, |_| true), Some(10));
        assert_eq!(cache.get_if(&"a", 2, |_| true), None);
        assert_eq!(cache.get_if(&"a", 1, |v| *v > 10), None);
        assert_eq!(cache.get_if(&"b", 1, |_| true), None);
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = GenerationCache::new(2);
        cache.put(1, 0, ());
        cache.put(2, 0, ());
        cache.put(3, 0, ());
        assert_eq!(cache.get_if(&1, 0, |_| true), None);
        assert_eq!(cache.get_if(&3, 0, |_| true), Some(()));
    }

    #[test]
    fn a_cell_reads_once_per_generation() {
        let cell = GenerationCell::default();
        let mut reads = 0;
        for generation in [1, 1, 2, 2] {
            let v: Result<u64, ()> = cell.get_or_try_init(generation, || {
                reads += 1;
                Ok(generation)
            });
            assert_eq!(v, Ok(generation));
        }
        assert_eq!(reads, 2);
        let failed: Result<u64, &str> = cell.get_or_try_init(3, || Err("no"));
        assert_eq!(failed, Err("no"));
    }
}
