//! Where a webhook may send: the SSRF guard.
//!
//! A webhook URL is chosen by an administrator, but the request leaves from inside the
//! deployment, so a URL naming an internal address would let whoever controls it reach
//! services that are not meant to be reachable (cloud metadata, databases, admin panels). The
//! guard refuses such destinations unless configured otherwise:
//!
//! - the URL is `https` (or `http` when allowed), without credentials, with a host;
//! - an IP literal is checked as it is; a host name is resolved, and every address it resolves
//!   to is checked: a name with one internal address among public ones is refused, so that the
//!   order of the answers cannot matter;
//! - the connection goes to the addresses that were checked: the HTTP client is given them by
//!   [`GuardedResolver`], so there is no second lookup and no window for DNS rebinding.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use async_trait::async_trait;
use url::{Host, Url};

use crate::client_ip::IpNetwork;

/// Resolves host names for webhook deliveries.
#[async_trait]
pub trait HostResolver: Send + Sync + 'static {
    /// Every address of `host`.
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// The system's resolver (`getaddrinfo`, through Tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

#[async_trait]
impl HostResolver for SystemResolver {
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        Ok(tokio::net::lookup_host((host, 0))
            .await?
            .map(|addr| addr.ip())
            .collect())
    }
}

/// Longest webhook URL accepted.
pub(crate) const MAX_URL_LEN: usize = 2048;

/// Why a destination is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refused {
    #[error("the URL is not valid: {0}")]
    InvalidUrl(String),
    #[error("the URL must use https")]
    NotHttps,
    #[error("the URL must use http or https")]
    Scheme,
    #[error("the URL must not carry credentials")]
    Credentials,
    #[error("{0} is an internal address, which webhooks may not reach")]
    Internal(IpAddr),
    #[error("the host {0} could not be resolved")]
    Unresolved(String),
}

/// Which destinations are allowed.
#[derive(Debug, Clone)]
pub(crate) struct DestinationPolicy {
    pub allow_http: bool,
    pub allowed_networks: Vec<IpNetwork>,
}

impl DestinationPolicy {
    /// Checks the URL's form (not its addresses).
    pub(crate) fn check_url(&self, raw: &str) -> Result<Url, Refused> {
        if raw.len() > MAX_URL_LEN {
            return Err(Refused::InvalidUrl(format!(
                "longer than {MAX_URL_LEN} characters"
            )));
        }
        let url = Url::parse(raw).map_err(|e| Refused::InvalidUrl(e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => return Err(Refused::NotHttps),
            _ => return Err(Refused::Scheme),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused::Credentials);
        }
        match url.host() {
            None => Err(Refused::InvalidUrl("it has no host".into())),
            Some(Host::Ipv4(ip)) => self.check_address(IpAddr::V4(ip)).map(|_| url),
            Some(Host::Ipv6(ip)) => self.check_address(IpAddr::V6(ip)).map(|_| url),
            Some(Host::Domain(_)) => Ok(url),
        }
    }

    /// Refuses an internal address outside the allowed networks.
    pub(crate) fn check_address(&self, ip: IpAddr) -> Result<(), Refused> {
        if self.allowed_networks.iter().any(|n| n.contains(ip)) || !is_internal(ip) {
            Ok(())
        } else {
            Err(Refused::Internal(ip))
        }
    }

    /// Resolves `host` and checks every address: all must be allowed.
    pub(crate) async fn resolve_checked(
        &self,
        resolver: &dyn HostResolver,
        host: &str,
    ) -> Result<Vec<IpAddr>, Refused> {
        let addresses = resolver
            .resolve(host)
            .await
            .map_err(|_| Refused::Unresolved(host.to_owned()))?;
        if addresses.is_empty() {
            return Err(Refused::Unresolved(host.to_owned()));
        }
        for ip in &addresses {
            self.check_address(*ip)?;
        }
        Ok(addresses)
    }

    /// Checks a URL completely: its form, then the addresses of its host.
    pub(crate) async fn check(
        &self,
        resolver: &dyn HostResolver,
        raw: &str,
    ) -> Result<Url, Refused> {
        let url = self.check_url(raw)?;
        if let Some(Host::Domain(host)) = url.host() {
            self.resolve_checked(resolver, host).await?;
        }
        Ok(url)
    }
}

/// Whether `ip` belongs to a range a webhook must not reach by default.
pub(crate) fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, cloud metadata included
        || ip.is_multicast()
        || ip.is_broadcast()
        || a == 0 // "this network"
        || (a == 100 && (b & 0xC0) == 64) // 100.64/10, carrier-grade NAT (Alibaba's metadata)
        || (a == 192 && b == 0 && c == 0) // 192.0.0/24, IETF protocol assignments
        || (a == 198 && (b & 0xFE) == 18) // 198.18/15, benchmarking
        || a >= 240 // 240/4, reserved
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_internal_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xFE00) == 0xFC00 // fc00::/7, unique local (AWS's fd00:ec2::254 included)
        || (first & 0xFFC0) == 0xFE80 // fe80::/10, link-local
        || (first & 0xFFC0) == 0xFEC0 // fec0::/10, deprecated site-local
}

/// The IPv4 address an IPv6 address stands for, when it carries one: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) or 6to4
/// (`2002::/16`). Each reaches that IPv4 host, so each is judged as it.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return Some(mapped);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(tail);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(tail);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// The HTTP client's resolver: resolves through the configured [`HostResolver`] and hands the
/// client only checked addresses, so the address connected to is the address checked.
pub(crate) struct GuardedResolver {
    pub policy: DestinationPolicy,
    pub resolver: Arc<dyn HostResolver>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let resolver = self.resolver.clone();
        Box::pin(async move {
            let addresses = policy
                .resolve_checked(resolver.as_ref(), name.as_str())
                .await?;
            // The client puts the URL's port on each address.
            let addrs: reqwest::dns::Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> DestinationPolicy {
        DestinationPolicy {
            allow_http: false,
            allowed_networks: Vec::new(),
        }
    }

    #[test]
    fn internal_ranges_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:0001::",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_internal(ip), "{ip} must be internal");
        }
        for ip in [
            "93.184.215.14",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_internal(ip), "{ip} is public");
        }
    }

    #[test]
    fn urls_are_checked_before_any_lookup() {
        let policy = strict();
        assert_eq!(
            policy.check_url("http://example.com/hook"),
            Err(Refused::NotHttps)
        );
        assert_eq!(policy.check_url("ftp://example.com/"), Err(Refused::Scheme));
        assert_eq!(
            policy.check_url("https://user:pw@example.com/"),
            Err(Refused::Credentials)
        );
        // Decimal and short IPv4 forms are normalised by the URL parser, then checked.
        assert!(matches!(
            policy.check_url("https://2130706433/"),
            Err(Refused::Internal(_))
        ));
        assert!(matches!(
            policy.check_url("https://[::ffff:169.254.169.254]/"),
            Err(Refused::Internal(_))
        ));
        assert!(policy.check_url("https://hooks.example.com/x").is_ok());
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(matches!(
            policy.check_url(&long),
            Err(Refused::InvalidUrl(_))
        ));
    }

    #[test]
    fn allowed_networks_open_exactly_their_range() {
        let policy = DestinationPolicy {
            allow_http: true,
            allowed_networks: vec!["127.0.0.0/8".parse().unwrap()],
        };
        assert!(policy.check_address("127.0.0.1".parse().unwrap()).is_ok());
        assert!(policy.check_address("10.0.0.1".parse().unwrap()).is_err());
        assert!(policy.check_url("http://127.0.0.1:9/").is_ok());
    }

    struct Fixed(Vec<IpAddr>);

    #[async_trait]
    impl HostResolver for Fixed {
        async fn resolve(&self, _: &str) -> std::io::Result<Vec<IpAddr>> {
            Ok(self.0.clone())
        }
    }

    #[tokio::test]
    async fn one_internal_answer_refuses_the_name() {
        let mixed = Fixed(vec![
            "93.184.215.14".parse().unwrap(),
            "10.0.0.1".parse().unwrap(),
        ]);
        let result = strict().check(&mixed, "https://hooks.example.com/").await;
        assert!(matches!(result, Err(Refused::Internal(_))));
        let none = Fixed(Vec::new());
        let result = strict().check(&none, "https://hooks.example.com/").await;
        assert!(matches!(result, Err(Refused::Unresolved(_))));
    }
}
