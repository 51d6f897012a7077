//! OpenID Connect nonces.

use async_trait::async_trait;
use uuid::Uuid;
use yauth_entity::OidcNonce;
use yauth_store::{OidcRepository, StoreResult};

use crate::dialect::Dialect;
use crate::store::Store;

#[async_trait]
impl<D: Dialect> OidcRepository for Store<D> {
    async fn create_oidc_nonce(&self, n: &OidcNonce) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}oidc_nonces (id, nonce_hash, authorization_code_id, created_at) \
                 VALUES (?, ?, ?, ?)",
            )
            .uuid(n.id)
            .text(&n.nonce_hash)
            .uuid(n.authorization_code_id)
            .ts(n.created_at),
        )
        .await
        .map(drop)
    }

    async fn find_oidc_nonce(&self, authorization_code_id: Uuid) -> StoreResult<Option<OidcNonce>> {
        self.opt(
            self.q(
                "SELECT * FROM {p}oidc_nonces WHERE authorization_code_id = ? \
                 ORDER BY created_at, id LIMIT 1",
            )
            .uuid(authorization_code_id),
        )
        .await
    }
}
