//! API keys, looked up by prefix with their owner.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{ApiKey, User};
use yauth_store::{ApiKeyRepository, StoreResult};

use crate::dialect::Dialect;
use crate::rows::USER_AS_U;
use crate::store::Store;

#[async_trait]
impl<D: Dialect> ApiKeyRepository for Store<D> {
    async fn create_api_key(&self, k: &ApiKey) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}api_keys (id, user_id, key_prefix, key_hash, name, scopes, \
                 last_used_at, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .uuid(k.id)
            .uuid(k.user_id)
            .text(&k.key_prefix)
            .text(&k.key_hash)
            .text(&k.name)
            .opt_json(k.scopes.as_ref())
            .opt_ts(k.last_used_at)
            .opt_ts(k.expires_at)
            .ts(k.created_at),
        )
        .await
        .map(drop)
    }

    async fn find_api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<(ApiKey, User)>> {
        let sql = format!(
            "SELECT k.*, {USER_AS_U} FROM {{p}}api_keys k \
             JOIN {{p}}users u ON u.id = k.user_id WHERE k.key_prefix = ?"
        );
        self.opt(self.q(&sql).text(prefix)).await
    }

    async fn list_api_keys(&self, user_id: Uuid) -> StoreResult<Vec<ApiKey>> {
        self.all(
            self.q("SELECT * FROM {p}api_keys WHERE user_id = ? ORDER BY created_at, id")
                .uuid(user_id),
        )
        .await
    }

    async fn delete_api_key(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.changed(
            self.q("DELETE FROM {p}api_keys WHERE id = ? AND user_id = ?")
                .uuid(id)
                .uuid(user_id),
        )
        .await
    }

    async fn touch_api_key(&self, id: Uuid, now: OffsetDateTime) -> StoreResult<()> {
        self.exec_found(
            self.q("UPDATE {p}api_keys SET last_used_at = ? WHERE id = ?")
                .ts(now)
                .uuid(id),
        )
        .await
    }
}
