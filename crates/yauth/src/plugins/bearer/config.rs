//! The bearer plugin's configuration.

use std::sync::Arc;

use time::Duration;

use super::keys::SigningAlgorithm;
use super::signer::TokenSigner;
use crate::config::RateLimit;

/// How access tokens are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenFormat {
    /// JWT (RFC 9068, `typ: at+jwt`), verifiable by any JOSE library against the JWKS.
    #[default]
    Jwt,
    /// PASETO v4.public (Ed25519) with the same claims, the `kid` in the footer. Needs EdDSA
    /// keys.
    #[cfg(feature = "paseto")]
    PasetoV4Public,
}

/// Settings of the bearer plugin.
#[derive(Clone)]
pub struct BearerConfig {
    /// JWT (default) or, with the `paseto` feature, PASETO v4.public. Only the configured
    /// format is accepted.
    pub format: TokenFormat,
    /// Lifetime of an access token (default 15 minutes, at most 24 hours).
    pub access_token_ttl: Duration,
    /// Lifetime of a refresh token; each rotation issues a new one with a full lifetime
    /// (default 30 days).
    pub refresh_token_ttl: Duration,
    /// The `iss` of issued tokens and the only one accepted; default: the core `base_url`.
    pub issuer: Option<String>,
    /// The `aud` of issued tokens and the one a token must name; default: the core `base_url`.
    pub audience: Option<String>,
    /// The `client_id` claim of tokens yauth issues to its own clients (default `yauth`).
    pub client_id: String,
    /// Clock skew tolerated on `exp`, `nbf` and `iat` (default 10 seconds, at most 5 minutes).
    pub leeway: Duration,
    /// Algorithm of the keys the local signer creates (default EdDSA). Changing it rotates to a
    /// key of the new algorithm at the next signature; old keys keep verifying until expiry.
    pub algorithm: SigningAlgorithm,
    /// How long the local signer signs with one key before it rotates (default 30 days).
    pub key_rotation_interval: Duration,
    /// Check every access token's `jti` against the revocation list (one storage read per
    /// request; default on). Off, verification is purely stateless: a revoked or logged-out
    /// token keeps working until it expires, though a ban still stops it (the user is read).
    pub check_revocation: bool,
    /// Signs with this signer (an external KMS, for example) instead of the local rotating
    /// keys; `algorithm` and `key_rotation_interval` then belong to that signer.
    pub signer: Option<Arc<dyn TokenSigner>>,
    /// Refresh and revocation requests per client address.
    pub refresh_rate_limit: RateLimit,
}

impl Default for BearerConfig {
    fn default() -> Self {
        Self {
            format: TokenFormat::Jwt,
            access_token_ttl: Duration::minutes(15),
            refresh_token_ttl: Duration::days(30),
            issuer: None,
            audience: None,
            client_id: "yauth".to_owned(),
            leeway: Duration::seconds(10),
            algorithm: SigningAlgorithm::EdDSA,
            key_rotation_interval: Duration::days(30),
            check_revocation: true,
            signer: None,
            refresh_rate_limit: RateLimit::new(60, Duration::minutes(1)),
        }
    }
}

impl std::fmt::Debug for BearerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerConfig")
            .field("format", &self.format)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("client_id", &self.client_id)
            .field("leeway", &self.leeway)
            .field("algorithm", &self.algorithm)
            .field("key_rotation_interval", &self.key_rotation_interval)
            .field("check_revocation", &self.check_revocation)
            .field("external_signer", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

impl BearerConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.access_token_ttl <= Duration::ZERO || self.access_token_ttl > Duration::hours(24) {
            return Err("access_token_ttl must be positive and at most 24 hours".into());
        }
        if self.refresh_token_ttl <= self.access_token_ttl {
            return Err("refresh_token_ttl must be longer than access_token_ttl".into());
        }
        if self.leeway < Duration::ZERO || self.leeway > Duration::minutes(5) {
            return Err("leeway must be between 0 and 5 minutes".into());
        }
        if self.key_rotation_interval < Duration::hours(1) {
            return Err("key_rotation_interval must be at least one hour".into());
        }
        for (name, value) in [
            ("issuer", self.issuer.as_deref()),
            ("audience", self.audience.as_deref()),
            ("client_id", Some(self.client_id.as_str())),
        ] {
            if value.is_some_and(|v| v.trim().is_empty() || v.len() > 255) {
                return Err(format!("{name} must be 1 to 255 characters"));
            }
        }
        #[cfg(feature = "paseto")]
        if self.format == TokenFormat::PasetoV4Public
            && self.signer.is_none()
            && self.algorithm != SigningAlgorithm::EdDSA
        {
            return Err(
                "PASETO v4.public tokens are signed with Ed25519: set algorithm to EdDSA".into(),
            );
        }
        self.refresh_rate_limit.validate("refresh_rate_limit")
    }
}
