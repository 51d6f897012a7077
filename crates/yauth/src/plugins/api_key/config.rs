//! The api-key plugin's configuration.

use time::Duration;

/// Settings of the api-key plugin.
#[derive(Debug, Clone)]
pub struct ApiKeyConfig {
    /// The scopes a key may carry. `None` (default) accepts any well-formed scope the creator
    /// holds; a list refuses every other scope with 400 `invalid_scope`.
    pub allowed_scopes: Option<Vec<String>>,
    /// The longest lifetime a key may have; a key without an expiry is then refused. `None`
    /// (default) allows keys that never expire.
    pub max_lifetime: Option<Duration>,
    /// How many keys one user may hold (default 25); creating more is 409 `too_many_api_keys`.
    pub max_keys_per_user: usize,
    /// How often, at most, `last_used_at` is written per key (default one minute), so that
    /// authenticating with a key does not write to the database on every request.
    pub last_used_resolution: Duration,
}

impl Default for ApiKeyConfig {
    fn default() -> Self {
        Self {
            allowed_scopes: None,
            max_lifetime: None,
            max_keys_per_user: 25,
            last_used_resolution: Duration::minutes(1),
        }
    }
}

impl ApiKeyConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if let Some(bad) = self
            .allowed_scopes
            .iter()
            .flatten()
            .find(|s| !super::key::is_scope(s))
        {
            return Err(format!("allowed_scopes: {bad:?} is not a valid scope"));
        }
        if self.max_lifetime.is_some_and(|d| d <= Duration::ZERO) {
            return Err("max_lifetime must be positive".into());
        }
        if self.max_keys_per_user == 0 {
            return Err("max_keys_per_user must be at least 1".into());
        }
        if self.last_used_resolution < Duration::ZERO {
            return Err("last_used_resolution must not be negative".into());
        }
        Ok(())
    }
}
