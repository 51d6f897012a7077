//! Redirect URIs: what a client may register, and how a request's URI is matched against the
//! registered ones (RFC 9700 §4.1.3: exact string comparison, no prefixes, no patterns).

use std::net::IpAddr;

use url::{Host, Url};

/// Why a redirect URI cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RedirectUriError {
    /// Not an absolute URI.
    #[error("{0:?} is not an absolute URI")]
    NotAbsolute(String),
    /// It has a fragment (RFC 6749 §3.1.2).
    #[error("{0:?} has a fragment")]
    Fragment(String),
    /// Neither https nor http on a loopback host.
    #[error("{0:?} must use https (http only on a loopback host)")]
    Insecure(String),
    /// It carries user information, which a browser may show as the host.
    #[error("{0:?} carries user information")]
    UserInfo(String),
}

/// Checks a redirect URI offered for registration: absolute, without fragment or user
/// information, and https, or http on a loopback host (`localhost`, `127.0.0.0/8`, `::1`;
/// RFC 8252 §7.3 for native apps).
pub(crate) fn check_registrable(uri: &str) -> Result<(), RedirectUriError> {
    let parsed = Url::parse(uri).map_err(|_| RedirectUriError::NotAbsolute(uri.to_owned()))?;
    if parsed.cannot_be_a_base() || parsed.host().is_none() {
        return Err(RedirectUriError::NotAbsolute(uri.to_owned()));
    }
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err(RedirectUriError::Fragment(uri.to_owned()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(RedirectUriError::UserInfo(uri.to_owned()));
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        _ => Err(RedirectUriError::Insecure(uri.to_owned())),
    }
}

/// Whether the URI's host is a loopback name or address.
fn is_loopback(uri: &Url) -> bool {
    match uri.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether the loopback IP literal's host is the URI's (`http://127.0.0.1` or `http://[::1]`).
fn is_loopback_ip(uri: &Url) -> bool {
    uri.scheme() == "http"
        && match uri.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        }
}

/// Whether `requested` is one of the `registered` URIs: the same string, character for
/// character. The one allowance is RFC 8252 §7.3's: a native app listening on a loopback IP
/// literal gets its port from the operating system at run time, so for a registered
/// `http://127.0.0.1/...` or `http://[::1]/...` the port may differ; everything else must
/// still be identical.
pub(crate) fn matches<'a>(registered: impl IntoIterator<Item = &'a str>, requested: &str) -> bool {
    let requested_url = Url::parse(requested).ok();
    registered.into_iter().any(|candidate| {
        if candidate == requested {
            return true;
        }
        let (Some(requested_url), Ok(candidate_url)) = (&requested_url, Url::parse(candidate))
        else {
            return false;
        };
        if !is_loopback_ip(&candidate_url) || !is_loopback_ip(requested_url) {
            return false;
        }
        let mut without_port = requested_url.clone();
        // ok: http URLs with a host always accept a port change; a refusal keeps the port, and
        // the comparison below then fails closed.
        let _ = without_port.set_port(candidate_url.port());
        // Compare the serialisations and the raw request, so that `url`'s normalisation
        // (case, default port, dot segments) never makes two different strings equal.
        without_port.as_str() == candidate_url.as_str()
            && strip_port(requested) == strip_port(candidate)
    })
}

/// The URI string with the port after a loopback host removed, as written.
fn strip_port(uri: &str) -> String {
    let Some(rest) = uri.strip_prefix("http://") else {
        return uri.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = match authority.rfind(':') {
        Some(colon) if !authority[colon..].contains(']') => &authority[..colon],
        _ => authority,
    };
    format!("http://{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_registrable() {
        for ok in [
            "https://rp.example.com/callback",
            "https://rp.example.com/cb?tenant=7",
            "http://localhost:3000/callback",
            "http://127.0.0.1/callback",
            "http://127.9.9.9:8080/cb",
            "http://[::1]:8080/cb",
        ] {
            assert_eq!(check_registrable(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn insecure_relative_fragment_and_userinfo_uris_are_refused() {
        use RedirectUriError::*;
        let cases = [
            (
                "http://rp.example.com/callback",
                Insecure as fn(String) -> RedirectUriError,
            ),
            ("http://localhost.evil.example/cb", Insecure),
            ("http://10.0.0.1/cb", Insecure),
            ("com.example.app:/callback", NotAbsolute),
            ("javascript:alert(1)", NotAbsolute),
            ("/callback", NotAbsolute),
            ("https://rp.example.com/cb#frag", Fragment),
            ("https://rp.example.com/cb#", Fragment),
            ("https://user:pw@rp.example.com/cb", UserInfo),
            ("ftp://rp.example.com/cb", Insecure),
        ];
        for (uri, error) in cases {
            assert_eq!(check_registrable(uri), Err(error(uri.to_owned())), "{uri}");
        }
    }

    #[test]
    fn matching_is_exact() {
        let registered = ["https://rp.example.com/callback"];
        assert!(matches(registered, "https://rp.example.com/callback"));
        for near_miss in [
            "https://rp.example.com/callback/",
            "https://rp.example.com/callback/extra",
            "https://rp.example.com/callbac",
            "http://rp.example.com/callback",
            "https://RP.example.com/callback",
            "https://rp.example.com:443/callback",
            "https://rp.example.com/callback?x=1",
            "https://rp.example.com/Callback",
            "https://rp.example.com/./callback",
            "https://rp.example.com.evil.example/callback",
            "https://rp.example.com/callback#x",
        ] {
            assert!(
                !matches(registered, near_miss),
                "{near_miss} must not match"
            );
        }
    }

    #[test]
    fn a_loopback_ip_literal_may_change_only_its_port() {
        let registered = ["http://127.0.0.1/callback", "http://[::1]:5000/cb"];
        assert!(matches(registered, "http://127.0.0.1:53121/callback"));
        assert!(matches(registered, "http://[::1]:4000/cb"));
        assert!(matches(registered, "http://[::1]/cb"));
        assert!(!matches(registered, "http://127.0.0.1:53121/callback/"));
        assert!(!matches(registered, "http://127.0.0.2:53121/callback"));
        assert!(!matches(registered, "https://127.0.0.1:53121/callback"));
        assert!(!matches(registered, "http://127.0.0.1:53121/CALLBACK"));
        // A name is not a literal: localhost may resolve elsewhere, so its port is exact.
        let named = ["http://localhost:3000/cb"];
        assert!(matches(named, "http://localhost:3000/cb"));
        assert!(!matches(named, "http://localhost:3001/cb"));
    }
}
