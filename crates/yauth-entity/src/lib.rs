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

/// Normalises an email address for storage and lookup, so that one mailbox is one account on
/// every backend: trimmed, Unicode NFC, lowercased, and the domain in IDNA ASCII form.
///
/// `José@Bücher.de` in NFC or NFD and `josé@xn--bcher-kva.de` all normalise to the same string.
/// A domain that IDNA refuses is kept lowercased; address validation then decides about it.
///
/// ```
/// use yauth_entity::normalize_email;
///
/// assert_eq!(normalize_email(" Jose\u{301}@B\u{fc}cher.DE "), "jos\u{e9}@xn--bcher-kva.de");
/// assert_eq!(normalize_email("jos\u{e9}@xn--bcher-kva.de"), "jos\u{e9}@xn--bcher-kva.de");
/// ```
pub fn normalize_email(email: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // Lowercasing can produce decomposed sequences, so compose after it.
    let lowered: String = email.trim().nfc().collect::<String>().to_lowercase();
    let lowered: String = lowered.nfc().collect();
    match lowered.rsplit_once('@') {
        Some((local, domain)) if !domain.is_ascii() => match idna::domain_to_ascii(domain) {
            Ok(ascii) if !ascii.is_empty() => format!("{local}@{ascii}"),
            _ => lowered,
        },
        _ => lowered,
    }
}

/// The role an ordinary user gets on registration.
pub const DEFAULT_ROLE: &str = "user";
/// The role that unlocks the admin routes.
pub const ADMIN_ROLE: &str = "admin";

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn one_mailbox_is_one_normalised_address() {
        let nfc = "jos\u{e9}@example.com";
        let nfd = "jose\u{301}@example.com";
        assert_ne!(nfc, nfd);
        assert_eq!(normalize_email(nfc), normalize_email(nfd));
        assert_eq!(
            normalize_email("Anna@B\u{fc}cher.de"),
            normalize_email("anna@xn--bcher-kva.de")
        );
        assert_eq!(
            normalize_email("anna@xn--bcher-kva.de"),
            "anna@xn--bcher-kva.de"
        );
        assert_eq!(normalize_email("  Alice@Example.COM "), "alice@example.com");
    }

    #[test]
    fn addresses_idna_refuses_are_kept_for_validation_to_judge() {
        assert_eq!(normalize_email("no-at-sign"), "no-at-sign");
        assert_eq!(normalize_email("a@"), "a@");
    }
}
