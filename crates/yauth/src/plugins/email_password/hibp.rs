//! Breached-password checks against the Have I Been Pwned "Pwned Passwords" range API.
//!
//! The check uses k-anonymity: the password is hashed with SHA-1 and only the first five hex
//! characters of the hash are sent. The service answers with every known hash suffix starting
//! with that prefix (plus random padding entries, requested with `Add-Padding: true`, so that
//! the response size does not reveal the prefix either); the comparison happens locally. Neither
//! the password nor its full hash ever leaves the server.
//!
//! By default the check fails open: when the service is down or slow, passwords are accepted
//! (the other policy rules still apply) rather than blocking every registration.

use std::time::Duration;

use sha1::{Digest, Sha1};

/// Settings of the breached-password check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HibpConfig {
    /// Whether passwords are checked at all (default `true`).
    pub enabled: bool,
    /// The range API's base URL; the 5-character hash prefix is appended to it
    /// (default `https://api.pwnedpasswords.com/range/`). Point it at a mirror or a test server.
    pub endpoint: String,
    /// How long one check may take, connection included (default 2 seconds).
    pub timeout: Duration,
    /// Accept the password when the service cannot be reached (default `true`).
    pub fail_open: bool,
}

impl Default for HibpConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            endpoint: "https://api.pwnedpasswords.com/range/".to_owned(),
            timeout: Duration::from_secs(2),
            fail_open: true,
        }
    }
}

/// Why a [`HibpChecker`] could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HibpError {
    /// The endpoint is not an absolute `http` or `https` URL.
    #[error("invalid HIBP endpoint: {0}")]
    InvalidEndpoint(String),
    /// The timeout is zero.
    #[error("the HIBP timeout must be greater than zero")]
    ZeroTimeout,
    /// The HTTP client could not be built.
    #[error("could not build the HIBP HTTP client: {0}")]
    Client(String),
}

/// The outcome of one breached-password check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreachCheck {
    /// The password appears in known breaches, `count` times.
    Breached {
        /// How often the password was seen in breaches.
        count: u64,
    },
    /// The password is not in the breach corpus (or checking is disabled).
    NotFound,
    /// The service could not be asked (network error, timeout, unexpected answer).
    Unavailable,
}

/// Checks passwords against the range API. Build it once and share it: it holds one HTTP
/// client with its connection pool.
#[derive(Debug, Clone)]
pub struct HibpChecker {
    client: reqwest::Client,
    endpoint: String,
    enabled: bool,
    fail_open: bool,
}

/// The SHA-1 of `password` as 40 uppercase hex characters.
fn sha1_hex_upper(password: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let digest = Sha1::digest(password.as_bytes());
    let mut out = String::with_capacity(40);
    for byte in digest.iter() {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// Finds `suffix` in a range response (`SUFFIX:COUNT` lines) and returns its count, ignoring
/// padding entries (count 0) and malformed lines.
fn find_suffix(body: &str, suffix: &str) -> Option<u64> {
    body.lines().find_map(|line| {
        let (candidate, count) = line.trim().split_once(':')?;
        if !candidate.trim().eq_ignore_ascii_case(suffix) {
            return None;
        }
        let count: u64 = count.trim().parse().ok()?;
        (count > 0).then_some(count)
    })
}

impl HibpChecker {
    /// Validates `config` and builds the HTTP client (rustls, `Add-Padding: true`,
    /// user agent `yauth`).
    ///
    /// # Errors
    ///
    /// [`HibpError`] when the endpoint is not an http(s) URL, the timeout is zero or the client
    /// cannot be built. A disabled configuration is still validated.
    pub fn new(config: HibpConfig) -> Result<Self, HibpError> {
        let url = url::Url::parse(config.endpoint.trim())
            .map_err(|e| HibpError::InvalidEndpoint(format!("{}: {e}", config.endpoint)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(HibpError::InvalidEndpoint(format!(
                "{}: expected an http or https URL",
                config.endpoint
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(HibpError::InvalidEndpoint(format!(
                "{}: the prefix is appended to the path, so the URL must have no query or \
                 fragment",
                config.endpoint
            )));
        }
        if config.timeout.is_zero() {
            return Err(HibpError::ZeroTimeout);
        }
        let mut endpoint = url.to_string();
        if !endpoint.ends_with('/') {
            endpoint.push('/');
        }

        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "Add-Padding",
            reqwest::header::HeaderValue::from_static("true"),
        );
        let client = reqwest::Client::builder()
            .user_agent("yauth")
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|e| HibpError::Client(e.to_string()))?;

        Ok(Self {
            client,
            endpoint,
            enabled: config.enabled,
            fail_open: config.fail_open,
        })
    }

    /// Looks `password` up in the breach corpus. Sends only the first five characters of the
    /// password's SHA-1. Never fails: problems give [`BreachCheck::Unavailable`]. When checking
    /// is disabled, returns [`BreachCheck::NotFound`] without any request.
    pub async fn check(&self, password: &str) -> BreachCheck {
        if !self.enabled {
            return BreachCheck::NotFound;
        }
        let hash = sha1_hex_upper(password);
        let (prefix, suffix) = hash.split_at(5);
        let url = format!("{}{prefix}", self.endpoint);

        let response = match self.client.get(&url).send().await {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(
                    timeout = error.is_timeout(),
                    "HIBP range request failed: {error}"
                );
                return BreachCheck::Unavailable;
            }
        };
        if !response.status().is_success() {
            tracing::warn!(status = %response.status(), "HIBP range request refused");
            return BreachCheck::Unavailable;
        }
        let body = match response.text().await {
            Ok(body) => body,
            Err(error) => {
                tracing::warn!(
                    timeout = error.is_timeout(),
                    "HIBP range response could not be read: {error}"
                );
                return BreachCheck::Unavailable;
            }
        };
        match find_suffix(&body, suffix) {
            Some(count) => BreachCheck::Breached { count },
            None => BreachCheck::NotFound,
        }
    }

    /// Whether a password with this check result may be used: never when breached, always when
    /// not found, and when the service was unavailable only if `fail_open` is set.
    pub fn allows(&self, check: &BreachCheck) -> bool {
        match check {
            BreachCheck::Breached { .. } => false,
            BreachCheck::NotFound => true,
            BreachCheck::Unavailable => self.fail_open,
        }
    }

    /// Whether checking is enabled.
    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn sha1_is_uppercase_hex() {
        assert_eq!(
            sha1_hex_upper("password"),
            "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
        );
    }

    #[test]
    fn suffix_lookup_is_case_insensitive_and_ignores_padding() {
        let body = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n\
                    1e4c9b93f3f0682250b6cf8331b7ee68fd8:10434004\r\n\
                    00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0\r\n";
        assert_eq!(
            find_suffix(body, "1E4C9B93F3F0682250B6CF8331B7EE68FD8"),
            Some(10_434_004)
        );
        assert_eq!(
            find_suffix(body, "00D4F6E8FA6EECAD2A3AA415EEC418D38EC"),
            None
        );
        assert_eq!(
            find_suffix(body, "FFFFF6E8FA6EECAD2A3AA415EEC418D38EC"),
            None
        );
        assert_eq!(find_suffix("garbage\r\n:\r\nA:b\r\n", "A"), None);
    }

    #[test]
    fn config_validation() {
        assert!(HibpChecker::new(HibpConfig::default()).is_ok());
        let checker = HibpChecker::new(HibpConfig {
            endpoint: "http://127.0.0.1:8080/range".into(),
            ..HibpConfig::default()
        })
        .unwrap();
        assert_eq!(checker.endpoint, "http://127.0.0.1:8080/range/");
        for endpoint in [
            "",
            "not a url",
            "ftp://example.com/range/",
            "https://x.test/r?a=1",
        ] {
            assert!(
                matches!(
                    HibpChecker::new(HibpConfig {
                        endpoint: endpoint.into(),
                        ..HibpConfig::default()
                    }),
                    Err(HibpError::InvalidEndpoint(_))
                ),
                "{endpoint}"
            );
        }
        assert_eq!(
            HibpChecker::new(HibpConfig {
                timeout: Duration::ZERO,
                ..HibpConfig::default()
            })
            .unwrap_err(),
            HibpError::ZeroTimeout
        );
    }

    #[tokio::test]
    async fn disabled_checker_sends_nothing() {
        let checker = HibpChecker::new(HibpConfig {
            enabled: false,
            // Nothing listens here; a request would come back Unavailable.
            endpoint: "http://127.0.0.1:9/range/".into(),
            ..HibpConfig::default()
        })
        .unwrap();
        assert!(!checker.enabled());
        assert_eq!(checker.check("password").await, BreachCheck::NotFound);
    }

    #[test]
    fn allows_applies_fail_open() {
        let open = HibpChecker::new(HibpConfig::default()).unwrap();
        let closed = HibpChecker::new(HibpConfig {
            fail_open: false,
            ..HibpConfig::default()
        })
        .unwrap();
        for checker in [&open, &closed] {
            assert!(!checker.allows(&BreachCheck::Breached { count: 1 }));
            assert!(checker.allows(&BreachCheck::NotFound));
        }
        assert!(open.allows(&BreachCheck::Unavailable));
        assert!(!closed.allows(&BreachCheck::Unavailable));
    }
}
