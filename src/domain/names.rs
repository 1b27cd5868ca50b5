//! Display names and other short texts people see: one place decides which characters they may
//! hold, and every handler that accepts a name, label or path asks it.

use super::limits::TextLimits;
use super::ParseError;
use serde::{Deserialize, Serialize};

/// Whether `c` must never appear in a name: control characters (C0, DEL, C1), line and paragraph
/// separators, bidirectional controls (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069) and
/// invisible characters (U+00AD, U+180E, U+200B, U+2060–U+2064, U+FEFF), which can make a name
/// display as something else or break a mail header or log line.
pub fn is_unsafe_in_text(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'
                | '\u{200E}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// Refuses text holding a character `is_unsafe_in_text` names (422, naming the field and the
/// character's code point).
pub fn check_text(field: &'static str, text: &str) -> Result<(), ParseError> {
    match text.chars().find(|&c| is_unsafe_in_text(c)) {
        Some(c) => Err(ParseError::refused(
            field,
            format!(
                "{field} must not contain control, bidirectional or invisible characters (found U+{:04X})",
                u32::from(c)
            ),
        )),
        None => Ok(()),
    }
}

/// Checks a display name: at most `limits.max_name_length` characters, none of them unsafe.
pub fn check_name(field: &'static str, text: &str, limits: &TextLimits) -> Result<(), ParseError> {
    limits.check_name_length(field, text)?;
    check_text(field, text)
}

/// A mail's subject line: one line of at most 200 characters, whatever text it was built from
/// (unsafe characters become spaces), so no caller-supplied name can add a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MailSubject(String);

impl MailSubject {
    /// `text` as a single safe line.
    pub fn new(text: &str) -> Self {
        let line: String = text
            .chars()
            .map(|c| if is_unsafe_in_text(c) { ' ' } else { c })
            .take(200)
            .collect();
        Self(line.trim().to_owned())
    }

    /// The subject as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Trims and checks: 1 to `limits.max_name_length` characters, none of them
            /// unsafe (`check_text`).
            pub fn parse(raw: &str, limits: &TextLimits) -> Result<Self, ParseError> {
                check_text($field, raw)?;
                let value = raw.trim();
                if value.is_empty() {
                    return Err(ParseError::new($field, concat!($field, " must not be empty")));
                }
                check_name($field, value, limits)?;
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
        assert_eq!(
            EnvironmentName::parse("  dev ", &TextLimits::default())
                .unwrap()
                .as_str(),
            "dev"
        );
        assert!(EnvironmentName::parse("   ", &TextLimits::default()).is_err());
        assert!(EnvironmentName::parse(&"x".repeat(256), &TextLimits::default()).is_ok());
        let long = EnvironmentName::parse(&"x".repeat(257), &TextLimits::default()).unwrap_err();
        assert!(long.over_limit && long.message.contains("limits.max_name_length"));
        assert!(EnvironmentName::parse("a\u{0}b", &TextLimits::default()).is_err());
    }

    #[test]
    fn control_bidi_and_invisible_characters_are_refused_with_422() {
        for bad in [
            "a\r\nb",
            "a\u{0}",
            "\u{7f}",
            "\u{85}x",
            "\u{202E}evil",
            "x\u{2066}",
            "zero\u{200B}width",
            "\u{FEFF}bom",
        ] {
            let e = PersonName::parse(bad, &TextLimits::default()).unwrap_err();
            assert!(e.over_limit && e.field == "name", "{bad:?}: {e:?}");
        }
        for good in [
            "Zoë Ångström",
            "東京",
            "O'Brien-Smith",
            "مرحبا",
            "👩\u{200D}💻",
        ] {
            assert!(
                PersonName::parse(good, &TextLimits::default()).is_ok(),
                "{good:?}"
            );
        }
    }

    #[test]
    fn mail_subjects_are_one_line() {
        let subject = MailSubject::new("Eve\r\nBcc: all@example.com invited you");
        assert!(!subject.as_str().contains(['\r', '\n']));
        assert_eq!(MailSubject::new(&"x".repeat(500)).as_str().len(), 200);
    }
}
