//! TOTP secrets and backup codes.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{BackupCode, TotpSecret};
use yauth_store::{MfaRepository, StoreError, StoreResult};

use crate::dialect::Dialect;
use crate::rows::{Count, Id};
use crate::store::{Store, transaction};

#[async_trait]
impl<D: Dialect> MfaRepository for Store<D> {
    async fn upsert_totp_secret(&self, s: &TotpSecret) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO {{p}}totp_secrets (id, user_id, encrypted_secret, verified, \
             last_used_step, created_at) VALUES (?, ?, ?, ?, ?, ?) \
             {} id = {}, encrypted_secret = {}, verified = {}, last_used_step = {}, \
             created_at = {}",
            self.on_conflict("user_id"),
            self.excluded("id"),
            self.excluded("encrypted_secret"),
            self.excluded("verified"),
            self.excluded("last_used_step"),
            self.excluded("created_at"),
        );
        self.exec(
            self.q(&sql)
                .uuid(s.id)
                .uuid(s.user_id)
                .text(&s.encrypted_secret)
                .bool(s.verified)
                .opt_i64(s.last_used_step)
                .ts(s.created_at),
        )
        .await
        .map(drop)
    }

    async fn find_totp_secret(&self, user_id: Uuid) -> StoreResult<Option<TotpSecret>> {
        self.opt(
            self.q("SELECT * FROM {p}totp_secrets WHERE user_id = ?")
                .uuid(user_id),
        )
        .await
    }

    async fn confirm_totp_secret(&self, user_id: Uuid) -> StoreResult<bool> {
        self.changed(
            self.q("UPDATE {p}totp_secrets SET verified = TRUE WHERE user_id = ?")
                .uuid(user_id),
        )
        .await
    }

    async fn delete_totp_secret(&self, user_id: Uuid) -> StoreResult<bool> {
        self.changed(
            self.q("DELETE FROM {p}totp_secrets WHERE user_id = ?")
                .uuid(user_id),
        )
        .await
    }

    async fn accept_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool> {
        let n = self
            .exec(
                self.q("UPDATE {p}totp_secrets SET last_used_step = ? \
                     WHERE user_id = ? AND (last_used_step IS NULL OR last_used_step < ?)")
                    .i64(step)
                    .uuid(user_id)
                    .i64(step),
            )
            .await?;
        Ok(n == 1)
    }

    async fn replace_backup_codes(&self, user_id: Uuid, codes: &[BackupCode]) -> StoreResult<()> {
        if codes.iter().any(|c| c.user_id != user_id) {
            return Err(StoreError::Internal(
                "backup codes must belong to the user they replace".into(),
            ));
        }
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        transaction!(
            self,
            conn,
            async {
                // Locks the user row: concurrent replacements queue, and a missing
                // user is `NotFound` even with no codes to insert.
                let found: Option<Id> = self
                    .q(&format!(
                        "SELECT id FROM {{p}}users WHERE id = ?{}",
                        self.for_update(false)
                    ))
                    .uuid(user_id)
                    .opt(conn)
                    .await?;
                if found.is_none() {
                    return Err(StoreError::NotFound);
                }
                self.q("DELETE FROM {p}backup_codes WHERE user_id = ?")
                    .uuid(user_id)
                    .exec(conn)
                    .await?;
                for c in codes {
                    self.q(
                        "INSERT INTO {p}backup_codes (id, user_id, code_hash, used, \
                                 used_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    )
                    .uuid(c.id)
                    .uuid(c.user_id)
                    .text(&c.code_hash)
                    .bool(c.used)
                    .opt_ts(c.used_at)
                    .ts(c.created_at)
                    .exec(conn)
                    .await?;
                }
                Ok(())
            }
            .await
        )
    }

    async fn consume_backup_code(
        &self,
        user_id: Uuid,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        // One code per call even if two rows share the hash: the candidates (a plain read),
        // then one update per row guarded by `used = FALSE` and keyed by its primary key, whose
        // affected-row count names the one caller that spent it. No statement takes range
        // locks, so concurrent consumes and inserts (InnoDB) cannot deadlock it.
        let candidates: Vec<Id> = self
            .all(
                self.q("SELECT id FROM {p}backup_codes \
                     WHERE user_id = ? AND code_hash = ? AND used = FALSE ORDER BY id")
                    .uuid(user_id)
                    .text(code_hash),
            )
            .await?;
        for Id(id) in candidates {
            let spent = self
                .changed(
                    self.q("UPDATE {p}backup_codes SET used = TRUE, used_at = ? \
                         WHERE id = ? AND used = FALSE")
                        .ts(now)
                        .uuid(id),
                )
                .await?;
            if spent {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn count_unused_backup_codes(&self, user_id: Uuid) -> StoreResult<u64> {
        let n: Option<Count> = self
            .opt(
                self.q(
                    "SELECT COUNT(*) AS n FROM {p}backup_codes WHERE user_id = ? AND used = FALSE",
                )
                .uuid(user_id),
            )
            .await?;
        Ok(n.map_or(0, |c| c.0 as u64))
    }
}
