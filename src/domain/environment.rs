//! Environments: isolated sets of keys, spaces and guests (for example `development`).

use super::{AccountId, EnvironmentId, EnvironmentName, GuestAuthentication, Timestamp, WebOrigin};
use serde::{Deserialize, Serialize};

/// An isolated environment (for example `development` or `production`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// `us_env_…`.
    pub id: EnvironmentId,
    /// Owning account.
    pub account_id: AccountId,
    /// Display name.
    pub name: EnvironmentName,
    /// Production or not.
    pub is_prod: bool,
    /// Allowed guest sign-in methods.
    pub guest_authentication: Vec<GuestAuthentication>,
    /// Free-form JSON object, as text.
    pub metadata: String,
    /// Optional translations path.
    pub translations_path: Option<String>,
    /// Optional namespaces.
    pub namespaces: Option<Vec<String>>,
    /// Optional language override.
    pub language_override: Option<String>,
    /// Whether guests may invite other guests into their spaces.
    pub guests_can_invite: bool,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// Web origins whose pages may use this environment's publishable keys and space tokens
    /// (version 2; empty in version-1 records).
    pub allowed_origins: Vec<WebOrigin>,
}

impl Environment {
    /// A new environment with the defaults: both guest sign-in methods, guests may invite.
    pub fn new(
        account_id: AccountId,
        name: EnvironmentName,
        is_prod: bool,
        now: Timestamp,
    ) -> Self {
        Self {
            id: EnvironmentId::generate(),
            account_id,
            name,
            is_prod,
            guest_authentication: vec![
                GuestAuthentication::MagicLink,
                GuestAuthentication::SharedLink,
            ],
            metadata: "{}".into(),
            translations_path: None,
            namespaces: None,
            language_override: None,
            guests_can_invite: true,
            created_at: now,
            updated_at: now,
            allowed_origins: Vec::new(),
        }
    }
}
