//! The shared state every handler and plugin sees.

use std::sync::Arc;

use time::OffsetDateTime;
use yauth_store::{Clock, Repositories};

use crate::config::{ValidatedConfig, YAuthConfig};
use crate::email::{EmailMessage, EmailSender};
use crate::keyring::{KeyRing, Reencryption};
use crate::plugin::{Authenticator, YAuthPlugin};

/// Cheap-to-clone handle on everything yauth runs with: repositories, configuration, clock,
/// email, plugins. Custom plugins receive it.
#[derive(Clone)]
pub struct YAuthState {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub repos: Repositories,
    pub config: YAuthConfig,
    pub derived: ValidatedConfig,
    pub clock: Arc<dyn Clock>,
    pub email: Arc<dyn EmailSender>,
    pub plugins: Vec<Arc<dyn YAuthPlugin>>,
    pub authenticators: Vec<Arc<dyn Authenticator>>,
    pub key_ring: Option<Arc<KeyRing>>,
    /// The instruments of the `telemetry` feature.
    #[cfg(feature = "telemetry")]
    pub metrics: crate::telemetry::Metrics,
    /// The token service, when the bearer plugin is enabled.
    #[cfg(feature = "bearer")]
    pub tokens: Option<Arc<crate::plugins::bearer::Tokens>>,
    /// The lockout rules, when the account-lockout plugin is enabled.
    #[cfg(feature = "account-lockout")]
    pub lockout: Option<Arc<crate::plugins::account_lockout::Lockout>>,
    /// The authorization server, when the oauth2-server plugin is enabled.
    #[cfg(feature = "oauth2-server")]
    pub oauth2_server: Option<Arc<crate::plugins::oauth2_server::Server>>,
    /// Who adds id_tokens to the authorization server's code grants: the oidc plugin.
    #[cfg(feature = "oauth2-server")]
    pub id_tokens: Option<Arc<dyn crate::plugins::oauth2_server::IdTokenIssuer>>,
}

impl std::fmt::Debug for YAuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YAuthState")
            .field("plugins", &self.plugin_names())
            .finish_non_exhaustive()
    }
}

impl YAuthState {
    pub(crate) fn new(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The storage repositories.
    pub fn repos(&self) -> &Repositories {
        &self.inner.repos
    }

    #[cfg(feature = "telemetry")]
    pub(crate) fn metrics(&self) -> &crate::telemetry::Metrics {
        &self.inner.metrics
    }

    /// The configuration.
    pub fn config(&self) -> &YAuthConfig {
        &self.inner.config
    }

    pub(crate) fn derived(&self) -> &ValidatedConfig {
        &self.inner.derived
    }

    /// Now, from the configured clock (UTC, microseconds).
    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    /// The plugins, in order.
    pub fn plugins(&self) -> &[Arc<dyn YAuthPlugin>] {
        &self.inner.plugins
    }

    /// Names of the enabled plugins, in order.
    pub fn plugin_names(&self) -> Vec<&'static str> {
        self.inner.plugins.iter().map(|p| p.name()).collect()
    }

    pub(crate) fn authenticators(&self) -> &[Arc<dyn Authenticator>] {
        &self.inner.authenticators
    }

    /// The key ring that seals stored secrets. `build()` guarantees it to every built-in plugin
    /// that stores secrets; custom plugins that need one should refuse to run without it.
    pub fn key_ring(&self) -> Option<&Arc<KeyRing>> {
        self.inner.key_ring.as_ref()
    }

    /// The token service of the bearer plugin.
    #[cfg(feature = "bearer")]
    pub(crate) fn tokens(&self) -> Option<&Arc<crate::plugins::bearer::Tokens>> {
        self.inner.tokens.as_ref()
    }

    /// The lockout rules of the account-lockout plugin.
    #[cfg(feature = "account-lockout")]
    pub(crate) fn lockout(&self) -> Option<&Arc<crate::plugins::account_lockout::Lockout>> {
        self.inner.lockout.as_ref()
    }

    /// The authorization server of the oauth2-server plugin.
    #[cfg(feature = "oauth2-server")]
    pub(crate) fn oauth2_server(&self) -> Option<&Arc<crate::plugins::oauth2_server::Server>> {
        self.inner.oauth2_server.as_ref()
    }

    /// Who adds id_tokens to the authorization server's code grants, if anyone.
    #[cfg(feature = "oauth2-server")]
    pub(crate) fn id_tokens(
        &self,
    ) -> Option<&Arc<dyn crate::plugins::oauth2_server::IdTokenIssuer>> {
        self.inner.id_tokens.as_ref()
    }

    /// The re-encryption of the sealed columns of the enabled plugins, when there is a key ring
    /// and a backend that can rewrite sealed values.
    pub fn reencryption(&self) -> Option<Reencryption> {
        let ring = self.inner.key_ring.clone()?;
        let store = self.inner.repos.sealed.clone()?;
        let enabled: Vec<&str> = self.plugin_names();
        let columns = crate::keyring::columns_of(&enabled);
        Some(Reencryption::new(ring, store, columns))
    }

    /// A link for emails: `<link base>/<path>?token=<token>`.
    pub fn email_link(&self, path: &str, token: &str) -> String {
        format!("{}?token={}", self.page_link(path), token)
    }

    /// A link to a page of the application: `<link base>/<path>`.
    pub fn page_link(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.inner.derived.link_base,
            path.trim_start_matches('/')
        )
    }

    /// Runs the account-dependent part of an enumeration-safe route (`route` names it in logs) in
    /// a task of its own: the request answers without waiting for it, so neither its storage
    /// calls nor its timing tell whether an account exists, and it completes even when the client
    /// disconnects. Failures are logged.
    pub fn spawn_follow_up<Fut>(&self, route: &'static str, work: Fut)
    where
        Fut: std::future::Future<Output = Result<(), crate::ApiError>> + Send + 'static,
    {
        tokio::spawn(async move {
            if let Err(error) = work.await {
                tracing::error!(%error, route, "background follow-up failed");
            }
        });
    }

    /// Sends an email in a background task: the request neither waits for the mail server nor
    /// reveals through its timing whether a message went out, and a cancelled request still
    /// delivers. Failures are logged.
    pub fn send_email_in_background(&self, message: EmailMessage) {
        let sender = self.inner.email.clone();
        tokio::spawn(async move {
            if let Err(error) = sender.send(&message).await {
                tracing::error!(%error, "sending email failed");
            }
        });
    }
}
