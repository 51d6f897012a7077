//! The email-password plugin's configuration: policy, breach check, lifetimes, rate limits.

use time::Duration;

use super::hibp::HibpConfig;
use std::sync::Arc;

use super::policy::PasswordPolicyConfig;
use super::templates::{DefaultEmailPasswordTemplates, EmailPasswordTemplates};
use crate::config::RateLimit;

/// Settings of the email-password plugin.
#[derive(Clone)]
pub struct EmailPasswordConfig {
    /// Refuse login until the email is verified (default: true).
    pub require_email_verification: bool,
    /// Lifetime of verification links (default: 24 hours).
    pub verification_ttl: Duration,
    /// Lifetime of password-reset links (default: 30 minutes).
    pub reset_ttl: Duration,
    /// Password rules.
    pub policy: PasswordPolicyConfig,
    /// Breached-password check against the HaveIBeenPwned range API.
    pub hibp: HibpConfig,
    /// Limits of this plugin's operations (applied unless rate limiting is off in the core
    /// configuration).
    pub rate_limits: EmailPasswordRateLimits,
    /// The wording of this plugin's emails ([`DefaultEmailPasswordTemplates`] unless replaced).
    pub templates: Arc<dyn EmailPasswordTemplates>,
}

impl Default for EmailPasswordConfig {
    fn default() -> Self {
        Self {
            require_email_verification: true,
            verification_ttl: Duration::hours(24),
            reset_ttl: Duration::minutes(30),
            policy: PasswordPolicyConfig::default(),
            hibp: HibpConfig::default(),
            rate_limits: EmailPasswordRateLimits::default(),
            templates: Arc::new(DefaultEmailPasswordTemplates),
        }
    }
}

impl std::fmt::Debug for EmailPasswordConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailPasswordConfig")
            .field(
                "require_email_verification",
                &self.require_email_verification,
            )
            .field("verification_ttl", &self.verification_ttl)
            .field("reset_ttl", &self.reset_ttl)
            .field("policy", &self.policy)
            .field("hibp", &self.hibp)
            .field("rate_limits", &self.rate_limits)
            .finish_non_exhaustive()
    }
}

/// Rate limits of the email-password operations, each per client IP and, where the operation
/// names an account, per account.
#[derive(Debug, Clone)]
pub struct EmailPasswordRateLimits {
    /// Login attempts (and password changes, per user).
    pub login: RateLimit,
    /// Registrations.
    pub register: RateLimit,
    /// Password-reset requests.
    pub forgot_password: RateLimit,
    /// Verification-email resends.
    pub resend_verification: RateLimit,
    /// Token submissions (verify email, reset password).
    pub token_submit: RateLimit,
}

impl Default for EmailPasswordRateLimits {
    fn default() -> Self {
        Self {
            login: RateLimit::new(10, Duration::minutes(1)),
            register: RateLimit::new(5, Duration::minutes(10)),
            forgot_password: RateLimit::new(5, Duration::minutes(15)),
            resend_verification: RateLimit::new(5, Duration::minutes(15)),
            token_submit: RateLimit::new(20, Duration::minutes(10)),
        }
    }
}

impl EmailPasswordRateLimits {
    pub(crate) fn validate(&self) -> Result<(), String> {
        self.login.validate("login")?;
        self.register.validate("register")?;
        self.forgot_password.validate("forgot_password")?;
        self.resend_verification.validate("resend_verification")?;
        self.token_submit.validate("token_submit")
    }
}
