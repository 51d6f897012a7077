//! yauth: modular, plugin-based authentication for axum.
//!
//! Compose plugins over a storage backend with [`YAuthBuilder`], then nest the router:
//!
//! ```
//! use yauth::{YAuthBuilder, YAuthConfig};
//! use yauth::store::InMemoryBackend;
//! use yauth::email::LogEmailSender;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let yauth = YAuthBuilder::new(InMemoryBackend::new(), YAuthConfig::new("http://localhost:3000"))
//!     .with_email_sender(LogEmailSender)
//!     .with_email_password(Default::default())
//!     .build()
//!     .await
//!     .expect("valid configuration");
//!
//! let app = axum::Router::new().nest("/api/auth", yauth.router());
//! // axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
//! # let _ = app;
//! # });
//! ```
//!
//! - Core routes (always): `GET /session`, `POST /logout`, `PATCH /me`, `GET /sessions`,
//!   `DELETE /sessions`, `DELETE /sessions/{id}`.
//! - Plugins add theirs (see [`plugins`]); custom plugins implement [`YAuthPlugin`].
//! - Handlers behind the auth middleware take [`AuthUser`], [`RequireAdmin`] or
//!   [`RequireScope`]; put your own routes behind it with [`YAuth::protect`].
//! - Errors are JSON `{"error": {"code", "message"}}` with stable codes ([`ApiError`]).

pub mod auth;
pub mod backends;
mod builder;
pub mod client_ip;
pub mod config;
pub mod crypto;
pub mod email;
pub mod error;
pub mod events;
pub mod extract;
pub mod input;
pub mod keyring;
pub mod login;
mod openapi;
#[cfg(feature = "openapi")]
mod openapi_doc;
pub mod plugin;
pub mod plugins;
mod purge;
mod rate_limit;
pub mod routes;
mod session;
mod state;

pub use auth::{AuthMethod, AuthUser, RequireAdmin, RequireScope, Scope};
pub use builder::{BuildError, PluginId, YAuth, YAuthBuilder};
pub use config::{BindingAction, RateLimit, RateLimitConfig, SessionConfig, YAuthConfig};
pub use error::{ApiError, ApiResult};
pub use events::{AuthEvent, EventContext, EventResponse};
#[cfg(feature = "openapi")]
pub use openapi_doc::full_openapi_json;
pub use plugin::{Authenticator, PluginState, YAuthPlugin};
pub use state::YAuthState;

pub use yauth_entity as entity;
pub use yauth_store as store;

/// The names most applications need.
pub mod prelude {
    pub use crate::backends;
    pub use crate::email::{EmailSender, LogEmailSender};
    #[cfg(feature = "email-password")]
    pub use crate::plugins::email_password::EmailPasswordConfig;
    pub use crate::{AuthUser, RequireAdmin, YAuth, YAuthBuilder, YAuthConfig};
}

/// `docs/plugins.md`, compiled and run as a doctest so its example cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/plugins.md")]
pub struct PluginsGuide;

/// `docs/oauth.md`, compiled as a doctest so its configuration cannot rot.
#[cfg(all(doctest, feature = "oauth"))]
#[doc = include_str!("../../../docs/oauth.md")]
pub struct OauthGuide;
