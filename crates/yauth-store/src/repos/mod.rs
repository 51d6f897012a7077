//! The repository traits, one per file: one per plugin, plus the core ones every deployment has.
//! A backend gives each repository the file name it has here.
//!
//! Every trait is object-safe and used as `Arc<dyn Trait>`. Every method that must be atomic says
//! so; a backend implements it as one statement or one transaction, never as find-then-update.

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

pub use api_key::ApiKeyRepository;
pub use audit::AuditLogRepository;
pub use bearer::{BearerRepository, RefreshTokenSeed, RotateOutcome};
pub use challenges::ChallengeRepository;
pub use email_password::{EmailPasswordRepository, check_password_owner};
pub use lockout::AccountLockoutRepository;
pub use magic_link::MagicLinkRepository;
pub use maintenance::MaintenanceRepository;
pub use mfa::MfaRepository;
pub use oauth::OauthRepository;
pub use oauth2_server::{DevicePoll, Oauth2ServerRepository};
pub use oidc::OidcRepository;
pub use passkey::PasskeyRepository;
pub use rate_limits::RateLimitRepository;
pub use sealed::{
    SealedColumn, SealedRowKey, SealedValue, SealedValueRepository, sealed_prefix_chars,
};
pub use sessions::SessionRepository;
pub use users::UserRepository;
pub use webhooks::{DeliveryOutcome, WebhookRepository};
