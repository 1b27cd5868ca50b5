//! Client-credentials pairs.

use super::{AccountId, ClientId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// A client-credentials pair (`clientId` + secret) acting as its user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    /// `us_cli_…`, the public half.
    pub id: ClientId,
    /// The user it acts as.
    pub user_id: UserId,
    /// Account.
    pub account_id: AccountId,
    /// The caller-supplied tenant id.
    pub tenant_id: String,
    /// SHA-256 of the secret.
    pub secret_digest: [u8; 32],
    /// Created.
    pub created_at: Timestamp,
}
