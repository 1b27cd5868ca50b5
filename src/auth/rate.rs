//! A sliding-window rate limit per client address, for what anyone holding a public credential
//! can do (spaces created with publishable keys). IPv4 counts per address, IPv6 per /64.

use crate::clock::Clock;
use crate::domain::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

/// Tracked addresses before expired entries are swept.
const MAX_TRACKED: usize = 100_000;

/// At most `max` actions per address within `window_seconds`.
pub struct RateLimit {
    max: usize,
    window_seconds: i64,
    clock: Clock,
    seen: Mutex<HashMap<IpAddr, VecDeque<Timestamp>>>,
}

/// Over the limit: retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl RateLimit {
    /// A limit reading `clock`.
    pub fn new(max: usize, window_seconds: i64, clock: Clock) -> Self {
        Self {
            max: max.max(1),
            window_seconds: window_seconds.max(1),
            clock,
            seen: Mutex::default(),
        }
    }

    /// Counts one action from `address`, or refuses it when the window is full. An unknown
    /// address (no peer) shares one bucket.
    pub fn take(&self, address: Option<IpAddr>) -> Result<(), RetryAfter> {
        let key = address.map_or(IpAddr::from([0u8; 4]), bucket);
        let now = self.clock.now();
        let window_ms = self.window_seconds.saturating_mul(1000);
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= MAX_TRACKED {
            seen.retain(|_, times| times.back().is_some_and(|t| now.0 - t.0 < window_ms));
        }
        let times = seen.entry(key).or_default();
        while times.front().is_some_and(|t| now.0 - t.0 >= window_ms) {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = times.front().map_or(now.0, |t| t.0);
            let wait_ms = (oldest + window_ms - now.0).max(1);
            return Err(RetryAfter((wait_ms as u64).div_ceil(1000)));
        }
        times.push_back(now);
        Ok(())
    }
}

/// The address an action counts against: IPv4 as is, IPv6 by its /64.
fn bucket(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_fills_then_refuses_with_a_retry_time() {
        let limit = RateLimit::new(2, 60, Clock::default());
        let a = Some("10.0.0.1".parse().unwrap());
        assert!(limit.take(a).is_ok());
        assert!(limit.take(a).is_ok());
        let RetryAfter(secs) = limit.take(a).unwrap_err();
        assert!((1..=60).contains(&secs), "{secs}");
        assert!(limit.take(Some("10.0.0.2".parse().unwrap())).is_ok());
    }

    #[test]
    fn ipv6_addresses_count_per_64() {
        let limit = RateLimit::new(1, 60, Clock::default());
        assert!(limit.take(Some("2001:db8::1".parse().unwrap())).is_ok());
        assert!(limit.take(Some("2001:db8::2".parse().unwrap())).is_err());
        assert!(limit.take(Some("2001:db8:0:1::1".parse().unwrap())).is_ok());
    }
}
