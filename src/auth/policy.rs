//! The one authorization decision: `(principal, action, resource) → allow | deny(reason)`.
//! Every handler asks it; none decides on its own.

use super::{Principal, PrincipalKind};
use crate::domain::{
    AccountId, ApiKeyType, EnvironmentId, GuestId, Role, SpaceId, UserId, WorkbookId,
};
use crate::store::Grant;

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
    /// Delete a personal access token (one's own, or anyone's for an Administrator).
    RevokePat,
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
    /// List spaces (each is then filtered by `ReadSpace`).
    ListSpaces,
    /// Read a space.
    ReadSpace,
    /// Create a space.
    CreateSpace,
    /// Change, archive or unarchive a space.
    UpdateSpace,
    /// Delete a space.
    DeleteSpace,
    /// List workbooks (each is then filtered by `ReadWorkbook`).
    ListWorkbooks,
    /// Read a workbook.
    ReadWorkbook,
    /// Create a workbook in a space.
    CreateWorkbook,
    /// Change a workbook.
    UpdateWorkbook,
    /// Delete a workbook.
    DeleteWorkbook,
    /// List a space's guests.
    ListGuests,
    /// Read a guest.
    ReadGuest,
    /// Change or delete guests, their grants and roles, and issue guest tokens.
    ManageGuests,
    /// Add guests to a space and send them magic links (guests may, within their own grant).
    InviteGuests,
    /// Read secrets with their values.
    ReadSecrets,
    /// Create, change or delete secrets.
    WriteSecrets,
    /// Read and acknowledge events.
    ReadEvents,
    /// Create events.
    WriteEvents,
    /// Export the audit log.
    ExportEvents,
    /// See acknowledged events in every listing (acknowledging hides nothing from them).
    SeeAcknowledgedEvents,
    /// Take a backup of the whole store.
    Backup,
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
    /// Administrators, and secret keys within their environment.
    AdministratorOrSecretKey,
}

impl Action {
    fn rule(self) -> Rule {
        use Action::*;
        match self {
            ListEnvironments | ReadEnvironment | ReadPublishableKey | ReadAccount => Rule::Anyone,
            ListSpaces | ReadSpace | CreateSpace | UpdateSpace | DeleteSpace | ListWorkbooks
            | ReadWorkbook | CreateWorkbook | UpdateWorkbook | DeleteWorkbook | ListGuests
            | ReadGuest | ManageGuests | InviteGuests => Rule::Anyone,
            ReadSecrets | WriteSecrets | ReadEvents | WriteEvents => Rule::AdministratorOrSecretKey,
            ExportEvents | Backup | SeeAcknowledgedEvents => Rule::Administrator,
            ManageOwnTokens | ReadRoles => Rule::UsersOnly,
            ReadUser | UpdateUserProfile | ManageClientCredentials | RevokePat => {
                Rule::AdministratorOrSelf
            }
            CreateEnvironment | UpdateEnvironment | DeleteEnvironment | ReadApiKeys
            | ManageApiKeys | ControlClock | ListUsers | ManageUsers | UpdateAccount
            | ReadOutbox => Rule::Administrator,
        }
    }

    /// Whether the action changes something inside a space (refused to guests and space tokens
    /// once the space is archived).
    fn writes_in_space(self) -> bool {
        use Action::*;
        matches!(
            self,
            CreateWorkbook | UpdateWorkbook | DeleteWorkbook | InviteGuests | ManageGuests
        )
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
            RevokePat => ("DELETE", "/v1/auth/personal-access-tokens/{accessTokenId}"),
            ListUsers => ("GET", "/v1/users"),
            ReadUser => ("GET", "/v1/users/{userId}"),
            UpdateUserProfile => ("PATCH", "/v1/users/{userId}"),
            ManageUsers => ("POST", "/v1/users/invite"),
            ManageClientCredentials => ("POST", "/v1/users/{userId}/api-token"),
            ReadAccount => ("GET", "/v1/accounts/current"),
            UpdateAccount => ("PATCH", "/v1/accounts/current"),
            ReadRoles => ("GET", "/v1/roles"),
            ReadOutbox => ("GET", "/v1/latchkey/outbox"),
            ListSpaces => ("GET", "/v1/spaces"),
            ReadSpace => ("GET", "/v1/spaces/{spaceId}"),
            CreateSpace => ("POST", "/v1/spaces"),
            UpdateSpace => ("PATCH", "/v1/spaces/{spaceId}"),
            DeleteSpace => ("DELETE", "/v1/spaces/{spaceId}"),
            ListWorkbooks => ("GET", "/v1/workbooks"),
            ReadWorkbook => ("GET", "/v1/workbooks/{workbookId}"),
            CreateWorkbook => ("POST", "/v1/workbooks"),
            UpdateWorkbook => ("PATCH", "/v1/workbooks/{workbookId}"),
            DeleteWorkbook => ("DELETE", "/v1/workbooks/{workbookId}"),
            ListGuests => ("GET", "/v1/guests"),
            ReadGuest => ("GET", "/v1/guests/{guestId}"),
            ManageGuests => ("POST", "/v1/guests"),
            InviteGuests => ("POST", "/v1/invitations"),
            ReadSecrets => ("GET", "/v1/secrets"),
            WriteSecrets => ("POST", "/v1/secrets"),
            ReadEvents => ("GET", "/v1/events"),
            WriteEvents => ("POST", "/v1/events"),
            ExportEvents => ("GET", "/v1/latchkey/events/export"),
            SeeAcknowledgedEvents => ("GET", "/v1/events"),
            Backup => ("GET", "/v1/latchkey/backup"),
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
            RevokePat => "deleting another user's personal access token",
            ListUsers => "listing users",
            ReadUser => "reading another user",
            UpdateUserProfile => "changing another user",
            ManageUsers => "managing users and roles",
            ManageClientCredentials => "managing another user's client credentials",
            ReadAccount => "reading the account",
            UpdateAccount => "changing the account",
            ReadRoles => "listing roles",
            ReadOutbox => "reading the mail outbox",
            ListSpaces => "listing spaces",
            ReadSpace => "reading a space",
            CreateSpace => "creating spaces",
            UpdateSpace => "changing spaces",
            DeleteSpace => "deleting spaces",
            ListWorkbooks => "listing workbooks",
            ReadWorkbook => "reading a workbook",
            CreateWorkbook => "creating workbooks",
            UpdateWorkbook => "changing workbooks",
            DeleteWorkbook => "deleting workbooks",
            ListGuests => "listing guests",
            ReadGuest => "reading a guest",
            ManageGuests => "managing guests",
            InviteGuests => "inviting guests",
            ReadSecrets => "reading secrets",
            WriteSecrets => "changing secrets",
            ReadEvents => "reading the audit log",
            WriteEvents => "writing events",
            ExportEvents => "exporting the audit log",
            SeeAcknowledgedEvents => "seeing acknowledged events",
            Backup => "taking backups",
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
    /// The space it is in, if any.
    pub space: Option<&'a SpaceId>,
    /// The workbook it is, if any.
    pub workbook: Option<&'a WorkbookId>,
    /// The guest it is, if any.
    pub guest: Option<&'a GuestId>,
    /// Whether the space (and its environment) let guests invite guests.
    pub guest_invites_allowed: bool,
    /// Whether the space is archived: guests and space tokens may then only read it.
    pub space_archived: bool,
}

impl<'a> Resource<'a> {
    /// The account itself.
    pub fn account(account: &'a AccountId) -> Self {
        Self {
            account,
            environment: None,
            user: None,
            space: None,
            workbook: None,
            guest: None,
            guest_invites_allowed: false,
            space_archived: false,
        }
    }

    /// Something inside an environment (or the environment).
    pub fn environment(account: &'a AccountId, environment: &'a EnvironmentId) -> Self {
        Self {
            environment: Some(environment),
            ..Self::account(account)
        }
    }

    /// Something in a space.
    pub fn space(
        account: &'a AccountId,
        environment: &'a EnvironmentId,
        space: &'a SpaceId,
    ) -> Self {
        Self {
            space: Some(space),
            ..Self::environment(account, environment)
        }
    }

    /// Narrows to one workbook of the space.
    pub fn workbook(self, workbook: &'a WorkbookId) -> Self {
        Self {
            workbook: Some(workbook),
            ..self
        }
    }

    /// Narrows to one guest.
    pub fn guest(self, guest: &'a GuestId) -> Self {
        Self {
            guest: Some(guest),
            ..self
        }
    }

    /// Records whether guests may invite guests here.
    pub fn guest_invites(self, allowed: bool) -> Self {
        Self {
            guest_invites_allowed: allowed,
            ..self
        }
    }

    /// Records whether the space is archived.
    pub fn archived(self, archived: bool) -> Self {
        Self {
            space_archived: archived,
            ..self
        }
    }

    /// A user, or something a user owns.
    pub fn user(account: &'a AccountId, user: &'a UserId) -> Self {
        Self {
            user: Some(user),
            ..Self::account(account)
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
            Rule::AdministratorOrSecretKey => Err(Denial::Forbidden(format!(
                "{} requires an Administrator or the environment's secret key",
                action.describe()
            ))),
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
                // Account-level records (no environment) are outside an environment key's reach.
                Rule::AdministratorOrSecretKey if resource.environment.is_none() => Err(not_found(resource)),
                Rule::AdministratorOrSecretKey if *key_type == ApiKeyType::Secret => Ok(()),
                Rule::AdministratorOrSecretKey => Err(Denial::Forbidden(format!(
                    "{} requires an Administrator or the environment's secret key",
                    action.describe()
                ))),
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
        PrincipalKind::Guest {
            id,
            environment_id,
            scope,
            grants,
            shared_link,
        } => {
            if resource.environment.is_some_and(|e| e != environment_id) {
                return Err(not_found(resource));
            }
            if *shared_link && action == Action::InviteGuests {
                return Err(Denial::Forbidden(
                    "a guest who joined through a shared link may not invite guests".into(),
                ));
            }
            guest_decision(action, resource, id, scope.as_ref(), grants)
        }
        PrincipalKind::SpaceToken {
            space_id,
            environment_id,
            ..
        } => {
            if resource.environment.is_some_and(|e| e != environment_id) {
                return Err(not_found(resource));
            }
            use Action::*;
            let own_space = resource.space.is_none_or(|s| s == space_id);
            if resource.space_archived && action.writes_in_space() {
                return Err(archived(resource));
            }
            match action {
                ListSpaces | ListWorkbooks => Ok(()),
                ReadSpace | ReadWorkbook | CreateWorkbook | UpdateWorkbook if own_space => Ok(()),
                _ => Err(Denial::Forbidden(format!(
                    "a space token reaches only space {space_id}; {} is not allowed",
                    action.describe()
                ))),
            }
        }
    }
}

/// Whether `principal` may take `action` on every resource of `account`, whatever its
/// environment, space or user, so that a listing need not check each item. Mirrors `authorize`:
/// only within the principal's own account; Administrators may do anything there, Members what
/// every user may do. Environment keys, guests and space tokens are confined and are checked
/// per item.
pub fn allowed_account_wide(principal: &Principal, action: Action, account: &AccountId) -> bool {
    if principal.account_id != *account {
        return false;
    }
    match &principal.kind {
        PrincipalKind::User {
            role: Role::Administrator,
            ..
        } => true,
        PrincipalKind::User {
            role: Role::Member, ..
        } => matches!(action.rule(), Rule::Anyone | Rule::UsersOnly),
        _ => false,
    }
}

/// A guest may read its granted spaces and workbooks, work in granted workbooks, read itself,
/// and invite guests into its spaces within its own grant when allowed. Nothing else.
fn guest_decision(
    action: Action,
    resource: Resource,
    me: &GuestId,
    scope: Option<&SpaceId>,
    grants: &[Grant],
) -> Result<(), Denial> {
    use Action::*;
    let grant = |space: &SpaceId| -> Result<&Grant, Denial> {
        if scope.is_some_and(|s| s != space) {
            return Err(Denial::Forbidden(format!(
                "this guest token is limited to space {}",
                scope.map_or("", |s| s.as_str())
            )));
        }
        grants
            .iter()
            .find(|g| g.space_id == *space)
            .ok_or_else(|| Denial::Forbidden(format!("the guest lacks space {space}")))
    };
    let workbook_in = |grant: &Grant, wb: &WorkbookId| {
        if grant.covers(wb) {
            Ok(())
        } else {
            Err(Denial::Forbidden(format!(
                "the guest lacks workbook {wb} in space {}",
                grant.space_id
            )))
        }
    };
    if resource.space_archived && action.writes_in_space() {
        return Err(archived(resource));
    }
    match (action, resource.space, resource.workbook) {
        (ListSpaces | ListWorkbooks, _, _) => Ok(()),
        (ReadSpace, Some(space), _) => grant(space).map(|_| ()),
        (ReadWorkbook | UpdateWorkbook, Some(space), Some(wb)) => workbook_in(grant(space)?, wb),
        (ReadGuest, _, _) if resource.guest == Some(me) => Ok(()),
        (InviteGuests, Some(space), workbook) => {
            let mine = grant(space)?;
            if !resource.guest_invites_allowed {
                return Err(Denial::Forbidden(format!(
                    "guests may not invite guests into space {space}"
                )));
            }
            match workbook {
                Some(wb) => workbook_in(mine, wb),
                None if mine.workbooks.is_none() => Ok(()),
                None => Err(Denial::Forbidden(format!(
                    "the guest may only invite into its own workbooks of space {space}, not the whole space"
                ))),
            }
        }
        _ => Err(Denial::Forbidden(format!(
            "guests cannot do this: {}",
            action.describe()
        ))),
    }
}

fn archived(resource: Resource) -> Denial {
    Denial::Forbidden(format!(
        "space {} is archived; guests and space tokens may only read it",
        resource.space.map_or("", |s| s.as_str())
    ))
}

fn not_found(resource: Resource) -> Denial {
    let what = if let Some(wb) = resource.workbook {
        format!("workbook {wb}")
    } else if let Some(guest) = resource.guest {
        format!("guest {guest}")
    } else if let Some(space) = resource.space {
        format!("space {space}")
    } else if let Some(env) = resource.environment {
        format!("environment {env}")
    } else if let Some(user) = resource.user {
        format!("user {user}")
    } else {
        "the resource".to_owned()
    };
    Denial::NotFound(format!("{what} not found"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::principal::{Caller, Via};

    fn caller(account: &AccountId, kind: PrincipalKind) -> Principal {
        Principal::new(Caller {
            account_id: account.clone(),
            kind,
            credential_id: "us_pat_test".into(),
            expires_at: None,
            via: Via::PersonalAccessToken,
        })
    }

    #[test]
    fn account_wide_permission_implies_authorize_allows_every_environment() {
        let account = AccountId::generate();
        let environments = [EnvironmentId::generate(), EnvironmentId::generate()];
        let actions = [
            Action::ListEnvironments,
            Action::ReadEnvironment,
            Action::ReadSpace,
            Action::ReadSecrets,
            Action::ManageApiKeys,
            Action::ManageOwnTokens,
            Action::ControlClock,
        ];
        let user = |role| PrincipalKind::User {
            id: UserId::generate(),
            role,
        };
        let key = PrincipalKind::Environment {
            key_id: crate::domain::ApiKeyId::generate(),
            environment_id: environments[0].clone(),
            key_type: ApiKeyType::Secret,
            operations: Vec::new(),
        };
        for kind in [user(Role::Administrator), user(Role::Member), key] {
            let p = caller(&account, kind);
            for action in actions {
                if allowed_account_wide(&p, action, &account) {
                    for e in &environments {
                        let r = Resource::environment(&account, e);
                        assert_eq!(authorize(&p, action, r), Ok(()), "{:?} {action:?}", p.kind);
                    }
                }
            }
        }
        let member = caller(&account, user(Role::Member));
        assert!(allowed_account_wide(
            &member,
            Action::ReadEnvironment,
            &account
        ));
        assert!(!allowed_account_wide(
            &member,
            Action::ReadEnvironment,
            &AccountId::generate()
        ));
        assert!(!allowed_account_wide(
            &member,
            Action::ReadSecrets,
            &account
        ));
        let secret_key = caller(
            &account,
            PrincipalKind::Environment {
                key_id: crate::domain::ApiKeyId::generate(),
                environment_id: environments[0].clone(),
                key_type: ApiKeyType::Secret,
                operations: Vec::new(),
            },
        );
        assert!(!allowed_account_wide(
            &secret_key,
            Action::ReadEnvironment,
            &account
        ));
    }
}
