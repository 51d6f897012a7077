//! The repository implementations, one file per repository (named as in `yauth_store::repos`),
//! each generic over the dialect.

mod api_key;
mod audit;
mod bearer;
mod challenges;
mod email_password;
mod lockout;
mod magic_link;
mod maintenance;
mod mfa;
mod oauth;
mod oauth2_server;
mod oidc;
mod passkey;
mod rate_limits;
mod sealed;
mod sessions;
mod users;
mod webhooks;
