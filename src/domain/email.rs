use super::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A lower-cased email address with one `@`, a non-empty local part and a dotted-or-local domain.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Trims, lower-cases and checks the shape (at most 254 characters).
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let value = raw.trim().to_lowercase();
        let bad = || {
            ParseError::new(
                "email",
                "expected an email address such as name@example.com",
            )
        };
        if value.is_empty()
            || value.len() > 254
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad());
        }
        let (local, domain) = value.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.is_empty()
            || domain.contains('@')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(bad());
        }
        Ok(Self(value))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Admin@Example.COM ").unwrap().as_str(),
            "admin@example.com"
        );
        assert_eq!(
            Email::parse("admin@localhost").unwrap().as_str(),
            "admin@localhost"
        );
        for bad in ["", "no-at", "@x.com", "a@", "a@@b", "a b@c.d", "a@.com"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
