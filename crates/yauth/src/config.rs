//! Configuration of the library core. Validated as a whole by
//! [`YAuthBuilder::build`](crate::YAuthBuilder::build).

use std::net::IpAddr;

use time::Duration;
use url::Url;

use crate::client_ip::IpNetwork;

/// What to do when a session is used from another IP or User-Agent than the one it was created
/// with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BindingAction {
    /// Log the mismatch and allow the request.
    #[default]
    Warn,
    /// Delete the session and answer 401: the user signs in again.
    Invalidate,
}

/// Session lifetime, cookie and binding settings.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Idle lifetime: a session unused this long expires. Renewed (sliding) on use.
    pub ttl: Duration,
    /// Hard cap from creation, never extended.
    pub absolute_ttl: Duration,
    /// Idle lifetime when the user ticked "remember me"; `None` ignores `remember_me`.
    pub remember_me_ttl: Option<Duration>,
    /// Cookie name; `__Host-` is prepended when cookies are secure.
    pub cookie_name: String,
    /// Bind sessions to the client IP captured at creation.
    pub bind_ip: bool,
    /// Bind sessions to the User-Agent captured at creation.
    pub bind_user_agent: bool,
    /// What a binding mismatch does.
    pub binding_action: BindingAction,
    /// How recent a sign-in must be for sensitive operations (step-up); default 10 minutes.
    pub reauthentication_age: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::hours(24),
            absolute_ttl: Duration::days(30),
            remember_me_ttl: Some(Duration::days(30)),
            cookie_name: "yauth_session".to_owned(),
            bind_ip: false,
            bind_user_agent: false,
            binding_action: BindingAction::Warn,
            reauthentication_age: Duration::minutes(10),
        }
    }
}

/// One rate limit: at most `max` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Hits allowed per window.
    pub max: u32,
    /// Window length.
    pub window: Duration,
}

impl RateLimit {
    /// `max` hits per `window`.
    pub const fn new(max: u32, window: Duration) -> Self {
        Self { max, window }
    }
}

/// Rate limiting as a whole. Each plugin sets the limits of its own operations in its own
/// configuration (e.g. `EmailPasswordConfig::rate_limits`); every limit applies per client IP
/// (IPv6 by /64) and, where the operation names an account, per account too: never one bucket
/// for the whole site.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// Turn every limit off (tests and trusted internal deployments only).
    pub enabled: bool,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl RateLimit {
    /// Checks that the limit can ever admit a request; `name` is used in the error.
    pub(crate) fn validate(self, name: &str) -> Result<(), String> {
        if self.max == 0 || self.window <= Duration::ZERO {
            Err(format!(
                "rate limit {name} needs max > 0 and a positive window"
            ))
        } else {
            Ok(())
        }
    }
}

/// The core configuration.
///
/// ```
/// use yauth::YAuthConfig;
///
/// let config = YAuthConfig::new("https://app.example.com");
/// assert!(config.secure_cookies());
/// assert!(!YAuthConfig::new("http://localhost:3000").secure_cookies());
/// ```
#[derive(Debug, Clone)]
pub struct YAuthConfig {
    /// The public origin of the application (scheme, host, port), e.g. `https://app.example.com`.
    /// Decides cookie security and is always a trusted origin for the CSRF check.
    pub base_url: String,
    /// Where links in emails point: the page that takes `?token=`. Defaults to `base_url`.
    pub link_base_url: Option<String>,
    /// Name used in emails and as the passkey relying party's name. Defaults to the host of
    /// `base_url` (`app.example.com`).
    pub app_name: String,
    /// Sessions.
    pub session: SessionConfig,
    /// Extra origins allowed to make cookie-authenticated unsafe requests (CSRF check). This is
    /// not CORS: it only admits requests, it adds no CORS headers.
    pub trusted_origins: Vec<String>,
    /// Reverse proxies (addresses or CIDR networks) whose `X-Forwarded-For` is believed. Empty:
    /// the peer address is the client.
    pub trusted_proxies: Vec<String>,
    /// Force cookie security on or off; `None` (default) makes cookies secure unless `base_url`
    /// is plain-http localhost.
    pub secure_cookies: Option<bool>,
    /// Rate limits.
    pub rate_limits: RateLimitConfig,
    /// How often the background task purges expired rows; `None` disables it.
    pub purge_interval: Option<std::time::Duration>,
    /// How often, while the key ring holds more than one key, the background task re-encrypts
    /// sealed values under the newest key (the first run starts at once); `None` disables it,
    /// leaving [`YAuth::reencrypt_sealed_values`](crate::YAuth::reencrypt_sealed_values) to the
    /// application.
    pub reencrypt_interval: Option<std::time::Duration>,
}

impl YAuthConfig {
    /// A configuration with defaults for the application at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        let base_url = base_url.into();
        // Emails should name the application, not the library; `validate` reports a bad URL.
        let app_name = Url::parse(&base_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "yauth".to_owned());
        Self {
            base_url,
            link_base_url: None,
            app_name,
            session: SessionConfig::default(),
            trusted_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            secure_cookies: None,
            rate_limits: RateLimitConfig::default(),
            purge_interval: Some(std::time::Duration::from_secs(3600)),
            reencrypt_interval: Some(std::time::Duration::from_secs(3600)),
        }
    }

    /// Whether cookies get `Secure` and the `__Host-` prefix.
    pub fn secure_cookies(&self) -> bool {
        if let Some(forced) = self.secure_cookies {
            return forced;
        }
        match Url::parse(&self.base_url) {
            Ok(url) => !(url.scheme() == "http" && url.host_str().is_some_and(is_local_host)),
            Err(_) => true,
        }
    }

    /// The cookie's name, with `__Host-` when secure.
    pub fn cookie_name(&self) -> String {
        if self.secure_cookies() {
            format!("__Host-{}", self.session.cookie_name)
        } else {
            self.session.cookie_name.clone()
        }
    }

    /// Checks every setting; the builder calls it.
    pub(crate) fn validate(&self) -> Result<ValidatedConfig, crate::BuildError> {
        use crate::BuildError::InvalidConfig as Invalid;
        let base = Url::parse(&self.base_url)
            .map_err(|e| Invalid(format!("base_url {:?} is not a URL: {e}", self.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(Invalid(format!(
                "base_url {:?} must be an http(s) URL with a host",
                self.base_url
            )));
        }
        if self.secure_cookies == Some(false) && base.scheme() == "https" {
            return Err(Invalid(
                "secure_cookies = false with an https base_url would send session cookies \
                 without Secure"
                    .into(),
            ));
        }
        if let Some(link) = &self.link_base_url {
            Url::parse(link)
                .map_err(|e| Invalid(format!("link_base_url {link:?} is not a URL: {e}")))?;
        }
        let s = &self.session;
        if s.ttl <= Duration::ZERO || s.absolute_ttl <= Duration::ZERO {
            return Err(Invalid(
                "session ttl and absolute_ttl must be positive".into(),
            ));
        }
        if s.reauthentication_age <= Duration::ZERO {
            return Err(Invalid("reauthentication_age must be positive".into()));
        }
        if s.ttl > s.absolute_ttl {
            return Err(Invalid("session ttl cannot exceed absolute_ttl".into()));
        }
        if let Some(remember) = s.remember_me_ttl
            && (remember <= Duration::ZERO || remember > s.absolute_ttl)
        {
            return Err(Invalid(
                "remember_me_ttl must be positive and at most absolute_ttl".into(),
            ));
        }
        if s.cookie_name.is_empty()
            || !s
                .cookie_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(Invalid(format!(
                "cookie_name {:?} must be non-empty ASCII letters, digits, '_' or '-'",
                s.cookie_name
            )));
        }
        let mut origins = vec![origin_of(&base)];
        for origin in &self.trusted_origins {
            let url = Url::parse(origin)
                .map_err(|e| Invalid(format!("trusted origin {origin:?} is not a URL: {e}")))?;
            origins.push(serialized_origin(&url).ok_or_else(|| {
                Invalid(format!(
                    "trusted origin {origin:?} has no host, so no browser can send it as Origin"
                ))
            })?);
        }
        let proxies = self
            .trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<IpNetwork>()
                    .map_err(|e| Invalid(format!("trusted proxy {p:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if self.purge_interval == Some(std::time::Duration::ZERO) {
            return Err(Invalid("purge_interval must be positive (or None)".into()));
        }
        if self.reencrypt_interval == Some(std::time::Duration::ZERO) {
            return Err(Invalid(
                "reencrypt_interval must be positive (or None)".into(),
            ));
        }
        Ok(ValidatedConfig {
            trusted_origins: origins,
            trusted_proxies: proxies,
            link_base: self
                .link_base_url
                .clone()
                .unwrap_or_else(|| self.base_url.clone())
                .trim_end_matches('/')
                .to_owned(),
            cookie_name: self.cookie_name(),
            secure_cookies: self.secure_cookies(),
        })
    }
}

/// Settings derived once from [`YAuthConfig`] at build time.
#[derive(Debug, Clone)]
pub(crate) struct ValidatedConfig {
    /// Normalised origins (`scheme://host[:port]`).
    pub trusted_origins: Vec<String>,
    pub trusted_proxies: Vec<IpNetwork>,
    pub link_base: String,
    pub cookie_name: String,
    pub secure_cookies: bool,
}

/// `scheme://host[:port]` as browsers send it in `Origin`.
pub(crate) fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The origin of `url` in the form browsers send in `Origin`, including for schemes the URL
/// standard gives an opaque origin (`tauri://localhost`, `capacitor://localhost`): those are
/// sent as written, while their opaque serialisation is `null`, which any sandboxed page or
/// redirected request can send and which therefore must never be trusted. `None` for a URL with
/// no host.
pub(crate) fn serialized_origin(url: &Url) -> Option<String> {
    let origin = url.origin();
    if origin.is_tuple() {
        return Some(origin.ascii_serialization());
    }
    let host = url.host_str().filter(|h| !h.is_empty())?;
    Some(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

fn is_local_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_name_defaults_to_the_host_of_the_base_url() {
        assert_eq!(
            YAuthConfig::new("https://app.example.com").app_name,
            "app.example.com"
        );
        assert_eq!(
            YAuthConfig::new("http://localhost:3000").app_name,
            "localhost"
        );
        assert_eq!(YAuthConfig::new("not a url").app_name, "yauth");
    }
}
