//! Secrets for listeners, scoped to an environment and optionally a space.

use super::{AccountId, EnvironmentId, SecretId, SpaceId, Timestamp};
use serde::{Deserialize, Serialize};

/// A named secret for listeners, scoped to an environment and optionally a space. The value is
/// sealed under the master key, bound to the secret id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Secret {
    /// `us_sec_…`.
    pub id: SecretId,
    /// Account.
    pub account_id: AccountId,
    /// Environment.
    pub environment_id: EnvironmentId,
    /// Space, for a space-scoped secret.
    pub space_id: Option<SpaceId>,
    /// Actor the secret is meant for, if any.
    pub actor_id: Option<String>,
    /// Name, unique within (environment, space).
    pub name: String,
    /// The value, sealed.
    pub sealed_value: Vec<u8>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}
