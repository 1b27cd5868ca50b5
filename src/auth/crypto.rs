//! Digests, constant-time comparison and the AES-256-GCM master key for revealable secrets.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};
use ring::{digest, hkdf, hmac};

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Compares two byte strings in time independent of where they differ (through `hmac::verify`).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, b"latchkey constant-time comparison");
    let tag = hmac::sign(&key, a);
    hmac::verify(&key, b, tag.as_ref()).is_ok()
}

/// The key that encrypts revealable secrets at rest. It never lives in the data directory.
pub struct MasterKey {
    key: LessSafeKey,
    /// HMAC-SHA256 key for backups, derived from the master key by HKDF.
    backup: hmac::Key,
}

/// Sealed data failed to open: the wrong master key or a damaged value.
#[derive(Debug, thiserror::Error)]
#[error("sealed data could not be decrypted with this master key")]
pub struct OpenError;

impl MasterKey {
    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let unbound =
            UnboundKey::new(&aead::AES_256_GCM, bytes).expect("AES-256 takes 32-byte keys");
        let backup = hkdf::Salt::new(hkdf::HKDF_SHA256, b"latchkey backup")
            .extract(bytes)
            .expand(&[b"backup authentication v2"], hmac::HMAC_SHA256)
            .expect("HKDF-SHA256 yields a 32-byte key")
            .into();
        Self {
            key: LessSafeKey::new(unbound),
            backup,
        }
    }

    /// The key that authenticates backups (HMAC-SHA256): derived from the master key, so a
    /// backup verifies only under the master key of the server that wrote it.
    pub fn backup_key(&self) -> hmac::Key {
        self.backup.clone()
    }

    /// Encrypts `plain`; `context` binds the ciphertext to its use (a record id), so a sealed
    /// value copied to another record does not open. Output: nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, context: &[u8], plain: &[u8]) -> Vec<u8> {
        let nonce_bytes = crate::domain::random::bytes::<NONCE_LEN>();
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(context),
                &mut buf,
            )
            .expect("AES-GCM sealing of a small buffer cannot fail");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&buf);
        out
    }

    /// Decrypts what `seal` produced with the same `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenError)?;
        let mut buf = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut buf)
            .map_err(|_| OpenError)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let key = MasterKey::from_bytes(&[7; 32]);
        let sealed = key.seal(b"us_key_1", b"sk_secret");
        assert_eq!(key.open(b"us_key_1", &sealed).unwrap(), b"sk_secret");
        assert!(key.open(b"us_key_2", &sealed).is_err());
        assert!(MasterKey::from_bytes(&[8; 32])
            .open(b"us_key_1", &sealed)
            .is_err());
        assert!(!sealed.windows(9).any(|w| w == b"sk_secret"));
    }

    #[test]
    fn backup_keys_differ_per_master_key() {
        let tag = hmac::sign(&MasterKey::from_bytes(&[7; 32]).backup_key(), b"backup");
        assert!(hmac::verify(
            &MasterKey::from_bytes(&[7; 32]).backup_key(),
            b"backup",
            tag.as_ref()
        )
        .is_ok());
        assert!(hmac::verify(
            &MasterKey::from_bytes(&[8; 32]).backup_key(),
            b"backup",
            tag.as_ref()
        )
        .is_err());
    }

    #[test]
    fn constant_time_eq_compares_contents() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
