//! The client's IP address: the peer, or, behind configured trusted proxies, the first untrusted
//! address of `X-Forwarded-For` read right to left.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

/// An IP network (`10.0.0.0/8`, `::1/128`, or a bare address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    addr: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    /// Whether `ip` is inside the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, normalize(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNetwork {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("{addr:?} is not an IP address"))?;
        let addr = normalize(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("prefix {p:?} must be 0..={max}"))?,
        };
        Ok(Self { addr, prefix })
    }
}

/// IPv4-mapped IPv6 addresses are IPv4.
fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Determines the client IP of a request. `None` when the server was not started with
/// `into_make_service_with_connect_info::<SocketAddr>()`.
pub(crate) fn client_ip(parts: &Parts, trusted_proxies: &[IpNetwork]) -> Option<IpAddr> {
    let Some(peer) = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| normalize(addr.ip()))
    else {
        warn_missing_connect_info();
        return None;
    };
    if !trusted_proxies.iter().any(|p| p.contains(peer)) {
        return Some(peer);
    }
    let hops = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("\u{0}").split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    // Right to left: the nearest hop was added by our own proxy; the first address not belonging
    // to a trusted proxy is the client. A hop that does not parse ends the walk (everything left
    // of it is unverifiable), and then the last address read is the client: at worst one of our
    // own proxies, never a value the client chose.
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>().map(normalize) else {
            break;
        };
        client = ip;
        if !trusted_proxies.iter().any(|p| p.contains(ip)) {
            break;
        }
    }
    Some(client)
}

/// Without the peer address every client lands in the same rate-limit bucket: say so, once.
fn warn_missing_connect_info() {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        let message = "yauth cannot see client addresses: serve the app with \
             `into_make_service_with_connect_info::<SocketAddr>()`; until then rate-limited routes \
             answer 500 client_address_unknown and IP binding is inert";
        tracing::error!("{message}");
        // A deployment mistake must reach the developer even when no tracing subscriber is
        // installed (which no error in the logs would then show): once, on stderr too.
        eprintln!("{message}");
    });
}

/// The rate-limit bucket of an address: IPv4 as is, IPv6 by its /64 (one subscriber's block).
pub(crate) fn rate_limit_bucket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The answer to a rate-limited request when the client address cannot be known. It is a
/// deployment mistake, not the client's, so it is a 500 that says how to fix it.
pub(crate) fn unknown_address_error() -> crate::ApiError {
    tracing::error!(
        "yauth refused a rate-limited request because it cannot see client addresses: serve \
         the app with `into_make_service_with_connect_info::<SocketAddr>()`"
    );
    crate::ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "client_address_unknown",
        "The server cannot see client addresses, so it cannot rate-limit this request. Serve \
         the app with axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()); \
         behind a reverse proxy, also list the proxy in trusted_proxies.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(peer: &str, xff: &[&str]) -> Parts {
        let mut req = Request::builder().uri("/");
        for h in xff {
            req = req.header("x-forwarded-for", *h);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    fn nets(list: &[&str]) -> Vec<IpNetwork> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn forwarded_for_is_ignored_without_trusted_proxies() {
        let p = parts("203.0.113.9:5000", &["198.51.100.1"]);
        assert_eq!(client_ip(&p, &[]), Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn forwarded_for_is_walked_right_to_left_through_trusted_proxies() {
        let proxies = nets(&["10.0.0.0/8"]);
        // The client forged the leftmost entry; our proxies appended the real chain.
        let p = parts("10.0.0.2:443", &["6.6.6.6, 198.51.100.7", "10.0.0.5"]);
        assert_eq!(
            client_ip(&p, &proxies),
            Some("198.51.100.7".parse().unwrap())
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_spoof() {
        let proxies = nets(&["10.0.0.0/8"]);
        let p = parts("198.51.100.7:1234", &["1.2.3.4"]);
        assert_eq!(
            client_ip(&p, &proxies),
            Some("198.51.100.7".parse().unwrap())
        );
    }

    #[test]
    fn a_hop_that_does_not_parse_ends_the_walk() {
        let proxies = nets(&["10.0.0.0/8"]);
        // Skipping the garbage would hand the client's choice (6.6.6.6) the bucket.
        let p = parts("10.0.0.2:443", &["6.6.6.6, not-an-ip, 10.0.0.5"]);
        assert_eq!(client_ip(&p, &proxies), Some("10.0.0.5".parse().unwrap()));
        let p = parts("10.0.0.2:443", &["6.6.6.6, 10.0.0.7 x"]);
        assert_eq!(client_ip(&p, &proxies), Some("10.0.0.2".parse().unwrap()));
        // Every hop trusted: the leftmost one read is the client.
        let p = parts("10.0.0.2:443", &["10.0.0.9, 10.0.0.5"]);
        assert_eq!(client_ip(&p, &proxies), Some("10.0.0.9".parse().unwrap()));
    }

    #[test]
    fn networks_parse_and_match() {
        let n: IpNetwork = "192.168.0.0/16".parse().unwrap();
        assert!(n.contains("192.168.4.5".parse().unwrap()));
        assert!(!n.contains("192.169.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:192.168.1.1".parse().unwrap()));
        let v6: IpNetwork = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:1::1".parse().unwrap()));
        // An IPv6 trusted-proxy network must not admit every IPv6 peer.
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        assert!(!v6.contains("::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNetwork>().is_err());
        assert!("nonsense".parse::<IpNetwork>().is_err());
    }

    #[test]
    fn ipv6_is_bucketed_by_64() {
        let a = rate_limit_bucket("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = rate_limit_bucket("2001:db8:1:2:bbbb::9".parse().unwrap());
        let c = rate_limit_bucket("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(rate_limit_bucket("1.2.3.4".parse().unwrap()), "1.2.3.4");
    }
}
