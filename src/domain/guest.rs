//! Guests: outside people with access to granted spaces only.

use super::{AccountId, Email, EnvironmentId, GuestId, PersonName, Timestamp};
use serde::{Deserialize, Serialize};

/// A guest: an outside person with access to granted spaces only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guest {
    /// `us_g_…`.
    pub id: GuestId,
    /// Account.
    pub account_id: AccountId,
    /// Environment.
    pub environment_id: EnvironmentId,
    /// Unique within the environment.
    pub email: Email,
    /// Display name.
    pub name: PersonName,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}
