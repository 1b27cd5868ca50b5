//! Team members.

use super::{AccountId, ActorRoleId, Email, PasswordHash, PersonName, Role, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// A team member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// `us_usr_…`.
    pub id: UserId,
    /// Owning account.
    pub account_id: AccountId,
    /// Unique, lower-cased.
    pub email: Email,
    /// Display name.
    pub name: PersonName,
    /// Administrator or Member.
    pub role: Role,
    /// None until the user sets a password.
    pub password: Option<PasswordHash>,
    /// The id of the user's role assignment (`us_acr_…`), replaced on every change.
    pub role_assignment: ActorRoleId,
    /// When the current role was assigned.
    pub role_assigned_at: Timestamp,
    /// Free-form JSON object, as text.
    pub metadata: String,
    /// The dashboard preference the contract carries.
    pub dashboard: Option<i64>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}
