use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// This instant plus `seconds` (which may be negative).
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// Whole seconds since the epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// From whole seconds since the epoch.
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Self(seconds.saturating_mul(1000))
    }

    /// RFC 3339 in UTC with milliseconds, for example `2023-10-30T16:59:45.735Z`.
    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        let Ok(at) = OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
            return "9999-12-31T23:59:59.999Z".to_owned();
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            at.millisecond()
        )
    }

    /// Parses RFC 3339 text (any offset) into UTC milliseconds.
    pub fn parse_rfc3339(raw: &str) -> Option<Self> {
        let at = OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339).ok()?;
        i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn rfc3339_round_trips_with_milliseconds() {
        let t = Timestamp(1_698_685_185_735);
        assert_eq!(t.to_rfc3339(), "2023-10-30T16:59:45.735Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        assert_eq!(
            Timestamp::parse_rfc3339("2017-07-21T17:32:28Z"),
            Some(Timestamp(1_500_658_348_000))
        );
    }
}
