//! Short-lived challenges: put, read, take once.

use async_trait::async_trait;
use time::OffsetDateTime;
use yauth_entity::Challenge;
use yauth_store::{ChallengeRepository, StoreResult};

use crate::dialect::Dialect;
use crate::store::Store;

#[async_trait]
impl<D: Dialect> ChallengeRepository for Store<D> {
    async fn put_challenge(&self, c: &Challenge) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO {{p}}challenges (\"key\", value, expires_at, created_at) \
             VALUES (?, ?, ?, ?) {} value = {}, expires_at = {}, created_at = {}",
            self.on_conflict("\"key\""),
            self.excluded("value"),
            self.excluded("expires_at"),
            self.excluded("created_at"),
        );
        self.exec(
            self.q(&sql)
                .text(&c.key)
                .json(&c.value)
                .ts(c.expires_at)
                .ts(c.created_at),
        )
        .await
        .map(drop)
    }

    async fn get_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        self.opt(
            self.q("SELECT * FROM {p}challenges WHERE \"key\" = ? AND expires_at > ?")
                .text(key)
                .ts(now),
        )
        .await
    }

    async fn take_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        let select = self
            .q("SELECT * FROM {p}challenges WHERE \"key\" = ? AND expires_at > ?")
            .text(key)
            .ts(now);
        let delete = self
            .q("DELETE FROM {p}challenges WHERE \"key\" = ? AND expires_at > ?")
            .text(key)
            .ts(now);
        self.delete_returning(select, delete).await
    }

    async fn delete_challenge(&self, key: &str) -> StoreResult<bool> {
        self.changed(
            self.q("DELETE FROM {p}challenges WHERE \"key\" = ?")
                .text(key),
        )
        .await
    }
}
