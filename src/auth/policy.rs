//! The one authorization decision: `(principal, action, resource) → allow | deny(reason)`.
//! Every handler asks it; none decides on its own.

use super::{Principal, PrincipalKind};
use crate::domain::{AccountId, ApiKeyType, EnvironmentId, Role};

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
}

impl Action {
    /// The operation (method, path) a publishable key's allow-list must name for this action.
    fn operation(self) -> (&'static str, &'static str) {
        match self {
            Self::ListEnvironments => ("GET", "/v1/environments"),
            Self::ReadEnvironment => ("GET", "/v1/environments/{environmentId}"),
            Self::CreateEnvironment => ("POST", "/v1/environments"),
            Self::UpdateEnvironment => ("PATCH", "/v1/environments/{environmentId}"),
            Self::DeleteEnvironment => ("DELETE", "/v1/environments/{environmentId}"),
            Self::ReadApiKeys => ("GET", "/v1/auth/api-keys"),
            Self::ReadPublishableKey => ("GET", "/v1/auth/publishable-key"),
            Self::ManageApiKeys => ("POST", "/v1/auth/api-key"),
            Self::ControlClock => ("POST", "/v1/latchkey/clock"),
        }
    }

    /// Account-level actions that no environment key may take.
    fn needs_administrator(self) -> bool {
        matches!(
            self,
            Self::CreateEnvironment
                | Self::UpdateEnvironment
                | Self::DeleteEnvironment
                | Self::ReadApiKeys
                | Self::ManageApiKeys
                | Self::ControlClock
        )
    }
}

/// What the action is aimed at.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'a> {
    /// The account that owns it.
    pub account: &'a AccountId,
    /// The environment it lives in, if any.
    pub environment: Option<&'a EnvironmentId>,
}

impl<'a> Resource<'a> {
    /// The account itself.
    pub fn account(account: &'a AccountId) -> Self {
        Self {
            account,
            environment: None,
        }
    }

    /// Something inside an environment (or the environment).
    pub fn environment(account: &'a AccountId, environment: &'a EnvironmentId) -> Self {
        Self {
            account,
            environment: Some(environment),
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
    match &principal.kind {
        PrincipalKind::User {
            role: Role::Administrator,
            ..
        } => Ok(()),
        PrincipalKind::User {
            role: Role::Member, ..
        } => {
            if action.needs_administrator() {
                Err(Denial::Forbidden(format!(
                    "{} requires the Administrator role",
                    describe(action)
                )))
            } else {
                Ok(())
            }
        }
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
                        describe(action)
                    )));
                }
            }
            if action.needs_administrator() {
                return Err(Denial::Forbidden(format!(
                    "{} requires an Administrator; environment keys cannot do it",
                    describe(action)
                )));
            }
            Ok(())
        }
    }
}

fn not_found(resource: Resource) -> Denial {
    match resource.environment {
        Some(env) => Denial::NotFound(format!("environment {env} not found")),
        None => Denial::NotFound("not found".into()),
    }
}

fn describe(action: Action) -> &'static str {
    match action {
        Action::ListEnvironments => "listing environments",
        Action::ReadEnvironment => "reading an environment",
        Action::CreateEnvironment => "creating environments",
        Action::UpdateEnvironment => "changing environments",
        Action::DeleteEnvironment => "deleting environments",
        Action::ReadApiKeys => "viewing API keys",
        Action::ReadPublishableKey => "reading the publishable key",
        Action::ManageApiKeys => "managing API keys",
        Action::ControlClock => "moving the clock",
    }
}
