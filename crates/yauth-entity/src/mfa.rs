//! Rows of the MFA plugin.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A user's TOTP secret (`yauth_totp_secrets`), one per user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSecret {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Owner; unique.
    pub user_id: Uuid,
    /// AEAD ciphertext of the shared secret.
    pub encrypted_secret: String,
    /// Whether setup was confirmed with a valid code.
    pub verified: bool,
    /// The last accepted TOTP time step; a code for this step or an earlier one is a replay.
    pub last_used_step: Option<i64>,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// One single-use backup code (`yauth_backup_codes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupCode {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Hex SHA-256 of the code.
    pub code_hash: String,
    /// Whether the code was spent.
    pub used: bool,
    /// When it was spent.
    pub used_at: Option<OffsetDateTime>,
    /// Creation time.
    pub created_at: OffsetDateTime,
}
