//! Fixed-budget rate limits over a sliding window, keyed by text (a client address bucket, a
//! guest id), and the address bucket itself: IPv4 per address, IPv6 per /64 (one customer's
//! network), so that a few addresses do not multiply a budget.

use crate::clock::Clock;
use crate::domain::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;

/// Keys tracked before the idle ones are swept (and, should that not help, all forgotten).
const MAX_TRACKED: usize = 100_000;

/// At most `limit` hits per key within `window` seconds.
pub struct RateLimit {
    limit: usize,
    window: i64,
    clock: Clock,
    hits: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

/// Over the limit: retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl RateLimit {
    /// A limit of `limit` hits per `window_seconds`, reading `clock`.
    pub fn new(limit: usize, window_seconds: i64, clock: Clock) -> Self {
        Self {
            limit,
            window: window_seconds,
            clock,
            hits: Mutex::default(),
        }
    }

    /// Counts one action from `address` (its bucket: IPv4 as is, IPv6 by its /64), or refuses
    /// it when the window is full. An unknown address (no peer) shares one bucket.
    pub fn take(&self, address: Option<IpAddr>) -> Result<(), RetryAfter> {
        let bucket = address.map_or(IpAddr::from([0u8; 4]), address_bucket);
        self.hit(&bucket.to_string()).map_err(RetryAfter)
    }

    /// Counts a hit for `key`, or answers the seconds until one is allowed again.
    pub fn hit(&self, key: &str) -> Result<(), u64> {
        let now = self.clock.now();
        let cutoff = now.plus_seconds(-self.window);
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() >= MAX_TRACKED && !hits.contains_key(key) {
            hits.retain(|_, q| q.back().is_some_and(|t| *t > cutoff));
            if hits.len() >= MAX_TRACKED {
                hits.clear();
            }
        }
        let q = hits.entry(key.to_owned()).or_default();
        while q.front().is_some_and(|t| *t <= cutoff) {
            q.pop_front();
        }
        if q.len() >= self.limit {
            let free_at = q.front().copied().unwrap_or(now).plus_seconds(self.window);
            let wait_ms = u64::try_from(free_at.0 - now.0).unwrap_or(0).max(1000);
            return Err(wait_ms.div_ceil(1000));
        }
        q.push_back(now);
        Ok(())
    }
}

/// The bucket an address counts in: an IPv4 address (also when IPv4-mapped) itself, an IPv6
/// address its /64.
pub fn address_bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_budget_per_window() {
        let clock = Clock::default();
        let limit = RateLimit::new(2, 60, clock.clone());
        assert!(limit.hit("a").is_ok() && limit.hit("a").is_ok());
        let wait = limit.hit("a").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limit.hit("b").is_ok(), "other keys have their own budget");
        clock.advance(61);
        assert!(limit.hit("a").is_ok());
    }

    #[test]
    fn an_address_fills_its_window_then_waits() {
        let limit = RateLimit::new(2, 60, Clock::default());
        let a = Some("10.0.0.1".parse().unwrap());
        assert!(limit.take(a).is_ok() && limit.take(a).is_ok());
        let RetryAfter(secs) = limit.take(a).unwrap_err();
        assert!((1..=60).contains(&secs), "{secs}");
        assert!(limit.take(Some("10.0.0.2".parse().unwrap())).is_ok());
        let v6 = RateLimit::new(1, 60, Clock::default());
        assert!(v6.take(Some("2001:db8::1".parse().unwrap())).is_ok());
        assert!(v6.take(Some("2001:db8::2".parse().unwrap())).is_err());
        assert!(v6.take(Some("2001:db8:0:1::1".parse().unwrap())).is_ok());
    }

    #[test]
    fn ipv6_counts_per_64_and_ipv4_per_address() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_bucket(a), address_bucket(b));
        assert_ne!(address_bucket(a), address_bucket(other));
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(address_bucket(v4), v4);
        assert_ne!(
            address_bucket(v4),
            address_bucket("10.0.0.2".parse().unwrap())
        );
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(address_bucket(mapped), v4);
    }
}
