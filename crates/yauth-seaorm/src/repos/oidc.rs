//! OpenID Connect nonces and signing keys.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Order};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{OidcNonce, SigningKey};
use yauth_store::{OidcRepository, StoreResult};

use crate::db::Db;
use crate::entities::{oidc_nonces as on, signing_keys as sk};

#[async_trait]
impl OidcRepository for Db {
    async fn create_oidc_nonce(&self, n: &OidcNonce) -> StoreResult<()> {
        use on::Column as C;
        self.insert_row(
            &self.conn,
            on::Entity,
            vec![
                (C::Id, n.id.into()),
                (C::NonceHash, n.nonce_hash.clone().into()),
                (C::AuthorizationCodeId, n.authorization_code_id.into()),
                (C::CreatedAt, n.created_at.into()),
            ],
        )
        .await
    }

    async fn find_oidc_nonce(&self, authorization_code_id: Uuid) -> StoreResult<Option<OidcNonce>> {
        let mut q = self.select(on::Entity);
        q.and_where(Expr::col(on::Column::AuthorizationCodeId).eq(authorization_code_id));
        Ok(self
            .one::<on::Model, _, _>(&self.conn, &q)
            .await?
            .map(|m| OidcNonce {
                id: m.id.0,
                nonce_hash: m.nonce_hash,
                authorization_code_id: m.authorization_code_id.0,
                created_at: m.created_at,
            }))
    }

    async fn create_signing_key(&self, k: &SigningKey) -> StoreResult<()> {
        use sk::Column as C;
        self.insert_row(
            &self.conn,
            sk::Entity,
            vec![
                (C::Kid, k.kid.clone().into()),
                (C::Algorithm, k.algorithm.clone().into()),
                (C::PrivateKeyEnc, k.private_key_enc.clone().into()),
                (C::PublicJwk, k.public_jwk.clone().into()),
                (C::CreatedAt, k.created_at.into()),
                (C::RetiredAt, k.retired_at.into()),
                (C::ExpiresAt, k.expires_at.into()),
            ],
        )
        .await
    }

    async fn list_signing_keys(&self, now: OffsetDateTime) -> StoreResult<Vec<SigningKey>> {
        use sk::Column as C;
        let mut q = self.select(sk::Entity);
        q.cond_where(
            Cond::any()
                .add(Expr::col(C::ExpiresAt).is_null())
                .add(Expr::col(C::ExpiresAt).gt(now)),
        )
        .order_by(C::CreatedAt, Order::Desc)
        .order_by(C::Kid, Order::Desc);
        Ok(self
            .all::<sk::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(|m| SigningKey {
                kid: m.kid,
                algorithm: m.algorithm,
                private_key_enc: m.private_key_enc,
                public_jwk: m.public_jwk,
                created_at: m.created_at,
                retired_at: m.retired_at,
                expires_at: m.expires_at,
            })
            .collect())
    }

    async fn retire_signing_key(
        &self,
        kid: &str,
        retired_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut q = self.update(sk::Entity);
        q.value(sk::Column::RetiredAt, retired_at)
            .value(sk::Column::ExpiresAt, expires_at)
            .and_where(Expr::col(sk::Column::Kid).eq(kid));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }
}
