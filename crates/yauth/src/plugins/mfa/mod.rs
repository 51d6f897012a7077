//! The mfa plugin: a TOTP second factor with one-time backup codes, required on every login of
//! a user who enabled it.
//!
//! - `POST /mfa/totp/setup` (step-up) stores a new secret, sealed by the key ring, and answers it
//!   with its `otpauth://` URI and fresh backup codes, shown this once. MFA is off until
//!   `POST /mfa/totp/confirm` proves the authenticator app has the secret.
//! - A login of a user with MFA on answers `mfa_required` with a pending login instead of a
//!   session. `POST /mfa/verify` finishes it with a TOTP code or a backup code; the pending login
//!   expires after `pending_login_ttl` and is void after `max_attempts` wrong codes.
//! - A TOTP time step is accepted once per user (the last used step is stored atomically), so a
//!   code cannot be replayed, not even concurrently; backup codes are hashed and spent atomically.
//! - `DELETE /mfa/totp` (step-up plus a code) turns MFA off; `GET /mfa/backup-codes` counts the
//!   codes left and `POST /mfa/backup-codes/regenerate` (step-up) replaces them.

mod backup_codes;
mod config;
pub(crate) mod pending;
mod routes;
mod totp;

use std::sync::Arc;

use async_trait::async_trait;
use utoipa_axum::router::OpenApiRouter;
use yauth_store::MfaRepository;

use crate::builder::{BuildError, PendingPlugin, PluginId, YAuthBuilder};
use crate::events::{AuthEvent, EventContext, EventResponse};
use crate::plugin::{PluginState, YAuthPlugin};
use crate::state::YAuthState;

pub use config::MfaConfig;
pub use routes::{
    BackupCodeCount, BackupCodes, MfaCodeRequest, MfaSetupResponse, MfaVerifyRequest,
};

pub(crate) struct Inner {
    pub config: MfaConfig,
    /// Resolved from the backend when the plugin was added.
    pub repo: Arc<dyn MfaRepository>,
}

/// State of the plugin's handlers.
pub(crate) type MfaState = PluginState<Inner>;

/// The plugin itself; added with [`YAuthBuilder::with_mfa`].
pub struct MfaPlugin {
    inner: Arc<Inner>,
}

impl YAuthBuilder {
    /// Enables TOTP second factors with backup codes. Needs a key ring
    /// ([`with_secret_key`](Self::with_secret_key)): the TOTP secrets are sealed at rest.
    pub fn with_mfa(self, config: MfaConfig) -> Self {
        if let Err(message) = config.validate() {
            return self.add_error(BuildError::InvalidPluginConfig {
                plugin: "mfa",
                message,
            });
        }
        let Some(repo) = self.repositories().mfa.clone() else {
            return self.add_error(BuildError::MissingRepository {
                plugin: "mfa",
                tables: PluginId::Mfa.tables(),
            });
        };
        self.add_builtin(PendingPlugin {
            plugin: Arc::new(MfaPlugin {
                inner: Arc::new(Inner { config, repo }),
            }),
            id: Some(PluginId::Mfa),
            sends_email: false,
        })
    }
}

#[async_trait]
impl YAuthPlugin for MfaPlugin {
    fn name(&self) -> &'static str {
        "mfa"
    }

    fn public_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::public(self.state(state))
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::protected(self.state(state))
    }

    /// Every first-factor login of a user with confirmed TOTP stops here with a pending login;
    /// the login that `/mfa/verify` completes (its methods include `mfa`) passes.
    async fn on_event(
        &self,
        event: &AuthEvent,
        _ctx: &EventContext,
        state: &YAuthState,
    ) -> EventResponse {
        let AuthEvent::LoginSucceeded {
            user_id,
            amr,
            remember_me,
            issue,
            ..
        } = event
        else {
            return EventResponse::Continue;
        };
        if amr.contains(&"mfa") {
            return EventResponse::Continue;
        }
        let s = self.state(state);
        match pending::require_second_factor(&s, *user_id, amr, *remember_me, *issue).await {
            Ok(None) => EventResponse::Continue,
            Ok(Some(pending_session_id)) => EventResponse::RequireMfa { pending_session_id },
            // Fail closed: without knowing whether MFA is on, no session is created.
            Err(error) => {
                tracing::warn!(%error, "mfa check failed during login");
                EventResponse::Block {
                    status: 503,
                    code: "unavailable",
                    message: "The service is temporarily unavailable; try again shortly.".into(),
                }
            }
        }
    }
}

impl MfaPlugin {
    fn state(&self, core: &YAuthState) -> MfaState {
        PluginState::new(core.clone(), self.inner.clone())
    }
}
