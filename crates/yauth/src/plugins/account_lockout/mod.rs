//! The account-lockout plugin: per-account brute-force protection on top of the per-client
//! rate limits.
//!
//! - Failed password sign-ins (`/login` and `/token`) are counted per email address, from
//!   every client. At `max_failed_attempts` within `failure_window` the address locks for
//!   `base_lock_duration`, doubling with each further lock within `backoff_memory` up to
//!   `max_lock_duration`; while locked, password sign-ins answer 429 `account_locked`
//!   (`Retry-After` when the lock ends on its own). Passkeys and magic links still work: they
//!   cannot be guessed.
//! - Unknown addresses are counted and locked exactly like accounts, so a lock reveals nothing
//!   about which addresses have one (see `docs/security.md`).
//! - The owner of a locked account gets an email with a single-use unlock link;
//!   `POST /account/request-unlock` sends a new one (answering the same for any address) and
//!   `POST /account/unlock` spends it. Administrators use `POST /admin/users/{id}/unlock`.

mod config;
mod routes;
mod service;
mod templates;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;

use crate::builder::{BuildError, PendingPlugin, PluginId, YAuthBuilder};
use crate::plugin::{PluginState, YAuthPlugin};
use crate::state::YAuthState;

pub use config::AccountLockoutConfig;
pub use routes::{RequestUnlockRequest, UnlockRequest};
pub(crate) use service::Lockout;
pub use templates::{AccountLockedContext, DefaultLockoutTemplates, LockoutTemplates};

/// State of the plugin's handlers.
pub(crate) type LockoutState = PluginState<Lockout>;

/// The plugin itself; added with [`YAuthBuilder::with_account_lockout`].
pub struct AccountLockoutPlugin {
    lockout: Arc<Lockout>,
}

impl YAuthBuilder {
    /// Enables account lockout (needs the email-password plugin).
    pub fn with_account_lockout(self, config: AccountLockoutConfig) -> Self {
        if let Err(message) = config.validate() {
            return self.add_error(BuildError::InvalidPluginConfig {
                plugin: "account-lockout",
                message,
            });
        }
        let Some(repo) = self.repositories().account_lockout.clone() else {
            return self.add_error(BuildError::MissingRepository {
                plugin: "account-lockout",
                tables: PluginId::AccountLockout.tables(),
            });
        };
        let lockout = Arc::new(Lockout { config, repo });
        self.set_lockout(lockout.clone())
            .add_builtin(PendingPlugin {
                plugin: Arc::new(AccountLockoutPlugin { lockout }),
                id: Some(PluginId::AccountLockout),
                sends_email: true,
            })
    }
}

impl YAuthPlugin for AccountLockoutPlugin {
    fn name(&self) -> &'static str {
        "account-lockout"
    }

    fn public_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::public(PluginState::new(state.clone(), self.lockout.clone()))
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::protected(PluginState::new(state.clone(), self.lockout.clone()))
    }
}
