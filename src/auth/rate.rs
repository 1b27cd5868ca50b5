//! A per-client-address rate limit for what public credentials may create (spaces made with a
//! publishable key): at most `per_window` in any `window` seconds from one address, IPv6
//! counted per /64 (one host holds a whole /64). Refusals say when to retry.

use crate::clock::Clock;
use crate::domain::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

/// Addresses tracked before idle ones are swept.
const MAX_TRACKED: usize = 100_000;

/// Creations per client address within a sliding window.
pub struct AddressRateLimit {
    per_window: usize,
    window_seconds: i64,
    clock: Clock,
    seen: Mutex<HashMap<IpAddr, VecDeque<Timestamp>>>,
}

/// Over the limit: retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    /// Seconds until one more is allowed.
    pub retry_after: u64,
}

impl AddressRateLimit {
    /// At most `per_window` in `window_seconds` per address, reading `clock`.
    pub fn new(per_window: usize, window_seconds: i64, clock: Clock) -> Self {
        Self {
            per_window: per_window.max(1),
            window_seconds: window_seconds.max(1),
            clock,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one creation from `address` (unknown addresses share one bucket), or refuses.
    pub fn take(&self, address: Option<IpAddr>) -> Result<(), RateLimited> {
        let key = address.map_or(IpAddr::from([0u8; 4]), bucket);
        let now = self.clock.now();
        let cutoff = now.plus_seconds(-self.window_seconds);
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > MAX_TRACKED {
            seen.retain(|_, q| q.back().is_some_and(|t| *t > cutoff));
        }
        let times = seen.entry(key).or_default();
        while times.front().is_some_and(|t| *t <= cutoff) {
            times.pop_front();
        }
        if times.len() >= self.per_window {
            let oldest = times.front().copied().unwrap_or(now);
            let free_at = oldest.plus_seconds(self.window_seconds);
            let millis = u64::try_from((free_at.0 - now.0).max(1000)).unwrap_or(1000);
            return Err(RateLimited {
                retry_after: millis.div_ceil(1000),
            });
        }
        times.push_back(now);
        Ok(())
    }
}

/// The bucket of an address: IPv4 as it is, IPv6 by its /64.
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::from(octets)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_limited_per_window_and_ipv6_per_64() {
        let clock = Clock::default();
        let limit = AddressRateLimit::new(2, 60, clock.clone());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(limit.take(Some(a)).is_ok() && limit.take(Some(a)).is_ok());
        let refused = limit.take(Some(a)).unwrap_err();
        assert!(refused.retry_after > 0 && refused.retry_after <= 60);
        assert!(limit.take(Some("10.0.0.2".parse().unwrap())).is_ok());
        limit.take(Some("2001:db8::1".parse().unwrap())).unwrap();
        limit.take(Some("2001:db8::2".parse().unwrap())).unwrap();
        assert!(limit.take(Some("2001:db8::ffff".parse().unwrap())).is_err());
        clock.advance(61);
        assert!(limit.take(Some(a)).is_ok());
    }
}
