//! The mfa plugin's configuration.

use time::Duration;

use crate::config::RateLimit;

/// Settings of the mfa plugin (TOTP and backup codes).
#[derive(Debug, Clone)]
pub struct MfaConfig {
    /// The issuer shown in authenticator apps; `None` uses the core `app_name`.
    pub issuer: Option<String>,
    /// Backup codes issued at setup and on regeneration (default 10).
    pub backup_code_count: usize,
    /// How long a login that answered `mfa_required` waits for its second factor (default 5
    /// minutes).
    pub pending_login_ttl: Duration,
    /// Wrong codes a pending login survives; the next attempt finds it void (default 5).
    pub max_attempts: u32,
    /// Time steps of clock drift accepted either side of now (default 1, i.e. ±30 s).
    pub skew_steps: i64,
    /// Verification attempts per client address, across pending logins.
    pub verify_rate_limit: RateLimit,
}

impl Default for MfaConfig {
    fn default() -> Self {
        Self {
            issuer: None,
            backup_code_count: 10,
            pending_login_ttl: Duration::minutes(5),
            max_attempts: 5,
            skew_steps: 1,
            verify_rate_limit: RateLimit::new(30, Duration::minutes(5)),
        }
    }
}

impl MfaConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(1..=50).contains(&self.backup_code_count) {
            return Err("backup_code_count must be between 1 and 50".into());
        }
        if self.pending_login_ttl <= Duration::ZERO || self.pending_login_ttl > Duration::hours(1) {
            return Err("pending_login_ttl must be positive and at most one hour".into());
        }
        if self.max_attempts == 0 || self.max_attempts > 20 {
            return Err("max_attempts must be between 1 and 20".into());
        }
        if !(0..=2).contains(&self.skew_steps) {
            return Err("skew_steps must be 0, 1 or 2".into());
        }
        if self.verify_rate_limit.max == 0 || self.verify_rate_limit.window <= Duration::ZERO {
            return Err("verify_rate_limit needs a positive max and window".into());
        }
        if self
            .issuer
            .as_deref()
            .is_some_and(|i| i.trim().is_empty() || i.contains(':'))
        {
            return Err("issuer must be non-empty and contain no ':'".into());
        }
        Ok(())
    }
}
