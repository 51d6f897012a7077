//! Magic links.

use async_trait::async_trait;
use time::OffsetDateTime;
use yauth_entity::{MagicLink, normalize_email};
use yauth_store::{MagicLinkRepository, StoreResult};

use crate::dialect::Dialect;
use crate::store::Store;

#[async_trait]
impl<D: Dialect> MagicLinkRepository for Store<D> {
    async fn create_magic_link(&self, l: &MagicLink) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}magic_links (id, email, token_hash, expires_at, used, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .uuid(l.id)
            .string(normalize_email(&l.email))
            .text(&l.token_hash)
            .ts(l.expires_at)
            .bool(l.used)
            .ts(l.created_at),
        )
        .await
        .map(drop)
    }

    async fn consume_magic_link(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<MagicLink>> {
        let mut conn = self.conn().await?;
        let update = self
            .q("UPDATE {p}magic_links SET used = TRUE \
                 WHERE token_hash = ? AND used = FALSE AND expires_at > ?")
            .text(token_hash)
            .ts(now);
        let reread = self
            .q("SELECT * FROM {p}magic_links WHERE token_hash = ?")
            .text(token_hash);
        self.update_returning(&mut conn, update, reread).await
    }

    async fn delete_magic_links(&self, email: &str) -> StoreResult<u64> {
        self.exec(
            self.q("DELETE FROM {p}magic_links WHERE email = ?")
                .string(normalize_email(email)),
        )
        .await
    }
}
