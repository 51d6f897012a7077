//! The passkey plugin's configuration.

use time::Duration;
use uuid::Uuid;

use crate::config::RateLimit;

/// What a sign-in does when the authenticator's signature counter has not moved forward since the
/// last one: the sign of a cloned credential (two copies of the private key in use), or of an
/// authenticator with a faulty counter. Synced passkeys usually report 0 every time, which is not
/// a regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CounterPolicy {
    /// Refuse the sign-in with `401 passkey_possibly_cloned` (default).
    #[default]
    Refuse,
    /// Log a warning and let the sign-in through (for fleets of authenticators known to
    /// misreport their counter).
    Warn,
}

/// Settings of the passkey (WebAuthn) plugin. The relying party is derived from the core
/// configuration: its id is the host of `base_url`, its origin the origin of `base_url`, its name
/// `app_name`.
#[derive(Clone)]
pub struct PasskeyConfig {
    /// Require user verification (PIN, biometrics) on every ceremony. Default `true`, and the
    /// only value accepted: the WebAuthn library's passkey ceremonies always demand it, so
    /// `false` is refused by `build()` rather than silently ignored.
    pub require_user_verification: bool,
    /// Authenticator models (AAGUIDs) allowed to register; empty allows every model. Without
    /// attestation the AAGUID is the authenticator's own claim, so this steers honest
    /// authenticators (e.g. "company security keys only") and is no defence against a forged one.
    pub allowed_aaguids: Vec<Uuid>,
    /// How long a ceremony (registration or sign-in) may take between its start and its finish;
    /// also the timeout given to the browser. Default 5 minutes.
    pub challenge_ttl: Duration,
    /// What a signature counter that did not move forward does (default: refuse).
    pub counter_policy: CounterPolicy,
    /// Passkeys one account may hold (default 20).
    pub max_passkeys_per_user: usize,
    /// Sign-in starts per client address.
    pub login_start_rate_limit: RateLimit,
    /// Sign-in finishes per client address.
    pub login_finish_rate_limit: RateLimit,
    /// The secret that derives the decoy credential ids answered for an unknown email, so the
    /// answer is stable per address and looks like a real one. `None` draws a random key at
    /// start-up: decoys then change on restart and differ between replicas, which an attacker
    /// comparing answers over time could notice; set the same 32 bytes (from your secret store)
    /// on every replica to close that.
    pub decoy_key: Option<[u8; 32]>,
}

impl Default for PasskeyConfig {
    fn default() -> Self {
        Self {
            require_user_verification: true,
            allowed_aaguids: Vec::new(),
            challenge_ttl: Duration::minutes(5),
            counter_policy: CounterPolicy::Refuse,
            max_passkeys_per_user: 20,
            login_start_rate_limit: RateLimit::new(30, Duration::minutes(5)),
            login_finish_rate_limit: RateLimit::new(30, Duration::minutes(5)),
            decoy_key: None,
        }
    }
}

impl std::fmt::Debug for PasskeyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasskeyConfig")
            .field("require_user_verification", &self.require_user_verification)
            .field("allowed_aaguids", &self.allowed_aaguids)
            .field("challenge_ttl", &self.challenge_ttl)
            .field("counter_policy", &self.counter_policy)
            .field("max_passkeys_per_user", &self.max_passkeys_per_user)
            .field("login_start_rate_limit", &self.login_start_rate_limit)
            .field("login_finish_rate_limit", &self.login_finish_rate_limit)
            .field("decoy_key", &self.decoy_key.map(|_| "<redacted>"))
            .finish()
    }
}

impl PasskeyConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !self.require_user_verification {
            return Err(
                "require_user_verification = false is not supported: passkey \
                        ceremonies always require user verification"
                    .into(),
            );
        }
        if self.challenge_ttl < Duration::seconds(30) || self.challenge_ttl > Duration::minutes(30)
        {
            return Err("challenge_ttl must be between 30 seconds and 30 minutes".into());
        }
        if !(1..=100).contains(&self.max_passkeys_per_user) {
            return Err("max_passkeys_per_user must be between 1 and 100".into());
        }
        self.login_start_rate_limit
            .validate("login_start_rate_limit")?;
        self.login_finish_rate_limit
            .validate("login_finish_rate_limit")?;
        Ok(())
    }
}
