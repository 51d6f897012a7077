//! Failed-login counters, locks and unlock tokens.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{AccountLock, UnlockToken, new_id};
use yauth_store::{AccountLockoutRepository, StoreError, StoreResult};

use crate::dialect::Dialect;
use crate::store::Store;

#[async_trait]
impl<D: Dialect> AccountLockoutRepository for Store<D> {
    async fn find_account_lock(&self, user_id: Uuid) -> StoreResult<Option<AccountLock>> {
        self.opt(
            self.q("SELECT * FROM {p}account_locks WHERE user_id = ?")
                .uuid(user_id),
        )
        .await
    }

    async fn record_failed_login(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<AccountLock> {
        let id = new_id();
        let sql = format!(
            "INSERT INTO {{p}}account_locks (id, user_id, failed_count, locked_until, \
             lock_count, locked_reason, created_at, updated_at) \
             VALUES (?, ?, 1, NULL, 0, NULL, ?, ?) \
             {} failed_count = {{t}}account_locks.failed_count + 1, updated_at = {}",
            self.on_conflict("user_id"),
            self.excluded("updated_at"),
        );
        let upsert = || self.q(&sql).uuid(id).uuid(user_id).ts(now).ts(now);
        let reread = || {
            self.q("SELECT * FROM {p}account_locks WHERE user_id = ?")
                .uuid(user_id)
        };
        self.upsert_returning(upsert, reread)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn lock_account(
        &self,
        user_id: Uuid,
        until: OffsetDateTime,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<AccountLock> {
        let id = new_id();
        let sql = format!(
            "INSERT INTO {{p}}account_locks (id, user_id, failed_count, locked_until, \
             lock_count, locked_reason, created_at, updated_at) \
             VALUES (?, ?, 0, ?, 1, ?, ?, ?) \
             {} lock_count = {{t}}account_locks.lock_count + 1, failed_count = 0, \
             locked_until = {}, locked_reason = {}, updated_at = {}",
            self.on_conflict("user_id"),
            self.excluded("locked_until"),
            self.excluded("locked_reason"),
            self.excluded("updated_at"),
        );
        let upsert = || {
            self.q(&sql)
                .uuid(id)
                .uuid(user_id)
                .ts(until)
                .opt_text(reason)
                .ts(now)
                .ts(now)
        };
        let reread = || {
            self.q("SELECT * FROM {p}account_locks WHERE user_id = ?")
                .uuid(user_id)
        };
        self.upsert_returning(upsert, reread)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn reset_failed_logins(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<()> {
        self.exec(
            self.q(
                "UPDATE {p}account_locks SET failed_count = 0, updated_at = ? WHERE user_id = ?",
            )
            .ts(now)
            .uuid(user_id),
        )
        .await
        .map(drop)
    }

    async fn unlock_account(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<bool> {
        self.changed(
            self.q(
                "UPDATE {p}account_locks SET locked_until = NULL, locked_reason = NULL, \
                     failed_count = 0, updated_at = ? WHERE user_id = ?",
            )
            .ts(now)
            .uuid(user_id),
        )
        .await
    }

    async fn create_unlock_token(&self, t: &UnlockToken) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}unlock_tokens (id, user_id, token_hash, expires_at, created_at) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .uuid(t.id)
            .uuid(t.user_id)
            .text(&t.token_hash)
            .ts(t.expires_at)
            .ts(t.created_at),
        )
        .await
        .map(drop)
    }

    async fn consume_unlock_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<UnlockToken>> {
        let cond = "token_hash = ? AND expires_at > ?";
        let select = self
            .q(&format!("SELECT * FROM {{p}}unlock_tokens WHERE {cond}"))
            .text(token_hash)
            .ts(now);
        let delete = self
            .q(&format!("DELETE FROM {{p}}unlock_tokens WHERE {cond}"))
            .text(token_hash)
            .ts(now);
        self.delete_returning(select, delete).await
    }

    async fn delete_unlock_tokens(&self, user_id: Uuid) -> StoreResult<u64> {
        self.exec(
            self.q("DELETE FROM {p}unlock_tokens WHERE user_id = ?")
                .uuid(user_id),
        )
        .await
    }
}
