//! Plugins: each one adds routes and reacts to authentication events.

#[cfg(feature = "account-lockout")]
pub mod account_lockout;

#[cfg(feature = "admin")]
pub mod admin;

#[cfg(feature = "api-key")]
pub mod api_key;

#[cfg(feature = "bearer")]
pub mod bearer;

#[cfg(feature = "email-password")]
pub mod email_password;

#[cfg(feature = "magic-link")]
pub mod magic_link;

#[cfg(feature = "mfa")]
pub mod mfa;

#[cfg(feature = "oauth")]
pub mod oauth;

#[cfg(feature = "oauth2-server")]
pub mod oauth2_server;

#[cfg(feature = "oidc")]
pub mod oidc;

#[cfg(feature = "passkey")]
pub mod passkey;

#[cfg(feature = "status")]
pub mod status;

#[cfg(feature = "webhooks")]
pub mod webhooks;
