//! Configuration of the admin plugin.

use time::Duration;

/// Settings of the admin plugin ([`YAuthBuilder::with_admin`](crate::YAuthBuilder::with_admin)).
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// Whether administrators may start a session as a user. Default: on.
    pub allow_impersonation: bool,
    /// How long an impersonation session lives, in all (it is not renewed by use). Default: 15
    /// minutes; at most one hour.
    pub impersonation_ttl: Duration,
    /// Emails whose accounts are made administrators when they sign in with a verified email
    /// (`AdminBootstrapped` is audited): how the first administrator comes to exist. Unverified
    /// accounts are never promoted, so registering someone else's address gains nothing.
    pub bootstrap_admins: Vec<String>,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            allow_impersonation: true,
            impersonation_ttl: Duration::minutes(15),
            bootstrap_admins: Vec::new(),
        }
    }
}

impl AdminConfig {
    /// Checks the settings; the message says what is wrong.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.impersonation_ttl < Duration::minutes(1)
            || self.impersonation_ttl > Duration::hours(1)
        {
            return Err("impersonation_ttl must be between 1 minute and 1 hour".to_owned());
        }
        if let Some(bad) = self
            .bootstrap_admins
            .iter()
            .find(|email| crate::input::check_email_syntax(email).is_err())
        {
            return Err(format!("bootstrap_admins holds an invalid email: {bad:?}"));
        }
        Ok(())
    }
}
