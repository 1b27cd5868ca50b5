//! Environment API keys and what a credential digest points at.

use super::{AccountId, ApiKeyId, ApiKeyType, EnvironmentId, Operation, PatId, Timestamp};
use serde::{Deserialize, Serialize};

/// An environment API key. The raw key is kept only sealed under the master key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    /// `us_key_…`.
    pub id: ApiKeyId,
    /// Owning account.
    pub account_id: AccountId,
    /// The environment the key reaches.
    pub environment_id: EnvironmentId,
    /// Secret or publishable.
    pub key_type: ApiKeyType,
    /// SHA-256 of the raw key (the `digests` index key).
    pub digest: [u8; 32],
    /// The raw key sealed with AES-256-GCM under the master key, bound to the key id.
    pub sealed_raw: Vec<u8>,
    /// Allow-list for publishable keys (empty for secret keys).
    pub operations: Vec<Operation>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// After a timed rotation: the instant the key stops working.
    pub expires_at: Option<Timestamp>,
    /// After a rotation: the key that replaced this one.
    pub replaced_by: Option<ApiKeyId>,
}

impl ApiKey {
    /// True when the key works at `now`.
    pub fn is_active_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

/// What a credential digest points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialRef {
    /// An environment API key.
    ApiKey(ApiKeyId),
    /// A personal access token.
    Pat(PatId),
    /// A deleted credential, kept so that it is refused as revoked rather than unknown.
    Revoked(Timestamp),
}
