//! The oauth plugin's configuration.

use time::Duration;
use url::Url;

use super::provider::ProviderConfig;
use crate::config::RateLimit;

/// Names a provider cannot have: `/oauth/{provider}` would meet a fixed route under `/oauth/`.
const RESERVED_NAMES: [&str; 8] = [
    "accounts",
    "authorize",
    "consents",
    "device",
    "introspect",
    "register",
    "revoke",
    "token",
];

/// Settings of the OAuth client plugin.
#[derive(Debug, Clone)]
pub struct OauthConfig {
    /// The providers users can sign in with; names must be unique.
    pub providers: Vec<ProviderConfig>,
    /// Where the browser may be sent after the callback: a requested `redirect_url` must have
    /// the origin of one of these and a path under its path. Anything else is refused, so the
    /// callback is no open redirect.
    pub allowed_redirect_urls: Vec<String>,
    /// Where the browser goes after the callback when the request named no `redirect_url`
    /// (default: the link base, `YAuthConfig::link_base_url` or `base_url`).
    pub default_redirect_url: Option<String>,
    /// Lifetime of an authorization request, from `/authorize` to the callback (default
    /// 10 minutes).
    pub state_ttl: Duration,
    /// Create an account when a provider identity has none and its verified email is unknown
    /// (default: on).
    pub allow_sign_up: bool,
    /// How long a provider's discovery document and signing keys are kept (default 1 hour).
    /// An id_token signed by an unknown key refetches the keys at most once a minute.
    pub discovery_ttl: std::time::Duration,
    /// Timeout of every request to a provider (default 10 seconds).
    pub http_timeout: std::time::Duration,
    /// `/authorize`, `/link` and callback requests per client address.
    pub rate_limit: RateLimit,
}

impl Default for OauthConfig {
    fn default() -> Self {
        Self {
            providers: Vec::new(),
            allowed_redirect_urls: Vec::new(),
            default_redirect_url: None,
            state_ttl: Duration::minutes(10),
            allow_sign_up: true,
            discovery_ttl: std::time::Duration::from_secs(3600),
            http_timeout: std::time::Duration::from_secs(10),
            rate_limit: RateLimit::new(60, Duration::minutes(5)),
        }
    }
}

impl OauthConfig {
    /// Adds a provider.
    pub fn provider(mut self, provider: ProviderConfig) -> Self {
        self.providers.push(provider);
        self
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.state_ttl < Duration::minutes(1) || self.state_ttl > Duration::hours(1) {
            return Err("state_ttl must be between 1 minute and 1 hour".into());
        }
        if self.rate_limit.max == 0 || self.rate_limit.window <= Duration::ZERO {
            return Err("rate_limit needs a positive max and window".into());
        }
        if self.http_timeout.is_zero() || self.discovery_ttl.is_zero() {
            return Err("http_timeout and discovery_ttl must be positive".into());
        }
        for (i, provider) in self.providers.iter().enumerate() {
            provider.validate()?;
            if RESERVED_NAMES.contains(&provider.name.as_str()) {
                return Err(format!(
                    "provider name {:?} is taken by a route under /oauth/ (the authorization \
                     server's or the linked accounts'); choose another",
                    provider.name
                ));
            }
            if self.providers[..i].iter().any(|p| p.name == provider.name) {
                return Err(format!("provider {} is configured twice", provider.name));
            }
        }
        for url in self
            .allowed_redirect_urls
            .iter()
            .chain(&self.default_redirect_url)
        {
            let parsed = Url::parse(url)
                .map_err(|e| format!("redirect URL {url:?} is not an absolute URL: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                return Err(format!("redirect URL {url:?} must be http(s) with a host"));
            }
        }
        Ok(())
    }
}

/// The allow-list of post-login redirects.
#[derive(Debug, Clone)]
pub(crate) struct RedirectPolicy {
    allowed: Vec<Url>,
    default: String,
}

impl RedirectPolicy {
    pub(crate) fn new(config: &OauthConfig, link_base: &str) -> Self {
        let default = config
            .default_redirect_url
            .clone()
            .unwrap_or_else(|| format!("{}/", link_base.trim_end_matches('/')));
        let allowed = config
            .allowed_redirect_urls
            .iter()
            .chain(std::iter::once(&default))
            .filter_map(|u| Url::parse(u).ok())
            .collect();
        Self { allowed, default }
    }

    /// The default target.
    pub(crate) fn default_target(&self) -> &str {
        &self.default
    }

    /// Whether `target` may be redirected to: same scheme, host and port as an allowed URL, and
    /// a path equal to its path or below it (at a `/` boundary). No credentials, no fragment.
    pub(crate) fn allows(&self, target: &str) -> bool {
        let Ok(url) = Url::parse(target) else {
            return false;
        };
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return false;
        }
        self.allowed.iter().any(|allowed| {
            let same_origin = allowed.scheme() == url.scheme()
                && allowed.host() == url.host()
                && allowed.port_or_known_default() == url.port_or_known_default();
            let base = allowed.path();
            let path = url.path();
            let under = path == base
                || (path.starts_with(base)
                    && (base.ends_with('/') || path[base.len()..].starts_with('/')));
            same_origin && under
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RedirectPolicy {
        let config = OauthConfig {
            allowed_redirect_urls: vec!["https://app.example/account".into()],
            ..OauthConfig::default()
        };
        RedirectPolicy::new(&config, "https://app.example")
    }

    #[test]
    fn only_allowed_origins_and_paths_are_redirect_targets() {
        let policy = policy();
        assert_eq!(policy.default_target(), "https://app.example/");
        for ok in [
            "https://app.example/",
            "https://app.example/dashboard?tab=1",
            "https://app.example/account",
            "https://app.example/account/settings",
        ] {
            assert!(policy.allows(ok), "{ok}");
        }
        for refused in [
            "https://evil.example/",
            "https://app.example.evil.example/",
            "http://app.example/",
            "https://app.example:8443/",
            "https://user@app.example/",
            "https://app.example/#x",
            "//evil.example/",
            "/relative",
            "javascript:alert(1)",
        ] {
            assert!(!policy.allows(refused), "{refused}");
        }
        let narrow = RedirectPolicy::new(
            &OauthConfig {
                default_redirect_url: Some("https://app.example/account".into()),
                ..OauthConfig::default()
            },
            "https://unused.example",
        );
        assert!(!narrow.allows("https://app.example/accounts-evil"));
        assert!(narrow.allows("https://app.example/account/x"));
    }
}
