//! Passwords, password history, email verifications and password resets.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{
    EmailVerification, PasswordCredential, PasswordHistoryEntry, PasswordReset, User,
};
use yauth_store::{EmailPasswordRepository, StoreResult, check_password_owner};

use crate::dialect::Dialect;
use crate::rows::Id;
use crate::store::{Sql, Store, transaction};

impl<D: Dialect> Store<D> {
    /// Inserts or replaces a user's password.
    fn upsert_password<'f>(&self, c: &'f PasswordCredential) -> Sql<'f, D> {
        let sql = format!(
            "INSERT INTO {{p}}passwords (user_id, password_hash, updated_at) VALUES (?, ?, ?) \
             {} password_hash = {}, updated_at = {}",
            self.on_conflict("user_id"),
            self.excluded("password_hash"),
            self.excluded("updated_at"),
        );
        self.q(&sql)
            .uuid(c.user_id)
            .text(&c.password_hash)
            .ts(c.updated_at)
    }
}

#[async_trait]
impl<D: Dialect> EmailPasswordRepository for Store<D> {
    async fn find_password(&self, user_id: Uuid) -> StoreResult<Option<PasswordCredential>> {
        self.opt(
            self.q("SELECT * FROM {p}passwords WHERE user_id = ?")
                .uuid(user_id),
        )
        .await
    }

    async fn set_password(&self, c: &PasswordCredential) -> StoreResult<()> {
        self.exec(self.upsert_password(c)).await.map(drop)
    }

    async fn create_user_with_password(
        &self,
        user: &User,
        c: &PasswordCredential,
    ) -> StoreResult<()> {
        check_password_owner(user, c)?;
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        transaction!(
            self,
            conn,
            async {
                self.insert_user(user).exec(conn).await?;
                self.upsert_password(c).exec(conn).await?;
                Ok(())
            }
            .await
        )
    }

    async fn add_password_history(
        &self,
        entry: &PasswordHistoryEntry,
        keep: u32,
    ) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        transaction!(
            self,
            conn,
            async {
                self.q(
                    "INSERT INTO {p}password_history (id, user_id, password_hash, \
                             created_at) VALUES (?, ?, ?, ?)",
                )
                .uuid(entry.id)
                .uuid(entry.user_id)
                .text(&entry.password_hash)
                .ts(entry.created_at)
                .exec(conn)
                .await?;
                let ids: Vec<Id> = self
                    .q(&format!(
                        "SELECT id FROM {{p}}password_history WHERE user_id = ? \
                                 ORDER BY created_at DESC, id DESC{}",
                        self.for_update(false)
                    ))
                    .uuid(entry.user_id)
                    .all(conn)
                    .await?;
                for Id(old) in ids.into_iter().skip(keep as usize) {
                    self.q("DELETE FROM {p}password_history WHERE id = ?")
                        .uuid(old)
                        .exec(conn)
                        .await?;
                }
                Ok(())
            }
            .await
        )
    }

    async fn password_history(
        &self,
        user_id: Uuid,
        limit: u32,
    ) -> StoreResult<Vec<PasswordHistoryEntry>> {
        self.all(
            self.q("SELECT * FROM {p}password_history WHERE user_id = ? \
                 ORDER BY created_at DESC, id DESC LIMIT ?")
                .uuid(user_id)
                .i64(i64::from(limit)),
        )
        .await
    }

    async fn create_email_verification(&self, v: &EmailVerification) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}email_verifications (id, user_id, token_hash, expires_at, \
                 created_at) VALUES (?, ?, ?, ?, ?)",
            )
            .uuid(v.id)
            .uuid(v.user_id)
            .text(&v.token_hash)
            .ts(v.expires_at)
            .ts(v.created_at),
        )
        .await
        .map(drop)
    }

    async fn consume_email_verification(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<EmailVerification>> {
        let cond = "token_hash = ? AND expires_at > ?";
        let select = self
            .q(&format!(
                "SELECT * FROM {{p}}email_verifications WHERE {cond}"
            ))
            .text(token_hash)
            .ts(now);
        let delete = self
            .q(&format!(
                "DELETE FROM {{p}}email_verifications WHERE {cond}"
            ))
            .text(token_hash)
            .ts(now);
        self.delete_returning(select, delete).await
    }

    async fn delete_email_verifications(&self, user_id: Uuid) -> StoreResult<u64> {
        self.exec(
            self.q("DELETE FROM {p}email_verifications WHERE user_id = ?")
                .uuid(user_id),
        )
        .await
    }

    async fn create_password_reset(&self, r: &PasswordReset) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}password_resets (id, user_id, token_hash, expires_at, used_at, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .uuid(r.id)
            .uuid(r.user_id)
            .text(&r.token_hash)
            .ts(r.expires_at)
            .opt_ts(r.used_at)
            .ts(r.created_at),
        )
        .await
        .map(drop)
    }

    async fn find_password_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PasswordReset>> {
        self.opt(
            self.q("SELECT * FROM {p}password_resets \
                 WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?")
                .text(token_hash)
                .ts(now),
        )
        .await
    }

    async fn consume_password_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PasswordReset>> {
        let mut conn = self.conn().await?;
        let update = self
            .q("UPDATE {p}password_resets SET used_at = ? \
                 WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?")
            .ts(now)
            .text(token_hash)
            .ts(now);
        let reread = self
            .q("SELECT * FROM {p}password_resets WHERE token_hash = ?")
            .text(token_hash);
        self.update_returning(&mut conn, update, reread).await
    }

    async fn delete_password_resets(&self, user_id: Uuid) -> StoreResult<u64> {
        self.exec(
            self.q("DELETE FROM {p}password_resets WHERE user_id = ?")
                .uuid(user_id),
        )
        .await
    }
}
