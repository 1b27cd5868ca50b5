//! The one authorization decision: `(principal, action, resource) → allow | deny(reason)`.
//! Every handler asks it; none decides on its own.

use super::{Principal, PrincipalKind};
use crate::domain::{AccountId, ApiKeyType, EnvironmentId, Role, UserId};

/// What a caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// List environments (each is then filtered by `ReadEnvironment`).
    ListEnvironments,
    /// Read one environment.
    ReadEnvironment,
    /// Create an environment.
    CreateEnvironment,
    /// Change an environment.
    UpdateEnvironment,
    /// Delete an environment.
    DeleteEnvironment,
    /// See an environment's keys (raw values included).
    ReadApiKeys,
    /// See an environment's publishable key (meant to be public).
    ReadPublishableKey,
    /// Create, rotate or delete an environment's keys.
    ManageApiKeys,
    /// Move the dev clock.
    ControlClock,
    /// List, create or delete one's own personal access tokens.
    ManageOwnTokens,
    /// List users.
    ListUsers,
    /// Read one user (themself, or anyone for an Administrator).
    ReadUser,
    /// Change a user's name or dashboard.
    UpdateUserProfile,
    /// Invite users, change roles, delete users, resend invitations.
    ManageUsers,
    /// Create, list or delete a user's client credentials.
    ManageClientCredentials,
    /// Read the account.
    ReadAccount,
    /// Change the account.
    UpdateAccount,
    /// List roles.
    ReadRoles,
    /// Read the mail outbox.
    ReadOutbox,
}

/// Who may take an action, before environment scoping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Any principal of the account (environment keys within their environment).
    Anyone,
    /// Users of any role; no environment key.
    UsersOnly,
    /// Administrators, and a user acting on themself.
    AdministratorOrSelf,
    /// Administrators only.
    Administrator,
}

impl Action {
    fn rule(self) -> Rule {
        use Action::*;
        match self {
            ListEnvironments | ReadEnvironment | ReadPublishableKey | ReadAccount => Rule::Anyone,
            ManageOwnTokens | ReadRoles => Rule::UsersOnly,
            ReadUser | UpdateUserProfile | ManageClientCredentials => Rule::AdministratorOrSelf,
            CreateEnvironment | UpdateEnvironment | DeleteEnvironment | ReadApiKeys
            | ManageApiKeys | ControlClock | ListUsers | ManageUsers | UpdateAccount
            | ReadOutbox => Rule::Administrator,
        }
    }

    /// The operation (method, path) a publishable key's allow-list must name for this action.
    fn operation(self) -> (&'static str, &'static str) {
        use Action::*;
        match self {
            ListEnvironments => ("GET", "/v1/environments"),
            ReadEnvironment => ("GET", "/v1/environments/{environmentId}"),
            CreateEnvironment => ("POST", "/v1/environments"),
            UpdateEnvironment => ("PATCH", "/v1/environments/{environmentId}"),
            DeleteEnvironment => ("DELETE", "/v1/environments/{environmentId}"),
            ReadApiKeys => ("GET", "/v1/auth/api-keys"),
            ReadPublishableKey => ("GET", "/v1/auth/publishable-key"),
            ManageApiKeys => ("POST", "/v1/auth/api-key"),
            ControlClock => ("POST", "/v1/latchkey/clock"),
            ManageOwnTokens => ("GET", "/v1/auth/personal-access-tokens"),
            ListUsers => ("GET", "/v1/users"),
            ReadUser => ("GET", "/v1/users/{userId}"),
            UpdateUserProfile => ("PATCH", "/v1/users/{userId}"),
            ManageUsers => ("POST", "/v1/users/invite"),
            ManageClientCredentials => ("POST", "/v1/users/{userId}/api-token"),
            ReadAccount => ("GET", "/v1/accounts/current"),
            UpdateAccount => ("PATCH", "/v1/accounts/current"),
            ReadRoles => ("GET", "/v1/roles"),
            ReadOutbox => ("GET", "/v1/latchkey/outbox"),
        }
    }

    fn describe(self) -> &'static str {
        use Action::*;
        match self {
            ListEnvironments => "listing environments",
            ReadEnvironment => "reading an environment",
            CreateEnvironment => "creating environments",
            UpdateEnvironment => "changing environments",
            DeleteEnvironment => "deleting environments",
            ReadApiKeys => "viewing API keys",
            ReadPublishableKey => "reading the publishable key",
            ManageApiKeys => "managing API keys",
            ControlClock => "moving the clock",
            ManageOwnTokens => "managing personal access tokens",
            ListUsers => "listing users",
            ReadUser => "reading another user",
            UpdateUserProfile => "changing another user",
            ManageUsers => "managing users and roles",
            ManageClientCredentials => "managing another user's client credentials",
            ReadAccount => "reading the account",
            UpdateAccount => "changing the account",
            ReadRoles => "listing roles",
            ReadOutbox => "reading the mail outbox",
        }
    }
}

/// What the action is aimed at.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'a> {
    /// The account that owns it.
    pub account: &'a AccountId,
    /// The environment it lives in, if any.
    pub environment: Option<&'a EnvironmentId>,
    /// The user it belongs to, if any.
    pub user: Option<&'a UserId>,
}

impl<'a> Resource<'a> {
    /// The account itself.
    pub fn account(account: &'a AccountId) -> Self {
        Self {
            account,
            environment: None,
            user: None,
        }
    }

    /// Something inside an environment (or the environment).
    pub fn environment(account: &'a AccountId, environment: &'a EnvironmentId) -> Self {
        Self {
            account,
            environment: Some(environment),
            user: None,
        }
    }

    /// A user, or something a user owns.
    pub fn user(account: &'a AccountId, user: &'a UserId) -> Self {
        Self {
            account,
            environment: None,
            user: Some(user),
        }
    }
}

/// A refusal. `NotFound` hides whether something outside the caller's reach exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// 404: outside the caller's account or environment.
    NotFound(String),
    /// 403: visible, but not allowed; the message says what is missing.
    Forbidden(String),
}

/// Decides whether `principal` may take `action` on `resource`.
pub fn authorize(principal: &Principal, action: Action, resource: Resource) -> Result<(), Denial> {
    if principal.account_id != *resource.account {
        return Err(not_found(resource));
    }
    let rule = action.rule();
    match &principal.kind {
        PrincipalKind::User {
            role: Role::Administrator,
            ..
        } => Ok(()),
        PrincipalKind::User {
            id,
            role: Role::Member,
        } => match rule {
            Rule::Anyone | Rule::UsersOnly => Ok(()),
            Rule::AdministratorOrSelf if resource.user == Some(id) => Ok(()),
            _ => Err(Denial::Forbidden(format!(
                "{} requires the Administrator role",
                action.describe()
            ))),
        },
        PrincipalKind::Environment {
            environment_id,
            key_type,
            operations,
            ..
        } => {
            if resource.environment.is_some_and(|e| e != environment_id) {
                return Err(not_found(resource));
            }
            if *key_type == ApiKeyType::Publishable {
                let (method, path) = action.operation();
                if !operations
                    .iter()
                    .any(|o| o.method.eq_ignore_ascii_case(method) && o.path == path)
                {
                    return Err(Denial::Forbidden(format!(
                        "a publishable key may only call its operations; {method} {path} ({}) is not one of them",
                        action.describe()
                    )));
                }
            }
            match rule {
                Rule::Anyone => Ok(()),
                Rule::UsersOnly | Rule::AdministratorOrSelf => Err(Denial::Forbidden(format!(
                    "{} needs a user's credential (a login token or personal access token), not an environment key",
                    action.describe()
                ))),
                Rule::Administrator => Err(Denial::Forbidden(format!(
                    "{} requires an Administrator; environment keys cannot do it",
                    action.describe()
                ))),
            }
        }
    }
}

fn not_found(resource: Resource) -> Denial {
    match (resource.environment, resource.user) {
        (Some(env), _) => Denial::NotFound(format!("environment {env} not found")),
        (None, Some(user)) => Denial::NotFound(format!("user {user} not found")),
        _ => Denial::NotFound("not found".into()),
    }
}
