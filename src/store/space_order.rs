//! The spaces of an environment in creation order, split by archived or not, with their counts,
//! so that a listing's first page (what `GET /v1/spaces?pageSize=1` asks) reads only that page
//! however many spaces there are. Kept in the same transaction as every space write.

use super::codec::{pair_prefix, Record};
use super::{Space, Store, StoreError, Tx, TxResult, T};
use crate::domain::{EnvironmentId, SpaceId};

/// `meta` key marking that `space_order` and `space_counts` cover every space.
const BUILT: &[u8] = b"space_order_built";

/// `env ‖ 0 ‖ archived (0 or 1)`: one half of an environment's spaces.
fn half(env: &EnvironmentId, archived: bool) -> Vec<u8> {
    let mut key = pair_prefix(env.as_str());
    key.push(u8::from(archived));
    key
}

/// `env ‖ 0 ‖ archived ‖ created_at (ms, i64 BE with the sign bit flipped) ‖ space id`.
fn order_key(space: &Space) -> Vec<u8> {
    let mut key = half(&space.environment_id, space.archived_at.is_some());
    key.extend_from_slice(&((space.created_at.0 as u64) ^ (1 << 63)).to_be_bytes());
    key.extend_from_slice(space.id.as_str().as_bytes());
    key
}

fn count_of(bytes: Option<&[u8]>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes)
}

impl Tx<'_> {
    /// Adds (`by` = 1) or removes (`by` = -1) `space` from the order and its half's count.
    fn count_space(&self, space: &Space, by: i64) -> TxResult<()> {
        let key = half(&space.environment_id, space.archived_at.is_some());
        let now = count_of(self.get_raw(T::SpaceCounts, &key)?.as_deref());
        let next = now.saturating_add_signed(by);
        if by > 0 {
            self.put_raw(T::SpaceOrder, &order_key(space), &[])?;
        } else {
            self.remove(T::SpaceOrder, &order_key(space))?;
        }
        if next == 0 {
            self.remove(T::SpaceCounts, &key)?;
            Ok(())
        } else {
            self.put_raw(T::SpaceCounts, &key, &next.to_be_bytes())
        }
    }

    /// Indexes a new space.
    pub(super) fn order_space(&self, space: &Space) -> TxResult<()> {
        self.count_space(space, 1)
    }

    /// Takes a removed space out of the index.
    pub(super) fn unorder_space(&self, space: &Space) -> TxResult<()> {
        self.count_space(space, -1)
    }

    /// Moves a space whose archived state may have changed.
    pub(super) fn reorder_space(&self, old: &Space, new: &Space) -> TxResult<()> {
        if order_key(old) != order_key(new) {
            self.count_space(old, -1)?;
            self.count_space(new, 1)?;
        }
        Ok(())
    }
}

impl Store {
    /// One page of an environment's spaces (archived or not) in creation order, skipping
    /// `skip`, and how many there are in all.
    pub fn space_page(
        &self,
        env: &EnvironmentId,
        archived: bool,
        newest_first: bool,
        skip: usize,
        take: usize,
    ) -> Result<(Vec<SpaceId>, u64), StoreError> {
        let prefix = half(env, archived);
        let total = count_of(self.tree(T::SpaceCounts).get(&prefix)?.as_deref());
        let keys = self.tree(T::SpaceOrder).scan_prefix(&prefix).keys();
        let keys: Box<dyn Iterator<Item = sled::Result<sled::IVec>>> = if newest_first {
            Box::new(keys.rev())
        } else {
            Box::new(keys)
        };
        let mut ids = Vec::new();
        for key in keys.skip(skip).take(take) {
            let key = key?;
            let id = key.get(prefix.len() + 8..).unwrap_or_default();
            let id = std::str::from_utf8(id)
                .map_err(|_| StoreError::Corrupt("a space_order key is not UTF-8".into()))?;
            ids.push(SpaceId::parse(id).map_err(|e| StoreError::Corrupt(e.to_string()))?);
        }
        Ok((ids, total))
    }

    /// Builds the order and counts from the spaces once, for a store written before they
    /// existed (and marks them built), in one transaction.
    pub(super) fn build_space_order(&self) -> Result<(), StoreError> {
        if self.tree(T::Meta).contains_key(BUILT)? {
            return Ok(());
        }
        let spaces = self
            .tree(T::Spaces)
            .iter()
            .values()
            .map(|v| Space::decode(&v?))
            .collect::<Result<Vec<_>, _>>()?;
        let stale: Vec<_> = self
            .tree(T::SpaceOrder)
            .iter()
            .keys()
            .chain(self.tree(T::SpaceCounts).iter().keys())
            .collect::<Result<_, _>>()?;
        self.transact(&[], |tx| {
            for key in &stale {
                tx.remove(T::SpaceOrder, key)?;
                tx.remove(T::SpaceCounts, key)?;
            }
            for space in &spaces {
                tx.order_space(space)?;
            }
            tx.put_raw(T::Meta, BUILT, &[1])
        })?;
        self.flush()
    }

    /// Every space is in the order, in its half, and the counts add up.
    pub(super) fn check_space_order(&self, limit: Option<usize>) -> Result<(), String> {
        if !self
            .tree(T::Meta)
            .contains_key(BUILT)
            .map_err(|e| e.to_string())?
        {
            return Ok(());
        }
        for value in self
            .tree(T::Spaces)
            .iter()
            .values()
            .take(limit.unwrap_or(usize::MAX))
        {
            let space = value
                .map_err(|e| e.to_string())
                .and_then(|v| Space::decode(&v).map_err(|e| e.to_string()))?;
            if !self
                .tree(T::SpaceOrder)
                .contains_key(order_key(&space))
                .map_err(|e| e.to_string())?
            {
                return Err(format!("space {} is missing from space_order", space.id));
            }
        }
        if limit.is_none() {
            let mut counted = std::collections::BTreeMap::<Vec<u8>, u64>::new();
            for key in self.tree(T::SpaceOrder).iter().keys() {
                let key = key.map_err(|e| e.to_string())?;
                let Some(sep) = key.iter().position(|&b| b == 0) else {
                    return Err("a space_order key has no separator".into());
                };
                *counted.entry(key[..sep + 2].to_vec()).or_default() += 1;
            }
            for (half, n) in &counted {
                let stored = count_of(
                    self.tree(T::SpaceCounts)
                        .get(half)
                        .map_err(|e| e.to_string())?
                        .as_deref(),
                );
                if stored != *n {
                    return Err(format!(
                        "space_counts says {stored} spaces where space_order holds {n}"
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, Timestamp};

    #[test]
    fn order_keys_sort_by_creation_time_even_before_1970() {
        let env = EnvironmentId::generate();
        let at = |ms| {
            order_key(&Space::new(
                AccountId::generate(),
                env.clone(),
                "s",
                "t".into(),
                Timestamp(ms),
            ))
        };
        let (a, b, c) = (at(-5), at(0), at(1_700_000_000_000));
        assert!(a < b && b < c);
        assert!(a.starts_with(&half(&env, false)));
    }
}
