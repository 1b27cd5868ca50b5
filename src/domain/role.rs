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

impl Role {
    /// The fixed role id the API shows (`us_rol_admin`, `us_rol_member`).
    pub fn id(self) -> super::RoleId {
        let raw = match self {
            Self::Administrator => "us_rol_admin",
            Self::Member => "us_rol_member",
        };
        super::RoleId::parse(raw).expect("built-in role ids are valid")
    }

    /// The role a role id names; `None` for unknown ids and the guest role.
    pub fn from_id(id: &super::RoleId) -> Option<Self> {
        [Self::Administrator, Self::Member]
            .into_iter()
            .find(|r| r.id() == *id)
    }
}

/// The guest role's fixed id; guests are separate principals, not users.
pub const GUEST_ROLE_ID: &str = "us_rol_guest";
