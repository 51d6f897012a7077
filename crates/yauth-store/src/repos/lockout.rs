//! The account-lockout plugin's storage: failed-login counters, locks and unlock tokens.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{AccountLock, UnlockToken};

use crate::StoreResult;

/// Failed-login counters, locks and unlock tokens.
#[async_trait]
pub trait AccountLockoutRepository: Send + Sync {
    /// The user's lock row, if any.
    async fn find_account_lock(&self, user_id: Uuid) -> StoreResult<Option<AccountLock>>;

    /// Atomically adds one failed attempt (creating the row at 1) and returns the row after the
    /// increment: concurrent callers each see a distinct `failed_count`. Errors: `NotFound` (user).
    async fn record_failed_login(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<AccountLock>;

    /// Locks the account until `until`: increments `lock_count`, resets `failed_count` and
    /// returns the row. Errors: `NotFound` (user).
    async fn lock_account(
        &self,
        user_id: Uuid,
        until: OffsetDateTime,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<AccountLock>;

    /// After a successful login: `failed_count = 0`.
    async fn reset_failed_logins(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<()>;

    /// Lifts a lock: `locked_until` and `locked_reason` cleared, `failed_count = 0`
    /// (`lock_count` is kept for backoff). Returns whether a row existed.
    async fn unlock_account(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<bool>;

    /// Stores an unlock token. Errors: `NotFound` (user), `Conflict(unlock_tokens.token_hash)`.
    async fn create_unlock_token(&self, token: &UnlockToken) -> StoreResult<()>;

    /// Atomically removes and returns the unexpired token with this hash: exactly one concurrent
    /// caller gets it.
    async fn consume_unlock_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<UnlockToken>>;

    /// Removes a user's unlock tokens. Returns how many.
    async fn delete_unlock_tokens(&self, user_id: Uuid) -> StoreResult<u64>;
}
