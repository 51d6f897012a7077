//! The repository implementations, one file per plugin group, each generic over the dialect.

mod api_keys;
mod bearer;
mod core;
mod email_password;
mod lockout;
mod mfa;
mod oauth;
mod oauth2_server;
mod oidc;
mod passkey;
mod users;
mod webhooks;
