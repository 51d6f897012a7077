//! Sessions, and the hot path that validates one with its user in one join.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{Session, User};
use yauth_store::{Page, PageRequest, SessionRepository, StoreResult};

use crate::dialect::Dialect;
use crate::rows::{Count, USER_AS_U};
use crate::store::Store;

/// The join of the hot path: a session's columns, then its user's prefixed `u_`.
fn session_with_user() -> String {
    format!("SELECT s.*, {USER_AS_U} FROM {{p}}sessions s JOIN {{p}}users u ON u.id = s.user_id")
}

#[async_trait]
impl<D: Dialect> SessionRepository for Store<D> {
    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}sessions (id, user_id, token_hash, ip_address, user_agent, \
                 impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, \
                 amr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .uuid(s.id)
            .uuid(s.user_id)
            .text(&s.token_hash)
            .opt_text(s.ip_address.as_deref())
            .opt_text(s.user_agent.as_deref())
            .opt_uuid(s.impersonator_id)
            .ts(s.expires_at)
            .ts(s.absolute_expires_at)
            .ts(s.last_seen_at)
            .ts(s.created_at)
            .text(&s.amr),
        )
        .await
        .map(drop)
    }

    async fn validate_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(Session, User)>> {
        let sql = format!(
            "{} WHERE s.token_hash = ? AND s.expires_at > ? AND s.absolute_expires_at > ?",
            session_with_user()
        );
        self.opt(self.q(&sql).text(token_hash).ts(now).ts(now))
            .await
    }

    async fn extend_session(
        &self,
        id: Uuid,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        self.changed(
            self.q("UPDATE {p}sessions SET \
                     expires_at = CASE WHEN ? < absolute_expires_at THEN ? \
                                  ELSE absolute_expires_at END, \
                     last_seen_at = ? \
                     WHERE id = ? AND expires_at > ? AND absolute_expires_at > ?")
                .ts(expires_at)
                .ts(expires_at)
                .ts(now)
                .uuid(id)
                .ts(now)
                .ts(now),
        )
        .await
    }

    async fn find_session(&self, id: Uuid) -> StoreResult<Option<Session>> {
        self.opt(self.q("SELECT * FROM {p}sessions WHERE id = ?").uuid(id))
            .await
    }

    async fn list_user_sessions(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<Session>> {
        self.all(
            self.q(
                "SELECT * FROM {p}sessions WHERE user_id = ? AND expires_at > ? \
                 AND absolute_expires_at > ? ORDER BY created_at DESC, id DESC",
            )
            .uuid(user_id)
            .ts(now)
            .ts(now),
        )
        .await
    }

    async fn list_sessions(
        &self,
        page: PageRequest,
        now: OffsetDateTime,
    ) -> StoreResult<Page<Session>> {
        let mut conn = self.conn().await?;
        let total: Option<Count> = self
            .q("SELECT COUNT(*) AS n FROM {p}sessions \
                 WHERE expires_at > ? AND absolute_expires_at > ?")
            .ts(now)
            .ts(now)
            .opt(&mut conn)
            .await?;
        let items = self
            .q(
                "SELECT * FROM {p}sessions WHERE expires_at > ? AND absolute_expires_at > ? \
                 ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            )
            .ts(now)
            .ts(now)
            .count(page.limit)
            .count(page.offset)
            .all(&mut conn)
            .await?;
        Ok(Page {
            items,
            total: total.map_or(0, |c| c.0 as u64),
        })
    }

    async fn delete_session(&self, id: Uuid) -> StoreResult<bool> {
        self.changed(self.q("DELETE FROM {p}sessions WHERE id = ?").uuid(id))
            .await
    }

    async fn delete_user_session(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.changed(
            self.q("DELETE FROM {p}sessions WHERE id = ? AND user_id = ?")
                .uuid(id)
                .uuid(user_id),
        )
        .await
    }

    async fn delete_user_sessions(&self, user_id: Uuid, keep: Option<Uuid>) -> StoreResult<u64> {
        self.exec(
            self.q("DELETE FROM {p}sessions WHERE user_id = ? AND (? IS NULL OR id <> ?)")
                .uuid(user_id)
                .opt_uuid(keep)
                .opt_uuid(keep),
        )
        .await
    }
}
