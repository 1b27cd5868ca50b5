use super::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A lower-cased email address with one `@`, a non-empty local part and a dotted-or-local domain
/// kept in its ASCII form (internationalised labels as `xn--…` Punycode), so that two spellings of
/// one domain compare equal. Addresses that could pass for another are refused: invisible
/// characters, letters of several scripts in one part, and Latin letters made to look like ASCII.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Trims, lower-cases, refuses look-alikes and stores the domain in ASCII (at most 254
    /// characters then).
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let value = raw
            .trim_matches(|c: char| c == ' ' || c == '\t')
            .to_lowercase();
        let bad = || {
            ParseError::new(
                "email",
                "expected an email address such as name@example.com",
            )
        };
        if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        if let Some(c) = value.chars().find(|&c| is_invisible(c)) {
            return Err(look_alike(format!(
                "it holds an invisible or formatting character (U+{:04X})",
                u32::from(c)
            )));
        }
        let (local, domain) = value.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.is_empty()
            || domain.contains('@')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(bad());
        }
        single_script("the local part", local)?;
        let mut ascii = Vec::new();
        for label in domain.split('.') {
            single_script("a domain label", label)?;
            ascii.push(ascii_label(label).ok_or_else(bad)?);
        }
        let value = format!("{local}@{}", ascii.join("."));
        if value.len() > 254 {
            return Err(bad());
        }
        Ok(Self(value))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn look_alike(why: String) -> ParseError {
    ParseError::refused(
        "email",
        format!("the address could be mistaken for another: {why}"),
    )
}

/// A domain label in ASCII: itself, or `xn--` and its Punycode; at most 63 characters.
fn ascii_label(label: &str) -> Option<String> {
    let ascii = if label.is_ascii() {
        label.to_owned()
    } else {
        format!("xn--{}", super::punycode::encode(label)?)
    };
    (ascii.len() <= 63 && !ascii.starts_with('-') && !ascii.ends_with('-')).then_some(ascii)
}

/// Characters that show nothing, or change how what follows shows, or combine with the previous
/// letter (only composed forms are accepted: there is no normalisation table here).
fn is_invisible(c: char) -> bool {
    super::names::is_unsafe_in_text(c)
        || matches!(
            c,
            '\u{034F}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{200C}'..='\u{200D}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FFA0}'
                | '\u{0300}'..='\u{036F}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
        // Full-width forms and mathematical letters display as ASCII.
        || matches!(c, '\u{FF00}'..='\u{FFEF}' | '\u{1D400}'..='\u{1D7FF}')
}

/// Latin letters that look like an ASCII letter (dotless ı and ȷ, long ſ, script ɑ ɡ, ɩ, small
/// capitals …): refused outright, since each makes a second `admin@…`.
fn looks_like_ascii(c: char) -> bool {
    matches!(
        c,
        '\u{0131}'
            | '\u{017F}'
            | '\u{0237}'
            | '\u{0251}'
            | '\u{0261}'
            | '\u{0269}'
            | '\u{026A}'
            | '\u{0274}'
            | '\u{0280}'
            | '\u{028F}'
            | '\u{1D00}'..='\u{1D2B}'
    )
}

/// The writing system of a letter, as far as telling look-alikes apart needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Hebrew,
    Arabic,
    /// Han, kana, Hangul and Bopomofo, which mix with each other and with Latin as written.
    Cjk,
    /// Any other letter: its block's first code point.
    Other(u32),
}

fn script(c: char) -> Option<Script> {
    let cp = u32::from(c);
    Some(match cp {
        _ if c.is_ascii_alphabetic() => Script::Latin,
        _ if !c.is_alphabetic() => return None,
        0x00C0..=0x024F
        | 0x0250..=0x02AF
        | 0x1D00..=0x1DBF
        | 0x1E00..=0x1EFF
        | 0x2C60..=0x2C7F
        | 0xA720..=0xA7FF
        | 0xAB30..=0xAB6F => Script::Latin,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        0x0530..=0x058F => Script::Armenian,
        0x0590..=0x05FF => Script::Hebrew,
        0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF => Script::Arabic,
        0x1100..=0x11FF
        | 0x2E80..=0x2FDF
        | 0x3040..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF
        | 0x20000..=0x3FFFF => Script::Cjk,
        _ => Script::Other(cp & !0x7F),
    })
}

/// Refuses `part` when its letters come from more than one script (Latin with CJK excepted), or
/// when it holds a Latin letter dressed as ASCII.
fn single_script(what: &str, part: &str) -> Result<(), ParseError> {
    if let Some(c) = part.chars().find(|&c| looks_like_ascii(c)) {
        return Err(look_alike(format!(
            "{what} holds {c} (U+{:04X}), which looks like an ASCII letter",
            u32::from(c)
        )));
    }
    let mut seen: Option<Script> = None;
    for s in part.chars().filter_map(script) {
        match seen {
            None => seen = Some(s),
            Some(first) if first == s => {}
            Some(Script::Latin | Script::Cjk) if matches!(s, Script::Latin | Script::Cjk) => {}
            Some(first) => {
                return Err(look_alike(format!(
                    "{what} mixes letters of two scripts ({first:?} and {s:?})"
                )))
            }
        }
    }
    Ok(())
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
        for bad in [
            "", "no-at", "@x.com", "a@", "a@@b", "a b@c.d", "a@.com", "a@b..c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn look_alikes_are_refused() {
        for bad in [
            "\u{0430}dmin@example.com",  // Cyrillic а among Latin
            "adm\u{0131}n@example.com",  // dotless ı
            "admin@ex\u{0430}mple.com",  // Cyrillic in a Latin label
            "ad\u{200B}min@example.com", // zero-width space
            "admin\u{200D}@example.com", // zero-width joiner
            "\u{03B1}dmin@example.com",  // Greek alpha
            "\u{FF41}dmin@example.com",  // full-width a
            "adme\u{0301}@example.com",  // a combining accent
        ] {
            let e = Email::parse(bad).unwrap_err();
            assert!(e.over_limit, "{bad:?} is a 422: {e:?}");
        }
    }

    #[test]
    fn internationalised_domains_compare_in_ascii() {
        let unicode = Email::parse("Jörg@Bücher.Example").unwrap();
        assert_eq!(unicode.as_str(), "jörg@xn--bcher-kva.example");
        assert_eq!(Email::parse("jörg@xn--bcher-kva.example").unwrap(), unicode);
        assert_eq!(
            Email::parse("иван@пример.рф").unwrap().as_str(),
            "иван@xn--e1afmkfd.xn--p1ai"
        );
        assert!(Email::parse("taro@例え.jp").is_ok());
    }
}
