//! Rows of the email-password plugin.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A user's current password (`yauth_passwords`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordCredential {
    /// Owner and primary key.
    pub user_id: Uuid,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// When the password was last set.
    pub updated_at: OffsetDateTime,
}

/// A previous password (`yauth_password_history`), kept to refuse reuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordHistoryEntry {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Argon2id PHC string of the old password.
    pub password_hash: String,
    /// When this password was set.
    pub created_at: OffsetDateTime,
}

/// A pending email verification (`yauth_email_verifications`); consumed once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailVerification {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The user whose email is being verified.
    pub user_id: Uuid,
    /// Hex SHA-256 of the emailed token; unique.
    pub token_hash: String,
    /// End of validity.
    pub expires_at: OffsetDateTime,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// A password-reset request (`yauth_password_resets`); consumed once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The user resetting their password.
    pub user_id: Uuid,
    /// Hex SHA-256 of the emailed token; unique.
    pub token_hash: String,
    /// End of validity.
    pub expires_at: OffsetDateTime,
    /// When the token was consumed.
    pub used_at: Option<OffsetDateTime>,
    /// Creation time.
    pub created_at: OffsetDateTime,
}
