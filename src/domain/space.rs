//! Spaces and their workbooks, with the rules a space inherits from its environment.

use super::{
    AccountId, ApiKeyId, EnvironmentId, GuestAuthentication, SpaceId, Timestamp, WorkbookId,
};
use serde::{Deserialize, Serialize};

/// A space: what guests are granted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Space {
    /// `us_sp_…`.
    pub id: SpaceId,
    /// Account.
    pub account_id: AccountId,
    /// Environment.
    pub environment_id: EnvironmentId,
    /// Display name.
    pub name: String,
    /// Guest sign-in methods; `None` inherits the environment's.
    pub guest_authentication: Option<Vec<GuestAuthentication>>,
    /// Whether guests may invite guests here; `None` inherits the environment's.
    pub guests_can_invite: Option<bool>,
    /// Free-form JSON objects and lists, as text: metadata, settings, labels.
    pub metadata: String,
    /// Settings object, as JSON text.
    pub settings: String,
    /// Labels.
    pub labels: Vec<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Archived at.
    pub archived_at: Option<Timestamp>,
    /// Who created it (a user or key id).
    pub created_by: String,
    /// The publishable key it was created with, if any (its `accessToken` dies with the key).
    pub created_with_key: Option<ApiKeyId>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A workbook inside a space. Sheets are kept as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workbook {
    /// `us_wb_…`.
    pub id: WorkbookId,
    /// Account.
    pub account_id: AccountId,
    /// Environment.
    pub environment_id: EnvironmentId,
    /// Space.
    pub space_id: SpaceId,
    /// Display name.
    pub name: String,
    /// Sheets, as JSON text (a list).
    pub sheets: String,
    /// Labels.
    pub labels: Vec<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Metadata object, as JSON text.
    pub metadata: String,
    /// Settings object, as JSON text.
    pub settings: String,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}
