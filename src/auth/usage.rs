//! Requests and authentication failures counted in memory per hour and credential kind, and
//! added to the store in batches by a background task (`startup`), never on the request path.

use super::credential::CredentialKind;
use super::{AuthFailure, Authenticator, Principal, PrincipalKind, Via};
use crate::clock::Clock;
use crate::domain::{ApiKeyType, EnvironmentId, Timestamp};
use crate::store::{Store, StoreError, UsageHour, USAGE_KEPT_HOURS};
use actix_web::HttpRequest;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// Scopes (environments, and the account-wide one) counted per hour before further ones are
/// dropped until the next flush: environments are few, so this is never reached in practice.
const MAX_PENDING_SCOPES: usize = 4096;

/// The credential kinds counted, in the order the overview lists them.
pub const KINDS: [&str; 10] = [
    "secret-key",
    "publishable-key",
    "publishable-key-token",
    "space-token",
    "guest-token",
    "login-token",
    "personal-access-token",
    "client-credentials-token",
    "access-token",
    "none",
];

/// Counts not yet in the store, shared by every worker.
pub struct Usage {
    clock: Clock,
    /// Hour → scope (environment id, empty for account-wide) → counts.
    pending: Mutex<HashMap<u32, HashMap<String, UsageHour>>>,
    /// The oldest hour the store keeps since the last pruning (pruned again once it moves).
    kept_from: AtomicU32,
}

/// The hour since the Unix epoch that `t` falls in.
pub fn hour_of(t: Timestamp) -> u32 {
    u32::try_from(t.unix_seconds().max(0) / 3600).unwrap_or(u32::MAX)
}

impl Usage {
    /// No counts yet.
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            pending: Mutex::default(),
            kept_from: AtomicU32::new(0),
        }
    }

    /// Counts one request's authentication: a principal is counted in its environment (users'
    /// credentials account-wide), a refusal account-wide under the kind of credential sent.
    pub fn note(
        &self,
        auth: &Authenticator,
        req: &HttpRequest,
        outcome: &Result<Principal, AuthFailure>,
    ) {
        match outcome {
            Ok(p) => self.count(p.environment(), principal_kind(p), false),
            Err(_) => {
                let presented = auth.presented(req).ok();
                self.count(None, presented.map_or("none", presented_kind), true)
            }
        }
    }

    fn count(&self, scope: Option<&EnvironmentId>, kind: &'static str, failure: bool) {
        let hour = hour_of(self.clock.now());
        let scope = scope.map_or("", |e| e.as_str());
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let scopes = pending.entry(hour).or_default();
        if !scopes.contains_key(scope) {
            if scopes.len() >= MAX_PENDING_SCOPES {
                return;
            }
            scopes.insert(scope.to_owned(), UsageHour::default());
        }
        let Some(counts) = scopes.get_mut(scope) else {
            return;
        };
        let by_kind = if failure {
            &mut counts.failures
        } else {
            &mut counts.requests
        };
        match by_kind.get_mut(kind) {
            Some(n) => *n = n.saturating_add(1),
            None => {
                by_kind.insert(kind.to_owned(), 1);
            }
        }
    }

    /// The counts of `scope` not yet written, per hour.
    pub fn pending(&self, scope: Option<&EnvironmentId>) -> Vec<(u32, UsageHour)> {
        let scope = scope.map_or("", |e| e.as_str());
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending
            .iter()
            .filter_map(|(hour, scopes)| Some((*hour, scopes.get(scope)?.clone())))
            .collect()
    }

    /// Adds the collected counts to the store in one transaction and drops expired hours. On
    /// failure the counts are put back for the next try.
    pub async fn flush(&self, store: &Store) -> Result<(), StoreError> {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        let batch: Vec<_> = taken
            .iter()
            .flat_map(|(hour, scopes)| {
                scopes.iter().map(|(scope, counts)| {
                    let scope = EnvironmentId::parse(scope).ok();
                    (scope, *hour, counts.clone())
                })
            })
            .collect();
        let oldest = hour_of(self.clock.now()).saturating_sub(USAGE_KEPT_HOURS - 1);
        let prune = (self.kept_from.load(Ordering::Relaxed) != oldest).then_some(oldest);
        let written = store.add_usage(&batch, prune).await;
        if written.is_ok() {
            self.kept_from.store(oldest, Ordering::Relaxed);
        } else {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            for (hour, scopes) in taken {
                for (scope, counts) in scopes {
                    let now = pending.entry(hour).or_default();
                    now.entry(scope).or_default().add(&counts);
                }
            }
        }
        written
    }
}

fn principal_kind(p: &Principal) -> &'static str {
    match (&p.kind, p.via) {
        (PrincipalKind::Environment { key_type, .. }, Via::ApiKey) => match key_type {
            ApiKeyType::Secret => "secret-key",
            ApiKeyType::Publishable => "publishable-key",
        },
        (_, via) => via.as_str(),
    }
}

/// The kind of a refused credential, from its prefix alone; anything else is taken for an
/// access token (a JWT of any kind).
fn presented_kind(presented: &str) -> &'static str {
    if presented.starts_with(CredentialKind::SecretKey.prefix()) {
        "secret-key"
    } else if presented.starts_with(CredentialKind::PublishableKey.prefix()) {
        "publishable-key"
    } else if presented.starts_with(CredentialKind::PersonalAccessToken.prefix()) {
        "personal-access-token"
    } else {
        "access-token"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn counts_stay_in_memory_until_a_flush_writes_them_in_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let usage = Usage::new(Clock::default());
        let env = EnvironmentId::parse("us_env_abcdefgh").unwrap();
        for _ in 0..3 {
            usage.count(Some(&env), "secret-key", false);
        }
        usage.count(None, "none", true);
        let hour = hour_of(Clock::default().now());
        let pending = usage.pending(Some(&env));
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].0, hour);
        assert_eq!(pending[0].1.requests["secret-key"], 3);
        assert!(store.usage_since(Some(&env), 0).unwrap().is_empty());
        usage.flush(&store).await.unwrap();
        assert!(usage.pending(Some(&env)).is_empty());
        assert_eq!(store.usage_since(Some(&env), 0).unwrap()[0].1, pending[0].1);
        assert_eq!(store.usage_since(None, 0).unwrap()[0].1.failures["none"], 1);
    }

    #[test]
    fn refused_credentials_are_named_by_their_prefix() {
        assert_eq!(presented_kind("sk_x"), "secret-key");
        assert_eq!(presented_kind("pk_x"), "publishable-key");
        assert_eq!(presented_kind("pat_x"), "personal-access-token");
        assert_eq!(presented_kind("eyJhbGciOi"), "access-token");
        assert!(KINDS.contains(&"none"));
    }
}
