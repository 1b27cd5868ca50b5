//! The one authorization decision: `(principal, action, resource) → allow | deny(reason)`.
//! Every handler asks it; none decides on its own.

use super::{Principal, PrincipalKind};
use crate::domain::{
    AccountId, ApiKeyType, DataClipId, EnvironmentId, GuestId, Role, SpaceId, UserId, WorkbookId,
};
use crate::domain::{ClipGrant, Grant, RecordAccess};

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
    /// List and read agents, their versions, roles and (empty) logs.
    ReadAgents,
    /// Deploy, revert or delete agents and change their roles.
    ManageAgents,
    /// List and read an environment's guides.
    ReadGuides,
    /// Create, change or delete an environment's guides.
    WriteGuides,
    /// List data clips (each is then filtered by `ReadDataClip`).
    ListDataClips,
    /// Read a data clip and its guests (guests: the clips they belong to).
    ReadDataClip,
    /// Create, change or delete data clips, their records and their guests.
    ManageDataClips,
    /// Read a clip's records and resolutions (guests: of their clips; with a record, that
    /// record must be clipped or referenced).
    ReadClipRecords,
    /// Change a clip's records' resolutions (guests: only clipped records, never references).
    WriteClipRecords,
    /// Read an environment's overview: request counts, credentials, recent events, backups.
    ReadOverview,
    /// List, create, change or delete an environment's webhooks; read their delivery logs,
    /// send test events and redeliver.
    ManageWebhooks,
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
    /// Users of any role, and secret keys within their environment; never publishable keys.
    UsersOrSecretKey,
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
            ReadAgents => Rule::UsersOrSecretKey,
            ManageAgents => Rule::AdministratorOrSecretKey,
            ReadGuides => Rule::Anyone,
            WriteGuides => Rule::AdministratorOrSecretKey,
            ManageWebhooks => Rule::AdministratorOrSecretKey,
            ListDataClips | ReadDataClip | ManageDataClips | ReadClipRecords | WriteClipRecords => {
                Rule::UsersOrSecretKey
            }
            ManageOwnTokens | ReadRoles => Rule::UsersOnly,
            ReadUser | UpdateUserProfile | ManageClientCredentials | RevokePat => {
                Rule::AdministratorOrSelf
            }
            CreateEnvironment | UpdateEnvironment | DeleteEnvironment | ReadApiKeys
            | ManageApiKeys | ControlClock | ListUsers | ManageUsers | UpdateAccount
            | ReadOutbox => Rule::Administrator,
            ReadOverview => Rule::Administrator,
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
            ReadAgents => ("GET", "/v1/agents"),
            ManageAgents => ("POST", "/v1/agents"),
            ReadGuides => ("GET", "/v1/environments/{environmentId}/guides"),
            WriteGuides => ("POST", "/v1/environments/{environmentId}/guides"),
            ListDataClips => ("GET", "/v1/data-clips"),
            ReadDataClip => ("GET", "/v1/data-clips/{dataClipId}"),
            ManageDataClips => ("POST", "/v1/data-clips"),
            ReadClipRecords => ("GET", "/v1/data-clips/{dataClipId}/resolutions"),
            WriteClipRecords => ("PATCH", "/v1/data-clips/{dataClipId}/resolutions"),
            ReadOverview => ("GET", "/v1/latchkey/overview"),
            ManageWebhooks => ("POST", "/v1/latchkey/webhooks"),
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
            ReadAgents => "reading agents",
            ManageAgents => "deploying, reverting or deleting agents",
            ReadGuides => "reading guides",
            WriteGuides => "changing guides",
            ListDataClips => "listing data clips",
            ReadDataClip => "reading a data clip",
            ManageDataClips => "managing data clips",
            ReadClipRecords => "reading a data clip's records",
            WriteClipRecords => "changing a data clip's records",
            ReadOverview => "reading the overview",
            ManageWebhooks => "managing webhooks",
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
    /// The data clip it is (or is in), if any.
    pub clip: Option<&'a DataClipId>,
    /// The record it is, as (sheet id, record id), if any.
    pub record: Option<(&'a str, &'a str)>,
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
            clip: None,
            record: None,
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

    /// Narrows to one data clip (of the workbook).
    pub fn clip(self, clip: &'a DataClipId) -> Self {
        Self {
            clip: Some(clip),
            ..self
        }
    }

    /// Narrows to one record of a sheet.
    pub fn record(self, sheet: &'a str, record: &'a str) -> Self {
        Self {
            record: Some((sheet, record)),
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
            Rule::Anyone | Rule::UsersOnly | Rule::UsersOrSecretKey => Ok(()),
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
                Rule::UsersOrSecretKey if resource.environment.is_none() => Err(not_found(resource)),
                Rule::UsersOrSecretKey if *key_type == ApiKeyType::Secret => Ok(()),
                Rule::UsersOrSecretKey => Err(Denial::Forbidden(format!(
                    "{} requires a user's credential or the environment's secret key, never a publishable key",
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
            clips,
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
            match action {
                Action::ListDataClips
                | Action::ReadDataClip
                | Action::ManageDataClips
                | Action::ReadClipRecords
                | Action::WriteClipRecords => {
                    clip_decision(action, resource, scope.as_ref(), clips)
                }
                _ => guest_decision(action, resource, id, scope.as_ref(), grants),
            }
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
                // The embed names its default page (`spaces.update`) and archives the space
                // after a submit (`spaces.archiveSpace`) with this token.
                ReadSpace | UpdateSpace | ReadWorkbook | CreateWorkbook | UpdateWorkbook
                    if own_space =>
                {
                    Ok(())
                }
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
        } => matches!(
            action.rule(),
            Rule::Anyone | Rule::UsersOnly | Rule::UsersOrSecretKey
        ),
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

/// A guest reaches a data clip only as one of its guests: it may read the clip, read its
/// clipped and referenced records, and change the clipped ones; managing clips is not for
/// guests. Whole-space or workbook grants give no clip access.
fn clip_decision(
    action: Action,
    resource: Resource,
    scope: Option<&SpaceId>,
    clips: &[ClipGrant],
) -> Result<(), Denial> {
    use Action::*;
    if action == ListDataClips {
        return Ok(());
    }
    if action == ManageDataClips {
        return Err(Denial::Forbidden(format!(
            "guests cannot do this: {}",
            action.describe()
        )));
    }
    let Some(clip_id) = resource.clip else {
        return Err(Denial::Forbidden(format!(
            "guests cannot do this: {} outside a data clip",
            action.describe()
        )));
    };
    let grant = clips
        .iter()
        .find(|c| c.clip_id == *clip_id && resource.space.is_none_or(|s| *s == c.space_id))
        .ok_or_else(|| {
            Denial::Forbidden(format!("the guest is not a guest of data clip {clip_id}"))
        })?;
    if scope.is_some_and(|s| *s != grant.space_id) {
        return Err(Denial::Forbidden(format!(
            "this guest token is limited to space {}",
            scope.map_or("", |s| s.as_str())
        )));
    }
    let Some((sheet, record)) = resource.record else {
        return Ok(());
    };
    match (action, grant.covers(sheet, record)) {
        (ReadDataClip | ReadClipRecords, Some(_)) | (WriteClipRecords, Some(RecordAccess::Write)) => Ok(()),
        (_, Some(RecordAccess::Read)) => Err(Denial::Forbidden(format!(
            "record {record} of sheet {sheet} is referenced by data clip {clip_id}: its guests may only read it"
        ))),
        _ => Err(Denial::Forbidden(format!(
            "the guest lacks record {record} of sheet {sheet}: data clip {clip_id} neither clips nor references it"
        ))),
    }
}

fn not_found(resource: Resource) -> Denial {
    let what = if let Some(clip) = resource.clip {
        format!("data clip {clip}")
    } else if let Some(wb) = resource.workbook {
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
            Action::ReadAgents,
            Action::ManageAgents,
            Action::ReadDataClip,
            Action::ManageDataClips,
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

    #[test]
    fn agents_are_read_by_users_and_secret_keys_and_never_by_publishable_keys() {
        let account = AccountId::generate();
        let env = EnvironmentId::generate();
        let r = Resource::environment(&account, &env);
        let key = |key_type, operations| PrincipalKind::Environment {
            key_id: crate::domain::ApiKeyId::generate(),
            environment_id: env.clone(),
            key_type,
            operations,
        };
        let member = caller(
            &account,
            PrincipalKind::User {
                id: UserId::generate(),
                role: Role::Member,
            },
        );
        assert_eq!(authorize(&member, Action::ReadAgents, r), Ok(()));
        assert!(matches!(
            authorize(&member, Action::ManageAgents, r),
            Err(Denial::Forbidden(_))
        ));
        let secret = caller(&account, key(ApiKeyType::Secret, Vec::new()));
        assert_eq!(authorize(&secret, Action::ManageAgents, r), Ok(()));
        let every_agent_operation = ["GET", "POST"]
            .map(|method| crate::domain::Operation {
                path: "/v1/agents".into(),
                method: method.into(),
            })
            .to_vec();
        let publishable = caller(
            &account,
            key(ApiKeyType::Publishable, every_agent_operation),
        );
        for action in [Action::ReadAgents, Action::ManageAgents] {
            assert!(
                matches!(
                    authorize(&publishable, action, r),
                    Err(Denial::Forbidden(_))
                ),
                "{action:?}: even with the operations in its allow-list"
            );
        }
    }

    #[test]
    fn a_clip_guest_reaches_its_clip_and_records_only() {
        let account = AccountId::generate();
        let env = EnvironmentId::generate();
        let space = SpaceId::generate();
        let workbook = WorkbookId::generate();
        let clip = DataClipId::generate();
        let other = DataClipId::generate();
        let grant = ClipGrant {
            clip_id: clip.clone(),
            space_id: space.clone(),
            workbook_id: workbook.clone(),
            sheet_id: "us_sh_a".into(),
            clip_sheet_id: "us_sh_c".into(),
            record_ids: vec!["us_rc_1".into()],
            references: vec![crate::domain::ClipReference {
                sheet_id: "us_sh_b".into(),
                record_ids: vec!["us_rc_2".into()],
            }],
        };
        let guest = |scope: Option<SpaceId>| {
            caller(
                &account,
                PrincipalKind::Guest {
                    id: GuestId::generate(),
                    environment_id: env.clone(),
                    scope,
                    grants: Vec::new(),
                    clips: vec![grant.clone()],
                    shared_link: false,
                },
            )
        };
        let p = guest(None);
        let base = Resource::space(&account, &env, &space).workbook(&workbook);
        let on = |c| base.clip(c);
        assert_eq!(authorize(&p, Action::ReadDataClip, on(&clip)), Ok(()));
        let read =
            |sheet, record| authorize(&p, Action::ReadClipRecords, on(&clip).record(sheet, record));
        let write = |sheet, record| {
            authorize(
                &p,
                Action::WriteClipRecords,
                on(&clip).record(sheet, record),
            )
        };
        assert_eq!(read("us_sh_a", "us_rc_1"), Ok(()));
        assert_eq!(read("us_sh_b", "us_rc_2"), Ok(()));
        assert_eq!(write("us_sh_a", "us_rc_1"), Ok(()));
        assert!(matches!(
            write("us_sh_b", "us_rc_2"),
            Err(Denial::Forbidden(_))
        ));
        assert!(matches!(
            read("us_sh_a", "us_rc_3"),
            Err(Denial::Forbidden(_))
        ));
        for denied in [
            authorize(&p, Action::ReadDataClip, on(&other)),
            authorize(&p, Action::ManageDataClips, on(&clip)),
            authorize(&p, Action::ReadWorkbook, base),
            authorize(
                &p,
                Action::ReadSpace,
                Resource::space(&account, &env, &space),
            ),
            authorize(
                &guest(Some(SpaceId::generate())),
                Action::ReadDataClip,
                on(&clip),
            ),
        ] {
            assert!(matches!(denied, Err(Denial::Forbidden(_))), "{denied:?}");
        }
        let elsewhere = EnvironmentId::generate();
        let far = Resource::space(&account, &elsewhere, &space).clip(&clip);
        assert!(matches!(
            authorize(&p, Action::ReadDataClip, far),
            Err(Denial::NotFound(_))
        ));
    }
}
