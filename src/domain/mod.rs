//! Plain values with `parse` constructors and no I/O (identifiers, emails, names, roles), and the
//! records built from them (users, environments, spaces, guests, grants, …) with the rules on
//! them. `store` keeps how each record is stored; nothing here names storage.

mod account;
mod agent;
mod api_key;
mod client;
mod data_clip;
mod email;
mod environment;
mod event;
mod grant;
mod guest;
mod guide;
mod ids;
pub mod limits;
mod link;
mod names;
mod origin;
mod pat;
mod punycode;
pub mod random;
mod role;
mod secret;
mod session;
mod space;
mod time;
pub mod topics;
mod user;
pub mod webhook;

pub use account::Account;
pub use agent::{Agent, AgentConfig, AgentRole, AgentVersion};
pub use api_key::{ApiKey, CredentialRef};
pub use client::Client;
pub use data_clip::{
    ClipGrant, ClipMembership, ClipReference, ClipResolution, DataClip, RecordAccess,
};
pub use email::Email;
pub use environment::Environment;
pub use event::Event;
pub use grant::Grant;
pub use guest::Guest;
pub use guide::{Guide, GuideVersion};
pub use ids::*;
pub use link::{Link, LinkPurpose, Mail};
pub use names::{check_name, check_text, EnvironmentName, MailSubject, PersonName};
pub use origin::{WebOrigin, MAX_ALLOWED_ORIGINS};
pub use pat::Pat;
pub use role::{Role, GUEST_ROLE_ID};
pub use secret::Secret;
pub use session::Session;
pub use space::{Space, Workbook};
pub use time::Timestamp;
pub use user::User;

/// Why a raw value was refused; `field` names the offending input for the error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// The name of the input (a JSON field or query parameter) that failed.
    pub field: &'static str,
    /// A human explanation of what was expected.
    pub message: String,
    /// The value is well formed but over a configured limit (answered 422, not 400).
    pub over_limit: bool,
}

impl ParseError {
    /// Builds an error for `field` with a message.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
            over_limit: false,
        }
    }

    /// Builds an error for a well-formed value whose content is refused (answered 422).
    pub fn refused(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            over_limit: true,
            ..Self::new(field, message)
        }
    }

    /// Builds an error for a value over a configured limit; the message names the limit.
    pub fn over_limit(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            over_limit: true,
            ..Self::new(field, message)
        }
    }
}

/// Guest sign-in methods an environment or space allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GuestAuthentication {
    /// `shared_link`: anyone holding the space's link may join.
    SharedLink,
    /// `magic_link`: a single-use link mailed to the guest.
    MagicLink,
}

impl GuestAuthentication {
    /// Parses the wire spelling.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "shared_link" => Ok(Self::SharedLink),
            "magic_link" => Ok(Self::MagicLink),
            other => Err(ParseError::new(
                "guestAuthentication",
                format!("unknown guest authentication '{other}', expected 'shared_link' or 'magic_link'"),
            )),
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SharedLink => "shared_link",
            Self::MagicLink => "magic_link",
        }
    }
}

/// The two kinds of environment API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ApiKeyType {
    /// `sk_…`: server side, everything in its environment.
    Secret,
    /// `pk_…`: client side, limited to its operations allow-list.
    Publishable,
}

impl ApiKeyType {
    /// Parses the wire spelling (`SECRET` or `PUBLISHABLE`).
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "SECRET" => Ok(Self::Secret),
            "PUBLISHABLE" => Ok(Self::Publishable),
            other => Err(ParseError::new(
                "type",
                format!("unknown key type '{other}', expected 'SECRET' or 'PUBLISHABLE'"),
            )),
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secret => "SECRET",
            Self::Publishable => "PUBLISHABLE",
        }
    }
}

/// One entry of a publishable key's allow-list: an HTTP method and an API path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Operation {
    /// The path as the client calls it, for example `/v1/spaces`.
    pub path: String,
    /// The upper-case HTTP method, for example `POST`.
    pub method: String,
}

impl Operation {
    /// The default allow-list of a publishable key: create a space.
    pub fn default_publishable() -> Vec<Operation> {
        vec![Operation {
            path: "/v1/spaces".into(),
            method: "POST".into(),
        }]
    }
}

/// A stored password: PBKDF2-HMAC-SHA256 iteration count, 16-byte salt and 32-byte derived key.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordHash {
    /// PBKDF2 iterations used for this hash.
    pub iterations: u32,
    /// Random salt.
    pub salt: [u8; 16],
    /// The derived key.
    pub hash: [u8; 32],
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PasswordHash(pbkdf2-sha256, {} iterations)",
            self.iterations
        )
    }
}
