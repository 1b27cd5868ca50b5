//! Personal access tokens.

use super::{AccountId, PatId, PersonName, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// A personal access token: the digest only, never the raw value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pat {
    /// `us_pat_…`.
    pub id: PatId,
    /// The owner, whose rights the token has.
    pub user_id: UserId,
    /// Account.
    pub account_id: AccountId,
    /// Display name.
    pub name: PersonName,
    /// SHA-256 of the raw token (the `digests` index key).
    pub digest: [u8; 32],
    /// Created.
    pub created_at: Timestamp,
    /// Last use, written in batches.
    pub last_used_at: Option<Timestamp>,
}
