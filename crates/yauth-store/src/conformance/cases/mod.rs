//! The cases, one module per repository group. Every case is `pub async fn(Repositories)` and
//! panics with the broken promise when the backend does not keep the contract.

pub mod api_keys;
pub mod audit;
pub mod bearer;
pub mod challenges;
pub mod email_password;
pub mod lockout;
pub mod magic_links;
pub mod maintenance;
pub mod mfa;
pub mod oauth;
pub mod oauth2_server;
pub mod oidc;
pub mod passkey;
pub mod password_reset_find;
pub mod rate_limits;
pub mod registration;
pub mod sealed;
pub mod sessions;
pub mod types;
pub mod users;
pub mod webhooks;
