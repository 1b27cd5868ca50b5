//! Request and authentication-failure counts per hour, for the admin page's overview. Counted in
//! memory (`auth::usage`) and added here in batches, off the request path.

use super::codec::Record;
use super::{decode_in_tx, Store, StoreError, T};
use crate::domain::EnvironmentId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Hours of counts kept: 31 days, so the overview's 30 days are always whole.
pub const USAGE_KEPT_HOURS: u32 = 31 * 24;

/// What one scope (an environment, or the account's users and refusals) saw in one hour, by
/// credential kind (`secret-key`, `login-token`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageHour {
    /// Requests that authenticated, per credential kind.
    pub requests: BTreeMap<String, u64>,
    /// Requests whose credential was refused, per credential kind presented.
    pub failures: BTreeMap<String, u64>,
}

impl Record for UsageHour {
    const VERSION: u8 = 1;
    const NAME: &'static str = "usage hour";
}

impl UsageHour {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &UsageHour) {
        for (mine, theirs) in [
            (&mut self.requests, &other.requests),
            (&mut self.failures, &other.failures),
        ] {
            for (kind, n) in theirs {
                let count = mine.entry(kind.clone()).or_default();
                *count = count.saturating_add(*n);
            }
        }
    }
}

/// Counts to add: the scope (an environment id, or `None` for the account-wide rest), the hour
/// (since the Unix epoch) and the counts.
pub type UsageBatch = [(Option<EnvironmentId>, u32, UsageHour)];

/// A `usage` key: scope (environment id, empty for account-wide) ‖ 0x00 ‖ hour (u32 BE).
fn usage_key(scope: Option<&EnvironmentId>, hour: u32) -> Vec<u8> {
    let mut key = scope_prefix(scope);
    key.extend_from_slice(&hour.to_be_bytes());
    key
}

fn scope_prefix(scope: Option<&EnvironmentId>) -> Vec<u8> {
    let mut key = scope.map_or("", |e| e.as_str()).as_bytes().to_vec();
    key.push(0);
    key
}

/// The hour of a `usage` key.
fn key_hour(key: &[u8]) -> Option<u32> {
    let at = key.iter().position(|&b| b == 0)?;
    Some(u32::from_be_bytes(key.get(at + 1..)?.try_into().ok()?))
}

impl Store {
    /// Adds counts collected in memory to the stored hours in one transaction over `usage`
    /// alone and, given `oldest_kept`, drops the hours before it (a pass over the whole tree,
    /// so callers ask once an hour). Nothing cached depends on these counts.
    pub async fn add_usage(
        &self,
        batch: &UsageBatch,
        oldest_kept: Option<u32>,
    ) -> Result<(), StoreError> {
        let mut expired = Vec::new();
        if let Some(oldest) = oldest_kept {
            for key in self.tree(T::Usage).iter().keys() {
                let key = key?;
                if key_hour(&key).is_none_or(|h| h < oldest) {
                    expired.push(key);
                }
            }
        }
        if batch.is_empty() && expired.is_empty() {
            return Ok(());
        }
        self.write_untracked_in(T::Usage, |tree| {
            for key in &expired {
                tree.remove(key)?;
            }
            for (scope, hour, counts) in batch {
                let key = usage_key(scope.as_ref(), *hour);
                let mut stored = match tree.get(&key)? {
                    Some(bytes) => decode_in_tx::<UsageHour>(&bytes)?,
                    None => UsageHour::default(),
                };
                stored.add(counts);
                tree.insert(key, stored.encode())?;
            }
            Ok(())
        })
        .await
    }

    /// The stored hours of `scope` from `since` on, oldest first.
    pub fn usage_since(
        &self,
        scope: Option<&EnvironmentId>,
        since: u32,
    ) -> Result<Vec<(u32, UsageHour)>, StoreError> {
        let prefix = scope_prefix(scope);
        let start = usage_key(scope, since);
        let mut out = Vec::new();
        for item in self.tree(T::Usage).range(start..) {
            let (key, value) = item?;
            if !key.starts_with(&prefix) {
                break;
            }
            let hour = key_hour(&key)
                .ok_or_else(|| StoreError::Corrupt("a usage key is malformed".into()))?;
            out.push((hour, UsageHour::decode(&value)?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_keys_round_trip_and_sort_by_scope_then_hour() {
        let env = EnvironmentId::parse("us_env_abcdefgh").unwrap();
        let a = usage_key(Some(&env), 7);
        let b = usage_key(Some(&env), 300);
        assert!(a < b && a.starts_with(&scope_prefix(Some(&env))));
        assert_eq!((key_hour(&a), key_hour(&b)), (Some(7), Some(300)));
        let account = usage_key(None, 9);
        assert!(account.starts_with(&[0]) && !a.starts_with(&scope_prefix(None)));
        assert_eq!(key_hour(&account), Some(9));
        assert_eq!(key_hour(b"no separator"), None);
    }

    #[actix_rt::test]
    async fn batches_add_up_per_scope_and_hour_and_old_hours_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let env = EnvironmentId::parse("us_env_abcdefgh").unwrap();
        let mut one = UsageHour::default();
        one.requests.insert("secret-key".into(), 1);
        let batch = [
            (Some(env.clone()), 10, one.clone()),
            (Some(env.clone()), 20, one.clone()),
            (None, 20, one.clone()),
        ];
        store.add_usage(&batch, None).await.unwrap();
        store.add_usage(&batch[1..2], None).await.unwrap();
        let hours = store.usage_since(Some(&env), 0).unwrap();
        assert_eq!(hours.iter().map(|(h, _)| *h).collect::<Vec<_>>(), [10, 20]);
        assert_eq!(hours[1].1.requests["secret-key"], 2);
        assert_eq!(store.usage_since(Some(&env), 11).unwrap().len(), 1);
        assert_eq!(store.usage_since(None, 0).unwrap().len(), 1);
        store.add_usage(&[], Some(15)).await.unwrap();
        assert_eq!(store.usage_since(Some(&env), 0).unwrap().len(), 1);
        assert_eq!(store.usage_since(None, 0).unwrap().len(), 1);
        store.add_usage(&[], Some(21)).await.unwrap();
        assert!(store.usage_since(Some(&env), 0).unwrap().is_empty());
    }

    #[test]
    fn usage_hours_round_trip_and_add_up() {
        let mut hour = UsageHour::default();
        hour.requests.insert("secret-key".into(), 2);
        let mut more = UsageHour::default();
        more.requests.insert("secret-key".into(), 3);
        more.failures.insert("none".into(), u64::MAX);
        hour.add(&more);
        hour.add(&more);
        assert_eq!(hour.requests["secret-key"], 8);
        assert_eq!(hour.failures["none"], u64::MAX);
        assert_eq!(UsageHour::decode(&hour.encode()).unwrap(), hour);
    }
}
