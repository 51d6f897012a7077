//! The oauth2-server plugin's configuration.

use time::Duration;

use crate::config::RateLimit;

/// Who may register clients at `POST /oauth/register` (RFC 7591).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RegistrationPolicy {
    /// No dynamic registration: the route answers 403 and the metadata leaves out
    /// `registration_endpoint`. Clients are created by the application
    /// (`YAuth::register_oauth2_client`).
    #[default]
    Closed,
    /// Anyone may register (rate-limited per client address); redirect URIs must still be
    /// https or loopback.
    Open,
    /// A registration must carry `Authorization: Bearer <token>` with this initial access
    /// token (RFC 7591 §3).
    InitialAccessToken(String),
}

/// Settings of the oauth2-server plugin.
#[derive(Debug, Clone)]
pub struct Oauth2ServerConfig {
    /// The scopes clients may ask for, e.g. your API's `reports:read`; a client's own list
    /// stays within it (default none).
    pub scopes_supported: Vec<String>,
    /// Where yauth's router is served, e.g. `https://app.example.com/api/auth`: the endpoints
    /// the metadata lists are under it. Default: the core `base_url` (the router at the root).
    pub endpoint_base: Option<String>,
    /// Lifetime of an authorization code (default 60 seconds, at most 10 minutes as RFC 6749
    /// §4.1.2 recommends).
    pub authorization_code_ttl: Duration,
    /// The application's consent page. A browser sent to `GET /oauth/authorize` that needs the
    /// user's consent is redirected there with the request's query string; the page reads the
    /// request from `GET /oauth/authorize` (JSON) and posts the decision. Without it the
    /// endpoint answers JSON only. A URL, or a path on the core `base_url`.
    pub consent_page: Option<String>,
    /// The application's sign-in page. A browser sent to `GET /oauth/authorize` without a
    /// fresh enough session is redirected there with `return_to` (the authorization URL to go
    /// back to). Without it the endpoint answers 401 `login_required`.
    pub login_page: Option<String>,
    /// Dynamic client registration (default closed).
    pub registration: RegistrationPolicy,
    /// Token, introspection and revocation requests per client address.
    pub token_rate_limit: RateLimit,
    /// Requests to the authorization endpoint (`GET /oauth/authorize`) per client address:
    /// each one reads the client, and answers whether a client id exists.
    pub authorization_rate_limit: RateLimit,
    /// Registrations per client address.
    pub registration_rate_limit: RateLimit,
    /// The device authorization grant (RFC 8628), for devices without a browser: off unless
    /// set, because it needs the application's verification page.
    pub device: Option<DeviceFlowConfig>,
}

/// Settings of the device authorization grant (RFC 8628).
#[derive(Debug, Clone)]
pub struct DeviceFlowConfig {
    /// The application's verification page, where the user signs in and types the code the
    /// device shows (`verification_uri`). It reads the request from `GET /oauth/device` and
    /// posts the decision to `POST /oauth/device`. A URL, or a path on the core `base_url`.
    pub verification_page: String,
    /// How long a device code may wait for the user's decision (default 10 minutes, between
    /// 1 and 30).
    pub code_ttl: Duration,
    /// The least time between two polls of the token endpoint (default 5 seconds, as RFC 8628
    /// §3.2 suggests; between 1 and 60). A faster poll is answered `slow_down`.
    pub interval: Duration,
    /// Look-ups and decisions at `/oauth/device` per signed-in user: the guess budget for
    /// user codes (default 10 per minute).
    pub verification_rate_limit: RateLimit,
}

impl DeviceFlowConfig {
    /// The device grant with the defaults, its users sent to `verification_page`.
    pub fn new(verification_page: impl Into<String>) -> Self {
        Self {
            verification_page: verification_page.into(),
            code_ttl: Duration::minutes(10),
            interval: Duration::seconds(5),
            verification_rate_limit: RateLimit::new(10, Duration::minutes(1)),
        }
    }

    fn validate(&self) -> Result<(), String> {
        check_page("device.verification_page", &self.verification_page)?;
        if self.code_ttl < Duration::minutes(1) || self.code_ttl > Duration::minutes(30) {
            return Err("device.code_ttl must be between 1 and 30 minutes".into());
        }
        if self.interval < Duration::seconds(1)
            || self.interval > Duration::seconds(60)
            || self.interval.subsec_nanoseconds() != 0
        {
            return Err("device.interval must be whole seconds, between 1 and 60".into());
        }
        self.verification_rate_limit
            .validate("device.verification_rate_limit")
    }
}

/// A page setting: an absolute URL, or a path on the core `base_url`.
fn check_page(name: &str, page: &str) -> Result<(), String> {
    if page.starts_with('/') || url::Url::parse(page).is_ok() {
        Ok(())
    } else {
        Err(format!("{name} {page:?} is neither a URL nor a path"))
    }
}

impl Default for Oauth2ServerConfig {
    fn default() -> Self {
        Self {
            scopes_supported: Vec::new(),
            endpoint_base: None,
            authorization_code_ttl: Duration::seconds(60),
            consent_page: None,
            login_page: None,
            registration: RegistrationPolicy::Closed,
            token_rate_limit: RateLimit::new(120, Duration::minutes(1)),
            authorization_rate_limit: RateLimit::new(120, Duration::minutes(1)),
            registration_rate_limit: RateLimit::new(10, Duration::hours(1)),
            device: None,
        }
    }
}

impl Oauth2ServerConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if let Some(base) = &self.endpoint_base {
            let parsed = url::Url::parse(base)
                .map_err(|e| format!("endpoint_base {base:?} is not a URL: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err(format!("endpoint_base {base:?} must be an http(s) URL"));
            }
        }
        if self.authorization_code_ttl <= Duration::ZERO
            || self.authorization_code_ttl > Duration::minutes(10)
        {
            return Err("authorization_code_ttl must be positive and at most 10 minutes".into());
        }
        for (name, page) in [
            ("consent_page", &self.consent_page),
            ("login_page", &self.login_page),
        ] {
            if let Some(page) = page {
                check_page(name, page)?;
            }
        }
        if let Some(bad) = self.scopes_supported.iter().find(|s| !is_scope_token(s)) {
            return Err(format!(
                "scope {bad:?} is not a scope token (RFC 6749 §3.3: printable ASCII, no space, \
                 quote or backslash)"
            ));
        }
        if let RegistrationPolicy::InitialAccessToken(token) = &self.registration
            && token.len() < 32
        {
            return Err("the initial access token must be at least 32 characters".into());
        }
        self.token_rate_limit.validate("token_rate_limit")?;
        self.authorization_rate_limit
            .validate("authorization_rate_limit")?;
        self.registration_rate_limit
            .validate("registration_rate_limit")?;
        self.device
            .as_ref()
            .map_or(Ok(()), DeviceFlowConfig::validate)
    }
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub(crate) fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_bounds_are_enforced() {
        assert_eq!(Oauth2ServerConfig::default().validate(), Ok(()));
        let long_code = Oauth2ServerConfig {
            authorization_code_ttl: Duration::minutes(11),
            ..Default::default()
        };
        assert!(long_code.validate().is_err());
        let bad_page = Oauth2ServerConfig {
            consent_page: Some("consent".into()),
            ..Default::default()
        };
        assert!(bad_page.validate().is_err());
        let relative = Oauth2ServerConfig {
            endpoint_base: Some("/api/auth".into()),
            ..Default::default()
        };
        assert!(relative.validate().is_err());
        let weak = Oauth2ServerConfig {
            registration: RegistrationPolicy::InitialAccessToken("short".into()),
            ..Default::default()
        };
        assert!(weak.validate().is_err());
        let spaced = Oauth2ServerConfig {
            scopes_supported: vec!["read write".into()],
            ..Default::default()
        };
        assert!(spaced.validate().is_err());
        let device = |f: fn(&mut DeviceFlowConfig)| {
            let mut device = DeviceFlowConfig::new("/device");
            f(&mut device);
            Oauth2ServerConfig {
                device: Some(device),
                ..Default::default()
            }
            .validate()
        };
        assert_eq!(device(|_| ()), Ok(()));
        assert!(device(|d| d.verification_page = "device".into()).is_err());
        assert!(device(|d| d.code_ttl = Duration::minutes(31)).is_err());
        assert!(device(|d| d.code_ttl = Duration::seconds(59)).is_err());
        assert!(device(|d| d.interval = Duration::ZERO).is_err());
        assert!(device(|d| d.interval = Duration::milliseconds(1500)).is_err());
        assert!(device(|d| d.interval = Duration::seconds(61)).is_err());
    }

    #[test]
    fn scope_tokens_follow_the_rfc_grammar() {
        for ok in ["openid", "reports:read", "a!#[]~", "https://api.example/x"] {
            assert!(is_scope_token(ok), "{ok}");
        }
        for bad in ["", "a b", "a\"b", "a\\b", "é", "a\tb"] {
            assert!(!is_scope_token(bad), "{bad:?}");
        }
    }
}
