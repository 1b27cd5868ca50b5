use super::ParseError;
use serde::{Deserialize, Serialize};

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Trims and checks: 1 to `limits.max_name_length` characters, no control
            /// characters.
            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                let value = raw.trim();
                if value.is_empty() {
                    return Err(ParseError::new($field, concat!($field, " must not be empty")));
                }
                super::limits::check_name_length($field, value)?;
                if value.chars().any(char::is_control) {
                    return Err(ParseError::new($field, concat!($field, " must not contain control characters")));
                }
                Ok(Self(value.to_owned()))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

name_type!(
    /// An environment's display name.
    EnvironmentName, "name");
name_type!(
    /// A person's or token's display name.
    PersonName, "name");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(EnvironmentName::parse("  dev ").unwrap().as_str(), "dev");
        assert!(EnvironmentName::parse("   ").is_err());
        assert!(EnvironmentName::parse(&"x".repeat(256)).is_ok());
        let long = EnvironmentName::parse(&"x".repeat(257)).unwrap_err();
        assert!(long.over_limit && long.message.contains("limits.max_name_length"));
        assert!(EnvironmentName::parse("a\u{0}b").is_err());
    }
}
