//! yauth: modular, plugin-based authentication for axum.
//!
//! Compose plugins over a storage backend with [`YAuthBuilder`], then nest the router:
//!
//! ```
//! # #[cfg(feature = "memory-backend")] {
//! use yauth::backends::memory::InMemoryBackend;
//! use yauth::email::LogEmailSender;
//! use yauth::{YAuthBuilder, YAuthConfig};
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
//! # }
//! ```
//!
//! `docs/getting-started.md` walks from `cargo yauth init` to a first sign-in on each ORM.
//!
//! # Features
//!
//! Use `default-features = false` and name what you use: the defaults (`email-password`,
//! `diesel-pg-backend`, `smtp`) compile diesel.
//!
//! | feature | what it adds | builder call |
//! |---|---|---|
//! | `email-password` | registration, verification, login, password reset and change | `with_email_password` |
//! | `passkey` | WebAuthn passkeys: sign-in and second factor | `with_passkey` |
//! | `mfa` | TOTP and backup codes | `with_mfa` |
//! | `magic-link` | sign-in by emailed link | `with_magic_link` |
//! | `oauth` | sign-in with Google, GitHub, Microsoft, Apple, GitLab, Discord or any OpenID provider | `with_oauth` |
//! | `bearer` | access and refresh tokens (JWT, RFC 9068), `YAuth::jwks` | `with_bearer` |
//! | `paseto` | PASETO v4.public access tokens (implies `bearer`) | `BearerConfig::format` |
//! | `api-key` | API keys with scopes | `with_api_keys` |
//! | `admin` | user administration, bans, impersonation, audit trail | `with_admin` |
//! | `account-lockout` | locking an address after failed sign-ins (implies `email-password`) | `with_account_lockout` |
//! | `oauth2-server` | an OAuth 2.0 authorization server: authorization code with PKCE, refresh, client credentials, the device grant, introspection, revocation, registration (implies `bearer`) | `with_oauth2_server` |
//! | `oidc` | an OpenID Provider on top of `oauth2-server`: id_tokens, discovery, `/userinfo`, RP-initiated logout | `with_oidc` |
//! | `webhooks` | signed callbacks on auth events (Standard Webhooks), from a durable outbox, behind an SSRF guard | `with_webhooks` |
//! | `status` | `GET /status`: the enabled plugins | `with_status` |
//! | `redis` | validated sessions cached and rate limits counted in Redis, shared by replicas, with database fallback | `with_redis` |
//! | `openapi` | [`full_openapi_json`]: the OpenAPI document of every plugin | |
//! | `full` | every plugin above (no backend) | |
//! | `smtp` | `email::SmtpEmailSender`: async SMTP with STARTTLS or TLS | `with_email_sender` |
//! | `memory-backend` | `backends::memory::InMemoryBackend`: no database (tests, prototypes) | |
//! | `sqlx-pg-backend`, `sqlx-mysql-backend`, `sqlx-sqlite-backend` | `backends::sqlx_*`: sqlx 0.9 | |
//! | `diesel-pg-backend`, `diesel-mysql-backend`, `diesel-sqlite-backend` | `backends::diesel_*`: diesel-async 0.9 | |
//! | `seaorm-pg-backend`, `seaorm-mysql-backend`, `seaorm-sqlite-backend` | `backends::seaorm_*`: SeaORM 2 | |
//! | `all-backends` | every backend above | |
//!
//! libSQL / Turso is the separate crate `yauth-libsql` (its SQLite cannot share a binary with
//! sqlx's). `telemetry` and organizations are not part of this release.
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
#[cfg(feature = "redis")]
pub mod cache;
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
#[cfg(feature = "telemetry")]
pub mod telemetry;

pub use auth::{AuthMethod, AuthUser, RequireAdmin, RequireScope, Scope};
pub use builder::{BuildError, PluginId, YAuth, YAuthBuilder};
pub use config::{BindingAction, RateLimit, RateLimitConfig, SessionConfig, YAuthConfig};
pub use error::{ApiError, ApiResult};
pub use events::{AuthEvent, EventContext, EventResponse};
#[cfg(feature = "openapi")]
pub use openapi_doc::full_openapi_json;
pub use plugin::{Authenticator, BackgroundTask, PluginState, YAuthPlugin};
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
#[cfg(all(doctest, feature = "memory-backend"))]
#[doc = include_str!("../../../docs/plugins.md")]
pub struct PluginsGuide;

/// `docs/oauth.md`, compiled as a doctest so its configuration cannot rot.
#[cfg(all(doctest, feature = "oauth", feature = "memory-backend"))]
#[doc = include_str!("../../../docs/oauth.md")]
pub struct OauthGuide;
