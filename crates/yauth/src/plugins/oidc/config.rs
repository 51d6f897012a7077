//! The oidc plugin's configuration.

use time::Duration;

/// The user claims yauth can release, and the scope that releases each (OpenID Connect Core
/// §5.4). `sub` is always released.
pub(crate) const CLAIMS: [(&str, Option<&str>); 5] = [
    ("sub", None),
    ("name", Some("profile")),
    ("updated_at", Some("profile")),
    ("email", Some("email")),
    ("email_verified", Some("email")),
];

/// Settings of the oidc plugin. The issuer is the bearer plugin's (`BearerConfig::issuer`,
/// by default the core `base_url`): one issuer names the access tokens and the id_tokens, and
/// discovery is served under it.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// Lifetime of an id_token (default 1 hour, between 1 minute and 24 hours).
    pub id_token_ttl: Duration,
    /// The user claims released, to clients granted their scope, at `/userinfo`, and listed
    /// in the metadata (default `sub`, `email`, `email_verified`, `name`). Known claims:
    /// `sub` (required), `name` and `updated_at` (scope `profile`), `email` and
    /// `email_verified` (scope `email`).
    pub claims_supported: Vec<String>,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            id_token_ttl: Duration::hours(1),
            claims_supported: ["sub", "email", "email_verified", "name"]
                .map(str::to_owned)
                .to_vec(),
        }
    }
}

impl OidcConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.id_token_ttl < Duration::minutes(1) || self.id_token_ttl > Duration::hours(24) {
            return Err("id_token_ttl must be between 1 minute and 24 hours".into());
        }
        if let Some(unknown) = self
            .claims_supported
            .iter()
            .find(|c| !CLAIMS.iter().any(|(known, _)| known == c))
        {
            let known: Vec<&str> = CLAIMS.iter().map(|(c, _)| *c).collect();
            return Err(format!(
                "claims_supported lists {unknown:?}; the known claims are {}",
                known.join(", ")
            ));
        }
        if !self.claims_supported.iter().any(|c| c == "sub") {
            return Err("claims_supported must list \"sub\"".into());
        }
        Ok(())
    }

    /// Whether `claim` is released to a grant of `scopes`.
    pub(crate) fn releases(&self, claim: &str, scopes: &[String]) -> bool {
        self.claims_supported.iter().any(|c| c == claim)
            && CLAIMS.iter().any(|(known, scope)| {
                *known == claim && scope.is_none_or(|scope| scopes.iter().any(|s| s == scope))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_mistakes_are_named() {
        assert_eq!(OidcConfig::default().validate(), Ok(()));
        let short = OidcConfig {
            id_token_ttl: Duration::seconds(59),
            ..Default::default()
        };
        assert!(short.validate().is_err());
        let long = OidcConfig {
            id_token_ttl: Duration::hours(25),
            ..Default::default()
        };
        assert!(long.validate().is_err());
        let unknown = OidcConfig {
            claims_supported: vec!["sub".into(), "phone_number".into()],
            ..Default::default()
        };
        assert!(unknown.validate().unwrap_err().contains("phone_number"));
        let anonymous = OidcConfig {
            claims_supported: vec!["email".into()],
            ..Default::default()
        };
        assert!(anonymous.validate().unwrap_err().contains("sub"));
    }

    #[test]
    fn claims_follow_their_scope_and_the_list() {
        let config = OidcConfig::default();
        let scopes = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(config.releases("sub", &scopes(&["openid"])));
        assert!(!config.releases("email", &scopes(&["openid", "profile"])));
        assert!(config.releases("email", &scopes(&["openid", "email"])));
        assert!(config.releases("name", &scopes(&["openid", "profile"])));
        // Known and in scope, but not listed.
        assert!(!config.releases("updated_at", &scopes(&["openid", "profile"])));
        assert!(!config.releases("unknown", &scopes(&["openid", "profile"])));
    }
}
