//! What an environment holds, counted (what its deletion removes with it), and a bounded look at
//! the newest audit events, for the admin page's overview.

use super::codec::{pair_prefix, Record};
use super::{Event, Store, StoreError, T};
use crate::domain::EnvironmentId;

/// How many of each thing an environment holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnvironmentContents {
    /// API keys (an expiring, rotated-out key included).
    pub api_keys: usize,
    /// Spaces, archived ones included.
    pub spaces: usize,
    /// Guests.
    pub guests: usize,
    /// Secrets of the environment and of its spaces.
    pub secrets: usize,
    /// Agents.
    pub agents: usize,
    /// Guides.
    pub guides: usize,
}

impl Store {
    /// Counts what environment `env` holds (reads indexes only, no records).
    pub fn environment_contents(
        &self,
        env: &EnvironmentId,
    ) -> Result<EnvironmentContents, StoreError> {
        let count = |t: T| self.count_prefix(t, &pair_prefix(env.as_str()), usize::MAX);
        Ok(EnvironmentContents {
            api_keys: count(T::EnvKeys),
            spaces: count(T::EnvSpaces),
            guests: self.guest_ids_in(env)?.len(),
            secrets: self.secret_keys_in(env)?.len(),
            agents: count(T::EnvAgents),
            guides: count(T::EnvGuides),
        })
    }
}

impl Store {
    /// The newest events `keep` accepts, newest first, at most `limit` of them, looking at no
    /// more than the newest `max_examined` events of the log (which may hold a million).
    pub fn newest_events_among(
        &self,
        keep: &dyn Fn(&Event) -> bool,
        limit: usize,
        max_examined: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.drain_pending_events()?;
        let mut out = Vec::new();
        for item in self.tree(T::Events).iter().rev().take(max_examined) {
            let (_, value) = item?;
            let event = Event::decode(&value)?;
            if keep(&event) {
                out.push(event);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}
