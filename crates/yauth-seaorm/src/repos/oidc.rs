//! OpenID Connect nonces.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait};
use uuid::Uuid;
use yauth_entity::OidcNonce;
use yauth_store::{OidcRepository, StoreResult};

use crate::db::Db;
use crate::entities::oidc_nonces as on;

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
}
