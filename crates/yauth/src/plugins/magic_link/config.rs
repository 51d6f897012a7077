//! The magic-link plugin's configuration.

use std::sync::Arc;

use time::Duration;

use super::templates::{DefaultMagicLinkTemplates, MagicLinkTemplates};
use crate::config::RateLimit;

/// Settings of the magic-link plugin.
#[derive(Clone)]
pub struct MagicLinkConfig {
    /// Lifetime of a link (default 15 minutes).
    pub ttl: Duration,
    /// Create the account when an unknown address verifies a link, with its email verified
    /// (default: off; links are then only sent to existing accounts).
    pub allow_sign_up: bool,
    /// Links requested per client address and, separately, per email address.
    pub send_rate_limit: RateLimit,
    /// Verification attempts per client address.
    pub verify_rate_limit: RateLimit,
    /// The wording of the email ([`DefaultMagicLinkTemplates`] unless replaced).
    pub templates: Arc<dyn MagicLinkTemplates>,
}

impl Default for MagicLinkConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::minutes(15),
            allow_sign_up: false,
            send_rate_limit: RateLimit::new(5, Duration::minutes(15)),
            verify_rate_limit: RateLimit::new(30, Duration::minutes(5)),
            templates: Arc::new(DefaultMagicLinkTemplates),
        }
    }
}

impl std::fmt::Debug for MagicLinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MagicLinkConfig")
            .field("ttl", &self.ttl)
            .field("allow_sign_up", &self.allow_sign_up)
            .field("send_rate_limit", &self.send_rate_limit)
            .field("verify_rate_limit", &self.verify_rate_limit)
            .finish_non_exhaustive()
    }
}

impl MagicLinkConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.ttl <= Duration::ZERO || self.ttl > Duration::hours(24) {
            return Err("ttl must be positive and at most 24 hours".into());
        }
        for (name, limit) in [
            ("send_rate_limit", self.send_rate_limit),
            ("verify_rate_limit", self.verify_rate_limit),
        ] {
            if limit.max == 0 || limit.window <= Duration::ZERO {
                return Err(format!("{name} needs a positive max and window"));
            }
        }
        Ok(())
    }
}
