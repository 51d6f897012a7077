//! The repository traits, one per plugin (plus the core ones every deployment has).
//!
//! Every trait is object-safe and used as `Arc<dyn Trait>`. Every method that must be atomic says
//! so; a backend implements it as one statement or one transaction, never as find-then-update.

mod api_key;
mod bearer;
mod core;
mod email_password;
mod lockout;
mod magic_link;
mod mfa;
mod oauth;
mod oauth2_server;
mod oidc;
mod passkey;
mod webhooks;

pub use api_key::ApiKeyRepository;
pub use bearer::{BearerRepository, RefreshTokenSeed, RotateOutcome};
pub use core::{
    AuditLogRepository, ChallengeRepository, MaintenanceRepository, RateLimitRepository,
    SessionRepository, UserRepository,
};
pub use email_password::EmailPasswordRepository;
pub use lockout::AccountLockoutRepository;
pub use magic_link::MagicLinkRepository;
pub use mfa::MfaRepository;
pub use oauth::OauthRepository;
pub use oauth2_server::{DevicePoll, Oauth2ServerRepository};
pub use oidc::OidcRepository;
pub use passkey::PasskeyRepository;
pub use webhooks::{DeliveryOutcome, WebhookRepository};
