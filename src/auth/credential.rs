//! Raw bearer credential formats: `sk_`, `pk_`, `pat_` and client secrets `cs_`, each with a
//! 6-character base62 CRC32 checksum so a mistyped value is refused before any lookup.

use crate::domain::random;
use std::fmt;

/// Random characters in a credential body: 30 base62 characters, about 178 bits.
const BODY_LEN: usize = 30;
/// Length of the trailing checksum.
const CHECKSUM_LEN: usize = 6;

/// What a raw credential claims to be, from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// `sk_…`: an environment's secret key.
    SecretKey,
    /// `pk_…`: an environment's publishable key.
    PublishableKey,
    /// `pat_…`: a user's personal access token.
    PersonalAccessToken,
    /// `cs_…`: the secret half of a client-credentials pair.
    ClientSecret,
    /// `lt_…`: a single-use link token (invitations, magic links).
    LinkToken,
}

impl CredentialKind {
    /// The prefix that starts every credential of this kind.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::SecretKey => "sk_",
            Self::PublishableKey => "pk_",
            Self::PersonalAccessToken => "pat_",
            Self::ClientSecret => "cs_",
            Self::LinkToken => "lt_",
        }
    }

    const ALL: [CredentialKind; 5] = [
        Self::SecretKey,
        Self::PublishableKey,
        Self::PersonalAccessToken,
        Self::ClientSecret,
        Self::LinkToken,
    ];
}

/// A raw credential that passed the format and checksum checks. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct RawCredential {
    kind: CredentialKind,
    value: String,
}

/// Why a presented value is not a well-formed credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MalformedCredential {
    /// The prefix is not one Latchkey issues.
    #[error(
        "the credential does not start with a known prefix (sk_, pk_, pat_ or an access token)"
    )]
    UnknownPrefix,
    /// Wrong length or characters outside base62.
    #[error("the credential has the wrong length or characters")]
    BadShape,
    /// The checksum does not match the body: a typo or a truncated copy.
    #[error("the credential's checksum does not match; it was mistyped or truncated")]
    BadChecksum,
}

impl RawCredential {
    /// A new random credential of `kind`.
    pub fn generate(kind: CredentialKind) -> Self {
        let body = format!("{}{}", kind.prefix(), random::base62(BODY_LEN));
        let value = format!("{body}{}", checksum(&body));
        Self { kind, value }
    }

    /// Checks prefix, shape and checksum; no store is consulted.
    pub fn parse(raw: &str) -> Result<Self, MalformedCredential> {
        let kind = CredentialKind::ALL
            .into_iter()
            .find(|k| raw.starts_with(k.prefix()))
            .ok_or(MalformedCredential::UnknownPrefix)?;
        let rest = &raw[kind.prefix().len()..];
        if rest.len() != BODY_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(MalformedCredential::BadShape);
        }
        let (body, sum) = raw.split_at(raw.len() - CHECKSUM_LEN);
        if checksum(body) != sum {
            return Err(MalformedCredential::BadChecksum);
        }
        Ok(Self {
            kind,
            value: raw.to_owned(),
        })
    }

    /// The kind named by the prefix.
    pub fn kind(&self) -> CredentialKind {
        self.kind
    }

    /// The SHA-256 digest: the only form the store keeps as a lookup key.
    pub fn digest(&self) -> [u8; 32] {
        super::crypto::sha256(self.value.as_bytes())
    }

    /// The raw text, for the one response that shows it (or an Administrator's reveal).
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for RawCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawCredential({}…redacted)", self.kind.prefix())
    }
}

/// CRC32 (IEEE) of `body`, as 6 base62 characters.
fn checksum(body: &str) -> String {
    random::base62_digits(u64::from(crc32(body.as_bytes())), CHECKSUM_LEN)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn generated_credentials_parse_back_and_typos_are_caught() {
        for kind in CredentialKind::ALL {
            let cred = RawCredential::generate(kind);
            assert!(cred.expose().starts_with(kind.prefix()));
            assert_eq!(RawCredential::parse(cred.expose()).unwrap(), cred);
            let mut typo = cred.expose().to_owned().into_bytes();
            let i = kind.prefix().len() + 3;
            typo[i] = if typo[i] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(typo).unwrap();
            assert_eq!(
                RawCredential::parse(&typo),
                Err(MalformedCredential::BadChecksum)
            );
        }
    }

    #[test]
    fn wrong_prefix_and_shape_are_refused() {
        assert_eq!(
            RawCredential::parse("xx_abc"),
            Err(MalformedCredential::UnknownPrefix)
        );
        assert_eq!(
            RawCredential::parse("sk_short"),
            Err(MalformedCredential::BadShape)
        );
        let long = format!("sk_{}", "a".repeat(37));
        assert_eq!(
            RawCredential::parse(&long),
            Err(MalformedCredential::BadShape)
        );
    }

    #[test]
    fn debug_does_not_print_the_value() {
        let cred = RawCredential::generate(CredentialKind::SecretKey);
        assert!(!format!("{cred:?}").contains(&cred.expose()[3..]));
    }
}
