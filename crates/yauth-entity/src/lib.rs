//! Domain types for yauth: one plain struct per stored row, with no I/O.
//!
//! Every type here mirrors a table in `docs/schema.md` (the contract shared with `yauth-migration`
//! and the storage backends). Ids are UUIDv7, timestamps are UTC with microsecond precision (see
//! [`truncate_to_micros`]), and secrets are stored only as hashes or AEAD ciphertext produced by the
//! library.
//!
//! ```
//! use yauth_entity::{User, new_id, truncate_to_micros};
//! use time::OffsetDateTime;
//!
//! let now = truncate_to_micros(OffsetDateTime::now_utc());
//! let user = User::new(new_id(), " Alice@Example.COM ", now);
//! assert_eq!(user.email, "alice@example.com");
//! assert_eq!(user.role, "user");
//! ```

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

pub use api_key::ApiKey;
pub use bearer::{JtiRevocation, RefreshToken};
pub use core::{AuditLogEntry, Challenge, Session, User, UserUpdate};
pub use email_password::{
    EmailVerification, PasswordCredential, PasswordHistoryEntry, PasswordReset,
};
pub use lockout::{AccountLock, UnlockToken};
pub use magic_link::MagicLink;
pub use mfa::{BackupCode, TotpSecret};
pub use oauth::{OauthAccount, OauthState};
pub use oauth2_server::{AuthorizationCode, Consent, DeviceCode, DeviceCodeStatus, Oauth2Client};
pub use oidc::{OidcNonce, SigningKey};
pub use passkey::WebauthnCredential;
pub use webhooks::{DeliveryStatus, Webhook, WebhookDelivery, WebhookUpdate};

pub use time::OffsetDateTime;
pub use uuid::Uuid;

/// A new time-ordered (UUIDv7) id.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Cuts a timestamp to whole microseconds and moves it to UTC.
///
/// Every backend stores microseconds (PostgreSQL's limit), so the library only ever hands the store
/// microsecond timestamps; that way every value round-trips exactly.
pub fn truncate_to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    let nanos = t.nanosecond();
    // ok: the value is below one second's nanoseconds, so replace_nanosecond cannot fail.
    t.replace_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

/// Normalises an email address for storage and lookup: trimmed and lowercased, so uniqueness is
/// case-insensitive on every backend.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The role an ordinary user gets on registration.
pub const DEFAULT_ROLE: &str = "user";
/// The role that unlocks the admin routes.
pub const ADMIN_ROLE: &str = "admin";
