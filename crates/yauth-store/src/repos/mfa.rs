//! The mfa plugin's storage: TOTP secrets and backup codes.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{BackupCode, TotpSecret};

use crate::StoreResult;

/// TOTP secrets and backup codes.
#[async_trait]
pub trait MfaRepository: Send + Sync {
    /// Stores the user's TOTP secret, replacing any previous one (a new setup starts unverified).
    /// Errors: `NotFound` (user).
    async fn upsert_totp_secret(&self, secret: &TotpSecret) -> StoreResult<()>;

    /// The user's TOTP secret.
    async fn find_totp_secret(&self, user_id: Uuid) -> StoreResult<Option<TotpSecret>>;

    /// Marks the user's secret verified. Returns whether a secret existed.
    async fn confirm_totp_secret(&self, user_id: Uuid) -> StoreResult<bool>;

    /// Removes the user's secret. Returns whether it existed.
    async fn delete_totp_secret(&self, user_id: Uuid) -> StoreResult<bool>;

    /// Replay protection: atomically records `step` as the last used time step if it is later
    /// than the recorded one. Returns `true` to exactly one of concurrent callers presenting the
    /// same step, `false` for a replayed or older step or when the user has no secret.
    async fn accept_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool>;

    /// Replaces all of the user's backup codes with `codes`, atomically.
    async fn replace_backup_codes(&self, user_id: Uuid, codes: &[BackupCode]) -> StoreResult<()>;

    /// Atomically spends one unused backup code of the user with this hash. Returns `true` to
    /// exactly one of concurrent callers.
    async fn consume_backup_code(
        &self,
        user_id: Uuid,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// How many unused backup codes the user has.
    async fn count_unused_backup_codes(&self, user_id: Uuid) -> StoreResult<u64>;
}
