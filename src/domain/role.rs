use super::ParseError;
use serde::{Deserialize, Serialize};

/// A team member's role in the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Everything: add admins, view and manage keys, view logs.
    Administrator,
    /// Work in spaces and manage guests; no keys, logs or users.
    Member,
}

impl Role {
    /// Accepts `Administrator`/`admin` and `Member`/`user`, case-insensitively.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.to_ascii_lowercase().as_str() {
            "administrator" | "admin" => Ok(Self::Administrator),
            "member" | "user" => Ok(Self::Member),
            _ => Err(ParseError::new(
                "role",
                format!("unknown role '{raw}', expected Administrator or Member"),
            )),
        }
    }

    /// The display name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "Administrator",
            Self::Member => "Member",
        }
    }
}
