//! WebAuthn credentials.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::WebauthnCredential;
use yauth_store::{PasskeyRepository, StoreResult};

use crate::dialect::Dialect;
use crate::store::Store;

#[async_trait]
impl<D: Dialect> PasskeyRepository for Store<D> {
    async fn create_webauthn_credential(&self, c: &WebauthnCredential) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}webauthn_credentials (id, user_id, credential_id, name, aaguid, \
                 device_name, credential, created_at, last_used_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .uuid(c.id)
            .uuid(c.user_id)
            .text(&c.credential_id)
            .text(&c.name)
            .opt_text(c.aaguid.as_deref())
            .opt_text(c.device_name.as_deref())
            .json(&c.credential)
            .ts(c.created_at)
            .opt_ts(c.last_used_at),
        )
        .await
        .map(drop)
    }

    async fn find_webauthn_credential(
        &self,
        credential_id: &str,
    ) -> StoreResult<Option<WebauthnCredential>> {
        self.opt(
            self.q("SELECT * FROM {p}webauthn_credentials WHERE credential_id = ?")
                .text(credential_id),
        )
        .await
    }

    async fn list_webauthn_credentials(
        &self,
        user_id: Uuid,
    ) -> StoreResult<Vec<WebauthnCredential>> {
        self.all(
            self.q("SELECT * FROM {p}webauthn_credentials WHERE user_id = ? \
                 ORDER BY created_at, id")
                .uuid(user_id),
        )
        .await
    }

    async fn update_webauthn_credential_use(
        &self,
        id: Uuid,
        credential: &serde_json::Value,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.exec_found(
            self.q(
                "UPDATE {p}webauthn_credentials SET credential = ?, last_used_at = ? \
                     WHERE id = ?",
            )
            .json(credential)
            .ts(now)
            .uuid(id),
        )
        .await
    }

    async fn rename_webauthn_credential(
        &self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> StoreResult<bool> {
        self.changed(
            self.q("UPDATE {p}webauthn_credentials SET name = ? WHERE id = ? AND user_id = ?")
                .text(name)
                .uuid(id)
                .uuid(user_id),
        )
        .await
    }

    async fn delete_webauthn_credential(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.changed(
            self.q("DELETE FROM {p}webauthn_credentials WHERE id = ? AND user_id = ?")
                .uuid(id)
                .uuid(user_id),
        )
        .await
    }
}
