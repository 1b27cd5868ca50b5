//! Prefixed identifiers (`us_env_…`, `us_key_…`): one type per resource so they cannot be mixed.

use super::{random, ParseError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Random characters after the prefix: 12 base62 characters, about 71 bits.
const SUFFIX_LEN: usize = 12;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The wire prefix of this identifier.
            pub const PREFIX: &'static str = $prefix;

            /// A new random identifier.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, random::base62(SUFFIX_LEN)))
            }

            /// Accepts the prefix followed by 1 to 40 ASCII letters or digits.
            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                let suffix = raw.strip_prefix($prefix).ok_or_else(|| {
                    ParseError::new($field, format!("'{}' is not an id starting with '{}'", clip(raw), $prefix))
                })?;
                if suffix.is_empty() || suffix.len() > 40 || !suffix.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(ParseError::new($field, format!("'{}' is not a valid {} id", clip(raw), $prefix)));
                }
                Ok(Self(raw.to_owned()))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        // Hash and Eq of the derived newtype are those of the string, as `Borrow` requires.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Shortens untrusted input before it is echoed in an error message.
fn clip(raw: &str) -> String {
    raw.chars().take(48).filter(|c| !c.is_control()).collect()
}

id_type!(
    /// An account (`us_acc_…`).
    AccountId, "us_acc_", "accountId");
id_type!(
    /// An environment (`us_env_…`).
    EnvironmentId, "us_env_", "environmentId");
id_type!(
    /// An environment API key (`us_key_…`).
    ApiKeyId, "us_key_", "key");
id_type!(
    /// A user (`us_usr_…`).
    UserId, "us_usr_", "userId");
id_type!(
    /// A personal access token (`us_pat_…`).
    PatId, "us_pat_", "accessTokenId");
id_type!(
    /// An audit event (`us_evt_…`).
    EventId, "us_evt_", "eventId");
id_type!(
    /// A client-credentials pair (`us_cli_…`).
    ClientId, "us_cli_", "clientId");
id_type!(
    /// A space (`us_sp_…`).
    SpaceId, "us_sp_", "spaceId");
id_type!(
    /// A workbook (`us_wb_…`).
    WorkbookId, "us_wb_", "workbookId");
id_type!(
    /// A guest (`us_g_…`).
    GuestId, "us_g_", "guestId");
id_type!(
    /// A secret (`us_sec_…`).
    SecretId, "us_sec_", "secretId");
id_type!(
    /// A role (`us_rol_…`).
    RoleId, "us_rol_", "roleId");
id_type!(
    /// A role assignment (`us_acr_…`).
    ActorRoleId, "us_acr_", "actorRoleId");
id_type!(
    /// An agent: a stored listener (`us_ag_…`).
    AgentId, "us_ag_", "agentId");
id_type!(
    /// One deployed version of an agent (`us_agv_…`).
    AgentVersionId, "us_agv_", "agentVersionId");
id_type!(
    /// An environment guide (`us_gu_…`).
    GuideId, "us_gu_", "guideId");
id_type!(
    /// A data clip (`us_clip_…`): selected records of one sheet, shared with chosen guests.
    DataClipId, "us_clip_", "dataClipId");

impl EventId {
    /// A new identifier that begins with the current wall-clock millisecond (8 base62 characters,
    /// in ASCII order) followed by 8 random characters, so ids made one after another sort
    /// together: the id index grows at its end, where its pages are already cached, instead of
    /// at a random page of an index as large as the log. Not a secret and not meant to be one;
    /// the random part keeps ids made in the same millisecond apart (about 48 bits).
    pub fn generate_timed() -> Self {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let time = random::base62_digits(millis, 8);
        Self(format!("{}{}{}", Self::PREFIX, time, random::base62(8)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_event_ids_parse_back_and_sort_by_creation() {
        let first = EventId::generate_timed();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = EventId::generate_timed();
        assert_eq!(EventId::parse(first.as_str()).unwrap(), first);
        assert_eq!(first.as_str().len(), "us_evt_".len() + 16);
        assert!(first < second, "{first} then {second}");
        assert_ne!(EventId::generate_timed(), EventId::generate_timed());
    }

    #[test]
    fn generated_ids_parse_back() {
        let id = EnvironmentId::generate();
        assert_eq!(EnvironmentId::parse(id.as_str()).unwrap(), id);
        assert!(id.as_str().starts_with("us_env_"));
    }

    #[test]
    fn wrong_prefix_or_characters_are_refused() {
        assert!(EnvironmentId::parse("us_key_abc").is_err());
        assert!(EnvironmentId::parse("us_env_").is_err());
        assert!(EnvironmentId::parse("us_env_../x").is_err());
        assert_eq!(ApiKeyId::parse("nope").unwrap_err().field, "key");
    }
}
id_type!(
    /// A webhook endpoint (`us_whk_…`).
    WebhookId, "us_whk_", "webhookId");
