//! Rows of the account-lockout plugin.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Failed-login bookkeeping for one user (`yauth_account_locks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLock {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The user; unique.
    pub user_id: Uuid,
    /// Failed attempts since the last success or lock.
    pub failed_count: i32,
    /// The account is locked until this instant.
    pub locked_until: Option<OffsetDateTime>,
    /// How many times the account was locked (drives exponential backoff).
    pub lock_count: i32,
    /// Why it was locked.
    pub locked_reason: Option<String>,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

impl AccountLock {
    /// Whether the account is locked at `now`.
    pub fn is_locked_at(&self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

/// An emailed unlock token (`yauth_unlock_tokens`); consumed once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockToken {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The locked user.
    pub user_id: Uuid,
    /// Hex SHA-256 of the token; unique.
    pub token_hash: String,
    /// End of validity.
    pub expires_at: OffsetDateTime,
    /// Creation time.
    pub created_at: OffsetDateTime,
}
