//! Standard Webhooks signatures (`webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `id.timestamp.body`) and the signing secrets: derived from an environment's secret key, or an
//! endpoint's own.
//!
//! Derivation: `whsec_` ‖ base64(HMAC-SHA256(key = the UTF-8 bytes of `sk_…`, message =
//! `DERIVATION_CONTEXT`)). A receiver holding the secret key computes the same `whsec_…` text
//! (or reads it from `GET /v1/latchkey/webhooks/signing-secrets`) and hands it to any Standard
//! Webhooks library unchanged.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::hmac;

/// The message the secret key signs to derive the webhook signing secret.
pub const DERIVATION_CONTEXT: &[u8] = b"latchkey-webhook-signing-secret-v1";

/// The `whsec_…` signing secret derived from a raw secret key.
pub fn derived_secret(secret_key: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret_key.as_bytes());
    format!(
        "whsec_{}",
        STANDARD.encode(hmac::sign(&key, DERIVATION_CONTEXT))
    )
}

/// A new random endpoint secret (`whsec_` and 32 random bytes, base64).
pub fn new_own_secret() -> String {
    let bytes: [u8; 32] = crate::domain::random::bytes();
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` header value: one `v1,<signature>` per secret, space-separated.
pub fn signature_header(secrets: &[String], id: &str, timestamp: i64, body: &str) -> String {
    let signed = format!("{id}.{timestamp}.{body}");
    secrets
        .iter()
        .filter_map(|s| {
            let raw = STANDARD
                .decode(s.strip_prefix("whsec_").unwrap_or(s))
                .ok()?;
            let key = hmac::Key::new(hmac::HMAC_SHA256, &raw);
            Some(format!(
                "v1,{}",
                STANDARD.encode(hmac::sign(&key, signed.as_bytes()))
            ))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's test vectors.
    #[test]
    fn signs_the_specifications_example() {
        let header = signature_header(
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn every_secret_adds_one_signature_and_derivation_is_stable() {
        let a = derived_secret("sk_one");
        assert_eq!(a, derived_secret("sk_one"));
        assert_ne!(a, derived_secret("sk_two"));
        let header = signature_header(&[a, derived_secret("sk_two")], "m", 1, "{}");
        assert_eq!(header.split(' ').count(), 2);
        assert!(new_own_secret().starts_with("whsec_"));
    }
}
