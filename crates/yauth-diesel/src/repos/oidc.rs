//! OpenID Connect nonces and signing keys.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{OidcNonce, SigningKey};
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

    async fn create_signing_key(&self, k: &SigningKey) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}signing_keys (kid, algorithm, private_key_enc, public_jwk, \
                 created_at, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .text(&k.kid)
            .text(&k.algorithm)
            .text(&k.private_key_enc)
            .json(&k.public_jwk)
            .ts(k.created_at)
            .opt_ts(k.retired_at)
            .opt_ts(k.expires_at),
        )
        .await
        .map(drop)
    }

    async fn list_signing_keys(&self, now: OffsetDateTime) -> StoreResult<Vec<SigningKey>> {
        self.all(
            self.q(
                "SELECT * FROM {p}signing_keys WHERE expires_at IS NULL OR expires_at > ? \
                 ORDER BY created_at DESC, kid DESC",
            )
            .ts(now),
        )
        .await
    }

    async fn retire_signing_key(
        &self,
        kid: &str,
        retired_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<bool> {
        self.changed(
            self.q("UPDATE {p}signing_keys SET retired_at = ?, expires_at = ? WHERE kid = ?")
                .ts(retired_at)
                .ts(expires_at)
                .text(kid),
        )
        .await
    }
}
