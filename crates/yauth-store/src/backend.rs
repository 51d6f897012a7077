//! The backend contract: what a storage backend hands the library.

use std::sync::Arc;

use crate::repos::*;
use crate::{StoreError, StoreResult};

/// A storage backend: the source of every repository.
///
/// Core repositories are mandatory; plugin repositories are optional so that a third-party backend
/// can support a subset of plugins. The library checks at `build()` that every enabled plugin has
/// its repository and refuses to start otherwise.
pub trait DatabaseBackend: Send + Sync + 'static {
    /// The repositories, sharing the backend's pool or state.
    fn repositories(&self) -> Repositories;

    /// The database, as OpenTelemetry's `db.system.name` names it (`postgresql`, `mysql`,
    /// `sqlite`), for the spans of storage calls. `other_sql` unless the backend says.
    fn db_system(&self) -> &'static str {
        "other_sql"
    }
}

/// Every repository of a backend. Cloning is cheap (reference counts).
#[derive(Clone)]
pub struct Repositories {
    /// Users.
    pub users: Arc<dyn UserRepository>,
    /// Sessions.
    pub sessions: Arc<dyn SessionRepository>,
    /// Audit log.
    pub audit: Arc<dyn AuditLogRepository>,
    /// Challenges.
    pub challenges: Arc<dyn ChallengeRepository>,
    /// Rate limits.
    pub rate_limits: Arc<dyn RateLimitRepository>,
    /// Expiry purge.
    pub maintenance: Arc<dyn MaintenanceRepository>,
    /// email-password plugin.
    pub email_password: Option<Arc<dyn EmailPasswordRepository>>,
    /// passkey plugin.
    pub passkey: Option<Arc<dyn PasskeyRepository>>,
    /// mfa plugin.
    pub mfa: Option<Arc<dyn MfaRepository>>,
    /// oauth plugin.
    pub oauth: Option<Arc<dyn OauthRepository>>,
    /// bearer plugin.
    pub bearer: Option<Arc<dyn BearerRepository>>,
    /// api-key plugin.
    pub api_keys: Option<Arc<dyn ApiKeyRepository>>,
    /// magic-link plugin.
    pub magic_links: Option<Arc<dyn MagicLinkRepository>>,
    /// oauth2-server plugin.
    pub oauth2_server: Option<Arc<dyn Oauth2ServerRepository>>,
    /// account-lockout plugin.
    pub account_lockout: Option<Arc<dyn AccountLockoutRepository>>,
    /// webhooks plugin.
    pub webhooks: Option<Arc<dyn WebhookRepository>>,
    /// oidc plugin.
    pub oidc: Option<Arc<dyn OidcRepository>>,
    /// Sealed values by column, for key-ring rotation (needed by every plugin that stores a
    /// secret: mfa, oauth, webhooks and bearer, whose signing keys oidc uses too).
    pub sealed: Option<Arc<dyn SealedValueRepository>>,
}

impl std::fmt::Debug for Repositories {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repositories")
            .field("plugins", &self.plugin_support())
            .finish()
    }
}

impl Repositories {
    /// Every repository, core and plugin, served by one store that implements them all: what a
    /// complete backend hands out.
    pub fn all<S>(store: &Arc<S>) -> Self
    where
        S: UserRepository
            + SessionRepository
            + AuditLogRepository
            + ChallengeRepository
            + RateLimitRepository
            + MaintenanceRepository
            + EmailPasswordRepository
            + PasskeyRepository
            + MfaRepository
            + OauthRepository
            + BearerRepository
            + ApiKeyRepository
            + MagicLinkRepository
            + Oauth2ServerRepository
            + AccountLockoutRepository
            + WebhookRepository
            + OidcRepository
            + SealedValueRepository
            + 'static,
    {
        Self {
            users: store.clone(),
            sessions: store.clone(),
            audit: store.clone(),
            challenges: store.clone(),
            rate_limits: store.clone(),
            maintenance: store.clone(),
            email_password: Some(store.clone()),
            passkey: Some(store.clone()),
            mfa: Some(store.clone()),
            oauth: Some(store.clone()),
            bearer: Some(store.clone()),
            api_keys: Some(store.clone()),
            magic_links: Some(store.clone()),
            oauth2_server: Some(store.clone()),
            account_lockout: Some(store.clone()),
            webhooks: Some(store.clone()),
            oidc: Some(store.clone()),
            sealed: Some(store.clone()),
        }
    }

    /// Which plugin repositories this backend provides, by plugin name.
    pub fn plugin_support(&self) -> Vec<(&'static str, bool)> {
        vec![
            ("email-password", self.email_password.is_some()),
            ("passkey", self.passkey.is_some()),
            ("mfa", self.mfa.is_some()),
            ("oauth", self.oauth.is_some()),
            ("bearer", self.bearer.is_some()),
            ("api-key", self.api_keys.is_some()),
            ("magic-link", self.magic_links.is_some()),
            ("oauth2-server", self.oauth2_server.is_some()),
            ("account-lockout", self.account_lockout.is_some()),
            ("webhooks", self.webhooks.is_some()),
            ("oidc", self.oidc.is_some()),
        ]
    }

    /// Whether the backend provides the repository of `plugin` (plugins without tables: always).
    pub fn supports(&self, plugin: &str) -> bool {
        self.plugin_support()
            .into_iter()
            .find(|(name, _)| *name == plugin)
            .is_none_or(|(_, present)| present)
    }
}

/// Unwraps an optional plugin repository, or explains which plugin the backend lacks.
pub fn require<T: ?Sized>(repo: &Option<Arc<T>>, plugin: &str) -> StoreResult<Arc<T>> {
    repo.clone().ok_or_else(|| {
        StoreError::Internal(format!(
            "this backend has no repository for the {plugin} plugin"
        ))
    })
}
