//! The magic-link plugin: passwordless sign-in by a single-use link sent by email.
//!
//! - `POST /magic-link/send` answers the same for every address; the account lookup and the
//!   email happen in the background. It is rate-limited per client address and per email.
//! - `POST /magic-link/verify` consumes the token atomically (one session per link, however many
//!   requests race) and ends in the one login path, so MFA applies. The link also proves the
//!   address: an unverified account becomes verified, and with `allow_sign_up` an unknown
//!   address gets an account.

mod config;
mod routes;
pub mod templates;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;
use yauth_store::MagicLinkRepository;

use crate::builder::{BuildError, PendingPlugin, PluginId, YAuthBuilder};
use crate::plugin::{PluginState, YAuthPlugin};
use crate::state::YAuthState;

pub use config::MagicLinkConfig;
pub use routes::{MagicLinkSendRequest, MagicLinkVerifyRequest};

pub(crate) struct Inner {
    pub config: MagicLinkConfig,
    /// Resolved from the backend when the plugin was added.
    pub repo: Arc<dyn MagicLinkRepository>,
}

/// State of the plugin's handlers.
pub(crate) type MagicLinkState = PluginState<Inner>;

/// The plugin itself; added with [`YAuthBuilder::with_magic_link`].
pub struct MagicLinkPlugin {
    inner: Arc<Inner>,
}

impl YAuthBuilder {
    /// Enables sign-in by emailed single-use links. Needs an email sender.
    pub fn with_magic_link(self, config: MagicLinkConfig) -> Self {
        if let Err(message) = config.validate() {
            return self.add_error(BuildError::InvalidPluginConfig {
                plugin: "magic-link",
                message,
            });
        }
        let Some(repo) = self.repositories().magic_links.clone() else {
            return self.add_error(BuildError::MissingRepository {
                plugin: "magic-link",
                tables: PluginId::MagicLink.tables(),
            });
        };
        self.add_builtin(PendingPlugin {
            plugin: Arc::new(MagicLinkPlugin {
                inner: Arc::new(Inner { config, repo }),
            }),
            id: Some(PluginId::MagicLink),
            sends_email: true,
        })
    }
}

impl YAuthPlugin for MagicLinkPlugin {
    fn name(&self) -> &'static str {
        "magic-link"
    }

    fn public_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::public(PluginState::new(state.clone(), self.inner.clone()))
    }
}
