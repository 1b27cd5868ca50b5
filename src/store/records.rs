//! The records the store takes and returns. They are stored as versioned bincode and are never
//! serialized straight to a client.

use super::codec::Record;
use crate::domain::*;
use serde::{Deserialize, Serialize};

/// The one account a Latchkey server holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// `us_acc_…`.
    pub id: AccountId,
    /// Display name.
    pub name: String,
    /// Free-form JSON object, as text.
    pub metadata: String,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl Record for Account {
    const VERSION: u8 = 1;
    const NAME: &'static str = "account";
}

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

impl Record for Environment {
    const VERSION: u8 = 2;
    const NAME: &'static str = "environment";

    fn decode(bytes: &[u8]) -> Result<Self, super::StoreError> {
        match bytes.split_first() {
            Some((1, body)) => bincode::deserialize::<EnvironmentV1>(body)
                .map(Environment::from)
                .map_err(|e| {
                    super::StoreError::Corrupt(format!("environment record does not decode: {e}"))
                }),
            _ => super::codec::decode_current(bytes),
        }
    }
}

/// Version 1 of `Environment`: the same fields, without `allowed_origins`.
#[derive(Deserialize)]
struct EnvironmentV1 {
    id: EnvironmentId,
    account_id: AccountId,
    name: EnvironmentName,
    is_prod: bool,
    guest_authentication: Vec<GuestAuthentication>,
    metadata: String,
    translations_path: Option<String>,
    namespaces: Option<Vec<String>>,
    language_override: Option<String>,
    guests_can_invite: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<EnvironmentV1> for Environment {
    fn from(v: EnvironmentV1) -> Self {
        Self {
            id: v.id,
            account_id: v.account_id,
            name: v.name,
            is_prod: v.is_prod,
            guest_authentication: v.guest_authentication,
            metadata: v.metadata,
            translations_path: v.translations_path,
            namespaces: v.namespaces,
            language_override: v.language_override,
            guests_can_invite: v.guests_can_invite,
            created_at: v.created_at,
            updated_at: v.updated_at,
            allowed_origins: Vec::new(),
        }
    }
}

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

impl Record for ApiKey {
    const VERSION: u8 = 1;
    const NAME: &'static str = "api key";
}

impl ApiKey {
    /// True when the key works at `now`.
    pub fn is_active_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

/// A team member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// `us_usr_…`.
    pub id: UserId,
    /// Owning account.
    pub account_id: AccountId,
    /// Unique, lower-cased.
    pub email: Email,
    /// Display name.
    pub name: PersonName,
    /// Administrator or Member.
    pub role: Role,
    /// None until the user sets a password.
    pub password: Option<PasswordHash>,
    /// The id of the user's role assignment (`us_acr_…`), replaced on every change.
    pub role_assignment: ActorRoleId,
    /// When the current role was assigned.
    pub role_assigned_at: Timestamp,
    /// Free-form JSON object, as text.
    pub metadata: String,
    /// The dashboard preference the contract carries.
    pub dashboard: Option<i64>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl Record for User {
    const VERSION: u8 = 1;
    const NAME: &'static str = "user";
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

impl Record for CredentialRef {
    const VERSION: u8 = 1;
    const NAME: &'static str = "credential reference";
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `us_evt_…`.
    pub id: EventId,
    /// For example `environment:created` or `api-key:rotated`.
    pub topic: String,
    /// For example `environment` or `auth`.
    pub domain: String,
    /// Account.
    pub account_id: AccountId,
    /// Environment, when the event belongs to one.
    pub environment_id: Option<EnvironmentId>,
    /// Space, when the event belongs to one.
    pub space_id: Option<String>,
    /// Who did it: a user, key, PAT or guest id (never a raw credential).
    pub actor_id: Option<String>,
    /// What changed, as JSON text; never secret material.
    pub payload: String,
    /// When.
    pub created_at: Timestamp,
    /// When it was acknowledged.
    pub acknowledged_at: Option<Timestamp>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
}

impl Record for Event {
    const VERSION: u8 = 1;
    const NAME: &'static str = "event";
}

impl Event {
    /// A new event at `now` with a fresh id and no acknowledgement.
    pub fn new(topic: &str, domain: &str, account_id: AccountId, now: Timestamp) -> Self {
        Self {
            id: EventId::generate_timed(),
            topic: topic.to_owned(),
            domain: domain.to_owned(),
            account_id,
            environment_id: None,
            space_id: None,
            actor_id: None,
            payload: "{}".to_owned(),
            created_at: now,
            acknowledged_at: None,
            acknowledged_by: None,
        }
    }

    /// Sets the environment.
    pub fn in_environment(mut self, id: &EnvironmentId) -> Self {
        self.environment_id = Some(id.clone());
        self
    }

    /// Sets the space.
    pub fn in_space(mut self, id: &SpaceId) -> Self {
        self.space_id = Some(id.to_string());
        self
    }

    /// Sets the actor.
    pub fn by(mut self, actor: Option<String>) -> Self {
        self.actor_id = actor;
        self
    }

    /// Sets the payload.
    pub fn with_payload(mut self, payload: serde_json::Value) -> Self {
        self.payload = payload.to_string();
        self
    }
}

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

impl Record for Pat {
    const VERSION: u8 = 1;
    const NAME: &'static str = "personal access token";
}

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

impl Record for Client {
    const VERSION: u8 = 1;
    const NAME: &'static str = "client credentials";
}

/// What a single-use link does when redeemed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LinkPurpose {
    /// An invited user sets a password.
    SetPassword(UserId),
    /// A guest signs in to a space (a magic link).
    GuestLogin {
        /// The guest.
        guest: GuestId,
        /// The space the link opens.
        space: SpaceId,
    },
    /// Someone joined a space's shared link with an existing guest's address: the link, mailed
    /// to that address, admits that guest to the space once redeemed.
    SharedLinkJoin {
        /// The guest the address belongs to.
        guest: GuestId,
        /// The space whose shared link was used.
        space: SpaceId,
    },
}

/// A single-use link, stored under the digest of its token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// What it does.
    pub purpose: LinkPurpose,
    /// Account.
    pub account_id: AccountId,
    /// Created.
    pub created_at: Timestamp,
    /// Stops working.
    pub expires_at: Timestamp,
}

impl Record for Link {
    const VERSION: u8 = 1;
    const NAME: &'static str = "link";
}

/// A message in the outbox. The body holds a live link, so it is sealed under the master key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    /// Recipient.
    pub to: Email,
    /// Subject line: one line, whatever it was built from.
    pub subject: crate::domain::MailSubject,
    /// The body, sealed (AES-256-GCM) under the master key.
    pub sealed_body: Vec<u8>,
    /// Account.
    pub account_id: AccountId,
    /// Queued.
    pub created_at: Timestamp,
}

impl Record for Mail {
    const VERSION: u8 = 1;
    const NAME: &'static str = "mail";
}

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

impl Record for Space {
    const VERSION: u8 = 1;
    const NAME: &'static str = "space";
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

impl Record for Workbook {
    const VERSION: u8 = 1;
    const NAME: &'static str = "workbook";
}

/// A guest: an outside person with access to granted spaces only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guest {
    /// `us_g_…`.
    pub id: GuestId,
    /// Account.
    pub account_id: AccountId,
    /// Environment.
    pub environment_id: EnvironmentId,
    /// Unique within the environment.
    pub email: Email,
    /// Display name.
    pub name: PersonName,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl Record for Guest {
    const VERSION: u8 = 1;
    const NAME: &'static str = "guest";
}

/// A guest's access to one space: the whole space, or only the listed workbooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// The guest.
    pub guest_id: GuestId,
    /// The space.
    pub space_id: SpaceId,
    /// `None`: every workbook in the space; otherwise only these.
    pub workbooks: Option<Vec<WorkbookId>>,
    /// Sheet ids, kept as given.
    pub sheets: Option<Vec<String>>,
    /// The role-assignment id the guest roles endpoints show (`us_acr_…`).
    pub assignment: ActorRoleId,
    /// Created.
    pub created_at: Timestamp,
}

impl Record for Grant {
    const VERSION: u8 = 1;
    const NAME: &'static str = "grant";
}

impl Grant {
    /// True when the grant reaches `workbook`.
    pub fn covers(&self, workbook: &WorkbookId) -> bool {
        self.workbooks
            .as_ref()
            .is_none_or(|list| list.contains(workbook))
    }

    /// This grant widened by `other` (same space): a whole-space grant wins, lists are merged.
    pub fn merged(mut self, other: &Grant) -> Grant {
        self.workbooks = match (self.workbooks, &other.workbooks) {
            (None, _) | (_, None) => None,
            (Some(mut mine), Some(theirs)) => {
                for wb in theirs {
                    if !mine.contains(wb) {
                        mine.push(wb.clone());
                    }
                }
                Some(mine)
            }
        };
        self
    }
}

/// A named secret for listeners, scoped to an environment and optionally a space. The value is
/// sealed under the master key, bound to the secret id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Secret {
    /// `us_sec_…`.
    pub id: SecretId,
    /// Account.
    pub account_id: AccountId,
    /// Environment.
    pub environment_id: EnvironmentId,
    /// Space, for a space-scoped secret.
    pub space_id: Option<SpaceId>,
    /// Actor the secret is meant for, if any.
    pub actor_id: Option<String>,
    /// Name, unique within (environment, space).
    pub name: String,
    /// The value, sealed.
    pub sealed_value: Vec<u8>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl Record for Secret {
    const VERSION: u8 = 1;
    const NAME: &'static str = "secret";
}

#[cfg(test)]
mod environment_versions {
    use super::*;

    fn sample() -> Environment {
        let mut env = Environment::new(
            AccountId::generate(),
            EnvironmentName::parse("development").unwrap(),
            false,
            Timestamp(1_700_000_000_000),
        );
        env.allowed_origins = vec![WebOrigin::parse("https://app.example.com").unwrap()];
        env
    }

    #[test]
    fn environments_round_trip_with_their_allowed_origins() {
        let env = sample();
        assert_eq!(Environment::decode(&env.encode()).unwrap(), env);
    }

    #[test]
    fn version_1_environments_decode_with_no_allowed_origins() {
        #[derive(Serialize)]
        struct V1<'a>(
            &'a EnvironmentId,
            &'a AccountId,
            &'a EnvironmentName,
            bool,
            &'a [GuestAuthentication],
            &'a str,
            Option<String>,
            Option<Vec<String>>,
            Option<String>,
            bool,
            Timestamp,
            Timestamp,
        );
        let env = sample();
        let mut bytes = vec![1u8];
        bincode::serialize_into(
            &mut bytes,
            &V1(
                &env.id,
                &env.account_id,
                &env.name,
                env.is_prod,
                &env.guest_authentication,
                &env.metadata,
                None,
                None,
                None,
                true,
                env.created_at,
                env.updated_at,
            ),
        )
        .unwrap();
        let old = Environment::decode(&bytes).unwrap();
        assert_eq!(old.id, env.id);
        assert!(old.allowed_origins.is_empty());
        assert!(old.guests_can_invite);
    }
}
