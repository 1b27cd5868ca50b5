//! The client's address: the TCP peer, or — only when the peer is one of the operator's
//! `server.trusted_proxies` — the nearest untrusted hop of `X-Forwarded-For`. Never trusted
//! by default, so a client cannot pick the address it is counted under.

use actix_web::{web, HttpRequest};
use std::net::IpAddr;

/// The proxies whose `X-Forwarded-For` is believed (`server.trusted_proxies`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses addresses and CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.1`).
    pub fn parse(list: &[String]) -> Result<Self, String> {
        let mut out = Vec::new();
        for raw in list {
            let (addr, bits) = match raw.trim().split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (raw.trim(), None),
            };
            let bad = || format!("'{raw}' is not an address or CIDR block such as 10.0.0.0/8");
            let ip: IpAddr = addr.parse().map_err(|_| bad())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b.parse::<u8>().ok().filter(|&n| n <= max).ok_or_else(bad)?,
                None => max,
            };
            out.push((ip, bits));
        }
        Ok(Self(out))
    }

    /// Whether `ip` lies in one of the blocks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|&(net, bits)| in_block(ip, net, bits))
    }
}

fn in_block(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        (IpAddr::V6(a), IpAddr::V4(b)) => match a.to_ipv4_mapped() {
            Some(a) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
            None => return false,
        },
        (IpAddr::V4(_), IpAddr::V6(_)) => return false,
    };
    let shift = width - u32::from(bits);
    bits == 0 || (ip >> shift) == (net >> shift)
}

/// The client address of `req` (see the module comment).
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let Some(trusted) = req
        .app_data::<web::Data<crate::state::AppState>>()
        .map(|s| &s.proxies)
    else {
        return Some(peer);
    };
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        nearest = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    Some(nearest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_match_their_addresses_only() {
        let t = TrustedProxies::parse(&[
            "10.0.0.0/8".into(),
            "2001:db8::/32".into(),
            "192.0.2.1".into(),
        ])
        .unwrap();
        for inside in [
            "10.1.2.3",
            "2001:db8:ffff::1",
            "192.0.2.1",
            "::ffff:10.9.9.9",
        ] {
            assert!(t.contains(inside.parse().unwrap()), "{inside}");
        }
        for outside in ["11.0.0.1", "2001:db9::1", "192.0.2.2"] {
            assert!(!t.contains(outside.parse().unwrap()), "{outside}");
        }
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.local".into()]).is_err());
    }
}
