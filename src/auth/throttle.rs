//! Failed-login throttling per account and per client address: growing delays, then refusal.
//! Every attempt counts as a failure until it succeeds, so a concurrent flood is throttled
//! before its hashes finish. Addresses count in buckets (`rate::address_bucket`: IPv4 per
//! address, IPv6 per /64). An account over its limit is soft-locked, as Kanidm does: attempts
//! from addresses that have been failing are refused, while an address with no recent failure
//! may still try (slowed by the delay), so an attacker cannot lock the owner out.

use crate::clock::Clock;
use crate::domain::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

/// Limits and windows, from `[security]`.
#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    /// Failures per account within `account_window` before refusing.
    pub max_per_account: usize,
    /// The account window, in seconds.
    pub account_window: i64,
    /// Failures per client address within `address_window` before refusing.
    pub max_per_address: usize,
    /// The address window, in seconds.
    pub address_window: i64,
    /// The first delay after a failure, doubled per further failure (capped at 2 s).
    pub base_delay_ms: u64,
}

/// Tracked keys per map before old entries are swept.
const MAX_TRACKED: usize = 100_000;

/// The throttle shared by every login path.
pub struct Throttle {
    settings: ThrottleSettings,
    clock: Clock,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    accounts: HashMap<String, VecDeque<Timestamp>>,
    addresses: HashMap<IpAddr, VecDeque<Timestamp>>,
}

/// An attempt in progress; `succeeded` withdraws it from the failure counts.
#[derive(Debug)]
pub struct Attempt {
    account: String,
    address: Option<IpAddr>,
    at: Timestamp,
    /// How long to wait before checking the credential.
    pub delay: Duration,
}

/// Too many failures: refuse, and say when to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Seconds until an attempt may succeed again.
    pub retry_after: u64,
    /// `account` or `address`.
    pub scope: &'static str,
}

impl Throttle {
    /// A throttle reading `clock`.
    pub fn new(settings: ThrottleSettings, clock: Clock) -> Self {
        Self {
            settings,
            clock,
            state: Mutex::new(State::default()),
        }
    }

    /// Registers an attempt for `account` (a lower-cased email or client id) from `address`.
    pub fn begin(&self, account: &str, address: Option<IpAddr>) -> Result<Attempt, Refusal> {
        let address = address.map(super::rate::address_bucket);
        let now = self.clock.now();
        let s = &self.settings;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.sweep(now, s);
        let account_failures = state.accounts.entry(account.to_owned()).or_default();
        prune(account_failures, now, s.account_window);
        let account_count = account_failures.len();
        let soft_locked = (account_count >= s.max_per_account)
            .then(|| refusal(account_failures, now, s.account_window, "account"));
        let mut address_count = 0;
        if let Some(ip) = address {
            let address_failures = state.addresses.entry(ip).or_default();
            prune(address_failures, now, s.address_window);
            if address_failures.len() >= s.max_per_address {
                return Err(refusal(address_failures, now, s.address_window, "address"));
            }
            address_count = address_failures.len();
        }
        // Under the soft lock only an address without recent failures may try.
        if let Some(locked) = soft_locked.filter(|_| address.is_none() || address_count > 0) {
            return Err(locked);
        }
        if let Some(ip) = address {
            state.addresses.entry(ip).or_default().push_back(now);
        }
        state
            .accounts
            .entry(account.to_owned())
            .or_default()
            .push_back(now);
        let failures = account_count.max(address_count);
        let delay = match failures {
            0 => 0,
            n => s
                .base_delay_ms
                .saturating_mul(1 << (n - 1).min(16))
                .min(2_000),
        };
        Ok(Attempt {
            account: account.to_owned(),
            address,
            at: now,
            delay: Duration::from_millis(delay),
        })
    }

    /// Withdraws a successful attempt from the failure counts.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(q) = state.accounts.get_mut(&attempt.account) {
            remove_one(q, attempt.at);
        }
        if let Some(q) = attempt.address.and_then(|ip| state.addresses.get_mut(&ip)) {
            remove_one(q, attempt.at);
        }
    }
}

impl State {
    fn sweep(&mut self, now: Timestamp, s: &ThrottleSettings) {
        if self.accounts.len() > MAX_TRACKED {
            self.accounts.retain(|_, q| {
                prune(q, now, s.account_window);
                !q.is_empty()
            });
        }
        if self.addresses.len() > MAX_TRACKED {
            self.addresses.retain(|_, q| {
                prune(q, now, s.address_window);
                !q.is_empty()
            });
        }
    }
}

fn prune(q: &mut VecDeque<Timestamp>, now: Timestamp, window: i64) {
    let cutoff = now.plus_seconds(-window);
    while q.front().is_some_and(|t| *t <= cutoff) {
        q.pop_front();
    }
}

fn remove_one(q: &mut VecDeque<Timestamp>, at: Timestamp) {
    if let Some(i) = q.iter().rposition(|t| *t == at) {
        q.remove(i);
    }
}

fn refusal(q: &VecDeque<Timestamp>, now: Timestamp, window: i64, scope: &'static str) -> Refusal {
    let oldest = q.front().copied().unwrap_or(now);
    let free_at = oldest.plus_seconds(window);
    let retry_after = u64::try_from((free_at.0 - now.0).max(1000))
        .unwrap_or(1000)
        .div_ceil(1000);
    Refusal { retry_after, scope }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(max_account: usize, max_address: usize) -> (Throttle, Clock) {
        let clock = Clock::default();
        let settings = ThrottleSettings {
            max_per_account: max_account,
            account_window: 3600,
            max_per_address: max_address,
            address_window: 600,
            base_delay_ms: 100,
        };
        (Throttle::new(settings, clock.clone()), clock)
    }

    #[test]
    fn failures_grow_the_delay_then_refuse_until_the_window_passes() {
        let (t, clock) = throttle(3, 100);
        let a = t.begin("a@x", None).unwrap();
        assert_eq!(a.delay, Duration::ZERO);
        assert_eq!(
            t.begin("a@x", None).unwrap().delay,
            Duration::from_millis(100)
        );
        assert_eq!(
            t.begin("a@x", None).unwrap().delay,
            Duration::from_millis(200)
        );
        let refused = t.begin("a@x", None).unwrap_err();
        assert_eq!(refused.scope, "account");
        assert!(refused.retry_after > 3500 && refused.retry_after <= 3600);
        assert!(
            t.begin("b@x", None).is_ok(),
            "other accounts are not affected"
        );
        clock.advance(3601);
        assert!(t.begin("a@x", None).is_ok());
    }

    #[test]
    fn a_soft_locked_account_still_takes_attempts_from_addresses_that_have_not_failed() {
        let (t, _) = throttle(3, 100);
        let attacker: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            t.begin("a@x", Some(attacker)).unwrap();
        }
        assert_eq!(t.begin("a@x", Some(attacker)).unwrap_err().scope, "account");
        let owner: IpAddr = "192.0.2.7".parse().unwrap();
        let attempt = t.begin("a@x", Some(owner)).expect("the owner may try");
        t.succeeded(attempt);
        assert!(t.begin("a@x", Some(owner)).is_ok());
        assert!(
            t.begin("a@x", Some(owner)).is_err(),
            "once failing, refused too"
        );
    }

    #[test]
    fn ipv6_addresses_count_per_64() {
        let (t, _) = throttle(100, 2);
        t.begin("a@x", Some("2001:db8::1".parse().unwrap()))
            .unwrap();
        t.begin("b@x", Some("2001:db8::2".parse().unwrap()))
            .unwrap();
        let same_64 = t.begin("c@x", Some("2001:db8::ffff:3".parse().unwrap()));
        assert_eq!(same_64.unwrap_err().scope, "address");
        assert!(t
            .begin("c@x", Some("2001:db8:0:1::1".parse().unwrap()))
            .is_ok());
    }

    #[test]
    fn successes_do_not_count_and_addresses_are_limited_separately() {
        let (t, _) = throttle(100, 2);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..5 {
            let ok = t.begin("a@x", Some(ip)).unwrap();
            t.succeeded(ok);
        }
        t.begin("a@x", Some(ip)).unwrap();
        t.begin("b@x", Some(ip)).unwrap();
        assert_eq!(t.begin("c@x", Some(ip)).unwrap_err().scope, "address");
        assert!(t.begin("c@x", Some("10.0.0.2".parse().unwrap())).is_ok());
    }
}
