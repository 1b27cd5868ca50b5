//! Versioned bincode values (a leading version byte) and key builders.

use super::StoreError;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A record stored as `[VERSION] ‖ bincode(self)`.
pub(crate) trait Record: Serialize + DeserializeOwned {
    /// The version byte written before the body; bump it and add a conversion on change.
    const VERSION: u8;
    /// What to call this record in errors.
    const NAME: &'static str;

    fn encode(&self) -> Vec<u8> {
        let mut out = vec![Self::VERSION];
        bincode::serialize_into(&mut out, self).expect("records serialize into memory");
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        decode_current(bytes)
    }
}

/// Decodes a record written at `R::VERSION`; a record's own `decode` adds older versions.
pub(crate) fn decode_current<R: Record>(bytes: &[u8]) -> Result<R, StoreError> {
    match bytes.split_first() {
        Some((&v, body)) if v == R::VERSION => bincode::deserialize(body)
            .map_err(|e| StoreError::Corrupt(format!("{} record does not decode: {e}", R::NAME))),
        Some((v, _)) => Err(StoreError::Corrupt(format!(
            "{} record has unknown version {v}",
            R::NAME
        ))),
        None => Err(StoreError::Corrupt(format!("{} record is empty", R::NAME))),
    }
}

/// `a ‖ 0x00 ‖ b`: a composite key whose first part can be scanned as a prefix.
pub(crate) fn pair(a: &str, b: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(a.len() + 1 + b.len());
    key.extend_from_slice(a.as_bytes());
    key.push(0);
    key.extend_from_slice(b.as_bytes());
    key
}

/// The scan prefix matching every `pair(a, _)`.
pub(crate) fn pair_prefix(a: &str) -> Vec<u8> {
    let mut key = a.as_bytes().to_vec();
    key.push(0);
    key
}

/// The second half of a `pair` key.
pub(crate) fn pair_second(key: &[u8]) -> Option<&str> {
    let at = key.iter().position(|&b| b == 0)?;
    std::str::from_utf8(&key[at + 1..]).ok()
}

/// An `events` key: signed milliseconds mapped to sort as unsigned, then a sequence number.
pub(crate) fn event_key(created_ms: i64, seq: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&((created_ms as u64) ^ (1 << 63)).to_be_bytes());
    key[8..].copy_from_slice(&seq.to_be_bytes());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_keys_round_trip_and_scan_by_prefix() {
        let key = pair("us_env_a", "us_key_b");
        assert!(key.starts_with(&pair_prefix("us_env_a")));
        assert!(!key.starts_with(&pair_prefix("us_env_")));
        assert_eq!(pair_second(&key), Some("us_key_b"));
    }

    #[test]
    fn event_keys_sort_by_time_then_sequence_and_round_trip() {
        let a = event_key(-5, 9);
        let b = event_key(0, 1);
        let c = event_key(1_700_000_000_000, 0);
        let d = event_key(1_700_000_000_000, 1);
        assert!(a < b && b < c && c < d);
    }

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Sample {
        a: u32,
        b: String,
    }

    impl Record for Sample {
        const VERSION: u8 = 3;
        const NAME: &'static str = "sample";
    }

    #[test]
    fn records_round_trip_and_refuse_other_versions() {
        let s = Sample {
            a: 7,
            b: "x".into(),
        };
        let bytes = s.encode();
        assert_eq!(bytes[0], 3);
        assert_eq!(Sample::decode(&bytes).unwrap(), s);
        let mut other = bytes.clone();
        other[0] = 4;
        assert!(matches!(
            Sample::decode(&other),
            Err(StoreError::Corrupt(_))
        ));
        assert!(Sample::decode(&[]).is_err());
    }
}
