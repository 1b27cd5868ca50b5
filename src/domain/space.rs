//! Spaces and their workbooks, with the rules a space inherits from its environment.

use super::{
    AccountId, ApiKeyId, Environment, EnvironmentId, GuestAuthentication, SpaceId, Timestamp,
    WorkbookId,
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

impl Space {
    /// A new space named `name` in `environment_id` of `account_id`, with no settings of its
    /// own, made by `created_by` at `now`.
    pub fn new(
        account_id: AccountId,
        environment_id: EnvironmentId,
        name: &str,
        created_by: String,
        now: Timestamp,
    ) -> Self {
        Self {
            id: SpaceId::generate(),
            account_id,
            environment_id,
            name: name.into(),
            guest_authentication: None,
            guests_can_invite: None,
            metadata: "{}".into(),
            settings: "{}".into(),
            labels: Vec::new(),
            namespace: None,
            archived_at: None,
            created_by,
            created_with_key: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The guest sign-in methods the space allows: its own list, or its environment's when the
    /// space names none.
    pub fn sign_in_methods<'a>(&'a self, env: &'a Environment) -> &'a [GuestAuthentication] {
        self.guest_authentication
            .as_deref()
            .unwrap_or(&env.guest_authentication)
    }

    /// Whether guests may invite other guests into the space: the space allows it (it does
    /// unless it says otherwise) and so does its environment.
    pub fn guests_may_invite(&self, env: &Environment) -> bool {
        self.guests_can_invite.unwrap_or(true) && env.guests_can_invite
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EnvironmentName;

    fn env() -> Environment {
        let name = EnvironmentName::parse("development", &Default::default()).unwrap();
        Environment::new(AccountId::generate(), name, false, Timestamp(1))
    }

    fn space(env: &Environment) -> Space {
        Space::new(
            env.account_id.clone(),
            env.id.clone(),
            "s",
            "us_usr_x".into(),
            Timestamp(1),
        )
    }

    #[test]
    fn a_space_signs_in_its_own_way_or_else_its_environments() {
        let mut env = env();
        env.guest_authentication = vec![GuestAuthentication::SharedLink];
        let mut s = space(&env);
        assert_eq!(s.sign_in_methods(&env), [GuestAuthentication::SharedLink]);
        s.guest_authentication = Some(vec![GuestAuthentication::MagicLink]);
        assert_eq!(s.sign_in_methods(&env), [GuestAuthentication::MagicLink]);
        s.guest_authentication = Some(Vec::new());
        assert!(s.sign_in_methods(&env).is_empty());
    }

    #[test]
    fn guests_may_invite_only_where_both_space_and_environment_allow_it() {
        let mut env = env();
        let mut s = space(&env);
        assert!(s.guests_may_invite(&env));
        s.guests_can_invite = Some(false);
        assert!(!s.guests_may_invite(&env));
        s.guests_can_invite = Some(true);
        env.guests_can_invite = false;
        assert!(!s.guests_may_invite(&env));
        s.guests_can_invite = None;
        assert!(!s.guests_may_invite(&env));
    }
}
