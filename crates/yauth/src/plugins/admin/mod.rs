//! The admin plugin: user management, bans, sessions and impersonation, for back-office tools.
//! Every route needs `role = "admin"` (403 `forbidden` otherwise).
//!
//! - `GET /admin/users` searches users (email or name, case-insensitive), filters by role and
//!   ban, and pages with a total; `GET`, `PUT` and `DELETE /admin/users/{id}` read, update
//!   (role, display name, email verification) and delete one (with everything it owns).
//!   Administrators cannot demote or delete themselves, and the last administrator cannot be
//!   demoted (409 `last_admin`).
//! - `POST /admin/users/{id}/ban` (reason, optional end) revokes every session, refresh token
//!   and live access token of the user at once; API keys stop working because every request
//!   re-reads the owner. `POST /admin/users/{id}/unban` lifts it. Administrators cannot be
//!   banned: demote them first.
//! - `GET /admin/audit` reads the audit trail by user, event type and time range.
//! - `GET /admin/sessions` lists active sessions (optionally of one user);
//!   `DELETE /admin/sessions/{id}` ends one.
//! - `POST /admin/users/{id}/impersonate` (step-up, session cookie) starts a short session as a
//!   non-admin user, tagged with the administrator; the administrator's own session is kept in
//!   a second cookie, and `POST /admin/impersonation/stop` returns to it. An impersonation
//!   session never passes step-up, so it cannot change the user's password, factors or keys.
//!
//! Every change is an audit event (`user_banned`, `impersonation_started`, ...) naming the
//! administrator.

mod config;
mod routes;

use std::sync::Arc;

use async_trait::async_trait;
use utoipa_axum::router::OpenApiRouter;
use yauth_entity::{ADMIN_ROLE, UserUpdate, normalize_email};

use crate::builder::{BuildError, PendingPlugin, PluginId, YAuthBuilder};
use crate::events::{AuthEvent, EventContext, EventResponse};
use crate::plugin::{PluginState, YAuthPlugin};
use crate::state::YAuthState;

pub use config::AdminConfig;
pub use routes::{
    AdminSession, AdminUser, AdminUserDetail, AuditListQuery, BanRequest, ImpersonationResponse,
    SessionList, SessionListQuery, UpdateUserRequest, UserList, UserListQuery,
};

pub(crate) struct Inner {
    pub config: AdminConfig,
    /// Normalised `bootstrap_admins`.
    pub bootstrap: Vec<String>,
    /// Serialises the changes that can remove an administrator (demotion, deletion), so two
    /// administrators removing each other at once cannot leave none. It holds within one
    /// process; see `docs/security.md` for replicas.
    pub admin_removal: tokio::sync::Mutex<()>,
}

/// State of the plugin's handlers.
pub(crate) type AdminState = PluginState<Inner>;

/// The plugin itself; added with [`YAuthBuilder::with_admin`].
pub struct AdminPlugin {
    inner: Arc<Inner>,
}

impl YAuthBuilder {
    /// Enables the admin routes.
    pub fn with_admin(self, config: AdminConfig) -> Self {
        if let Err(message) = config.validate() {
            return self.add_error(BuildError::InvalidPluginConfig {
                plugin: "admin",
                message,
            });
        }
        let bootstrap = config
            .bootstrap_admins
            .iter()
            .map(|e| normalize_email(e))
            .collect();
        self.add_builtin(PendingPlugin {
            plugin: Arc::new(AdminPlugin {
                inner: Arc::new(Inner {
                    config,
                    bootstrap,
                    admin_removal: tokio::sync::Mutex::new(()),
                }),
            }),
            id: Some(PluginId::Admin),
            sends_email: false,
        })
    }
}

#[async_trait]
impl YAuthPlugin for AdminPlugin {
    fn name(&self) -> &'static str {
        "admin"
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::protected(PluginState::new(state.clone(), self.inner.clone()))
    }

    /// Promotes a bootstrap email's verified account when it signs in.
    async fn on_event(
        &self,
        event: &AuthEvent,
        ctx: &EventContext,
        state: &YAuthState,
    ) -> EventResponse {
        let AuthEvent::LoginSucceeded { user_id, .. } = event else {
            return EventResponse::Continue;
        };
        if self.inner.bootstrap.is_empty() {
            return EventResponse::Continue;
        }
        let users = &state.repos().users;
        let user = match users.find_user(*user_id).await {
            Ok(Some(user)) => user,
            Ok(None) => return EventResponse::Continue,
            Err(error) => {
                tracing::error!(%error, "admin bootstrap: reading the user failed");
                return EventResponse::Continue;
            }
        };
        if user.role == ADMIN_ROLE
            || !user.email_verified
            || !self.inner.bootstrap.contains(&user.email)
        {
            return EventResponse::Continue;
        }
        let promote = UserUpdate {
            role: Some(ADMIN_ROLE.to_owned()),
            ..UserUpdate::default()
        };
        match users.update_user(user.id, &promote, state.now()).await {
            Ok(_) => {
                Box::pin(state.emit(AuthEvent::AdminBootstrapped { user_id: user.id }, ctx)).await;
            }
            Err(error) => tracing::error!(%error, "admin bootstrap: promotion failed"),
        }
        EventResponse::Continue
    }
}
