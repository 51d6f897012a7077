//! The account-lockout plugin's configuration.

use std::sync::Arc;

use time::Duration;

use super::templates::{DefaultLockoutTemplates, LockoutTemplates};
use crate::config::RateLimit;

/// Settings of the account-lockout plugin.
#[derive(Clone)]
pub struct AccountLockoutConfig {
    /// Failed password sign-ins per email address, from any client, that lock it (default 5).
    pub max_failed_attempts: u32,
    /// The failures are counted in a window that starts at the first one (default 15 minutes).
    pub failure_window: Duration,
    /// The first lock's length (default 5 minutes); each further lock within `backoff_memory`
    /// lasts twice as long as the one before.
    pub base_lock_duration: Duration,
    /// The longest lock (default 24 hours).
    pub max_lock_duration: Duration,
    /// How long a lock counts towards the next one's doubling (default 24 hours).
    pub backoff_memory: Duration,
    /// Locks end on their own when their time is up (default). Off, a lock lasts until its
    /// owner uses an unlock link or an administrator lifts it.
    pub auto_unlock: bool,
    /// Email the owner of a locked account an unlock link (default on).
    pub notify_owner: bool,
    /// Lifetime of an unlock link (default 1 hour).
    pub unlock_token_ttl: Duration,
    /// `POST /account/request-unlock` per client address and, separately, per email address.
    pub request_unlock_rate_limit: RateLimit,
    /// `POST /account/unlock` attempts per client address.
    pub unlock_rate_limit: RateLimit,
    /// The wording of the email ([`DefaultLockoutTemplates`] unless replaced).
    pub templates: Arc<dyn LockoutTemplates>,
}

impl Default for AccountLockoutConfig {
    fn default() -> Self {
        Self {
            max_failed_attempts: 5,
            failure_window: Duration::minutes(15),
            base_lock_duration: Duration::minutes(5),
            max_lock_duration: Duration::hours(24),
            backoff_memory: Duration::hours(24),
            auto_unlock: true,
            notify_owner: true,
            unlock_token_ttl: Duration::hours(1),
            request_unlock_rate_limit: RateLimit::new(5, Duration::minutes(15)),
            unlock_rate_limit: RateLimit::new(30, Duration::minutes(5)),
            templates: Arc::new(DefaultLockoutTemplates),
        }
    }
}

impl std::fmt::Debug for AccountLockoutConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountLockoutConfig")
            .field("max_failed_attempts", &self.max_failed_attempts)
            .field("failure_window", &self.failure_window)
            .field("base_lock_duration", &self.base_lock_duration)
            .field("max_lock_duration", &self.max_lock_duration)
            .field("backoff_memory", &self.backoff_memory)
            .field("auto_unlock", &self.auto_unlock)
            .field("notify_owner", &self.notify_owner)
            .field("unlock_token_ttl", &self.unlock_token_ttl)
            .finish_non_exhaustive()
    }
}

impl AccountLockoutConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.max_failed_attempts == 0 {
            return Err("max_failed_attempts must be at least 1".into());
        }
        for (name, d) in [
            ("failure_window", self.failure_window),
            ("base_lock_duration", self.base_lock_duration),
            ("backoff_memory", self.backoff_memory),
            ("unlock_token_ttl", self.unlock_token_ttl),
        ] {
            if d <= Duration::ZERO {
                return Err(format!("{name} must be positive"));
            }
        }
        if self.max_lock_duration < self.base_lock_duration {
            return Err("max_lock_duration must be at least base_lock_duration".into());
        }
        if self.unlock_token_ttl > Duration::hours(24) {
            return Err("unlock_token_ttl must be at most 24 hours".into());
        }
        for (name, limit) in [
            ("request_unlock_rate_limit", self.request_unlock_rate_limit),
            ("unlock_rate_limit", self.unlock_rate_limit),
        ] {
            if limit.max == 0 || limit.window <= Duration::ZERO {
                return Err(format!("{name} needs a positive max and window"));
            }
        }
        Ok(())
    }

    /// The length of the `level`-th lock within the backoff memory (1 is the first).
    pub(crate) fn lock_duration(&self, level: u32) -> Duration {
        let factor = 2_i32.saturating_pow(level.saturating_sub(1).min(30));
        self.base_lock_duration
            .checked_mul(factor)
            .unwrap_or(self.max_lock_duration)
            .min(self.max_lock_duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_double_up_to_the_cap() {
        let config = AccountLockoutConfig::default();
        let minutes: Vec<i64> = (1..=11)
            .map(|level| config.lock_duration(level).whole_minutes())
            .collect();
        assert_eq!(
            minutes,
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 1440, 1440]
        );
        assert_eq!(config.lock_duration(u32::MAX), Duration::hours(24));
    }
}
