//! The account: the one a Latchkey server holds.

use super::{AccountId, Timestamp};
use serde::{Deserialize, Serialize};

/// The one account a Latchkey server holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// `us_acc_…`.
    pub id: AccountId,
    /// Display name.
    pub name: String,
    /// Free-form JSON object, as text.
    pub metadata: String,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}
