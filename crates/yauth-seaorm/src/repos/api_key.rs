//! API keys, with the one-query hot path.

use async_trait::async_trait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{FromQueryResult, IdenStatic, Iterable};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{ApiKey, User};
use yauth_store::{ApiKeyRepository, StoreError, StoreResult};

use super::oldest_first;
use super::users::to_user;
use crate::db::Db;
use crate::entities::api_keys::{self as ak, Column as C};
use crate::entities::users;
use crate::error::map_err;

fn to_key(m: ak::Model) -> ApiKey {
    ApiKey {
        id: m.id.0,
        user_id: m.user_id.0,
        key_prefix: m.key_prefix,
        key_hash: m.key_hash,
        name: m.name,
        scopes: m.scopes,
        last_used_at: m.last_used_at,
        expires_at: m.expires_at,
        created_at: m.created_at,
    }
}

#[async_trait]
impl ApiKeyRepository for Db {
    async fn create_api_key(&self, k: &ApiKey) -> StoreResult<()> {
        self.insert_row(
            &self.conn,
            ak::Entity,
            vec![
                (C::Id, k.id.into()),
                (C::UserId, k.user_id.into()),
                (C::KeyPrefix, k.key_prefix.clone().into()),
                (C::KeyHash, k.key_hash.clone().into()),
                (C::Name, k.name.clone().into()),
                (C::Scopes, k.scopes.clone().into()),
                (C::LastUsedAt, k.last_used_at.into()),
                (C::ExpiresAt, k.expires_at.into()),
                (C::CreatedAt, k.created_at.into()),
            ],
        )
        .await
    }

    async fn find_api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<(ApiKey, User)>> {
        let mut q = Query::select();
        for c in ak::Column::iter() {
            q.expr_as(
                Expr::col((ak::Entity, c)),
                Alias::new(format!("k_{}", c.as_str())),
            );
        }
        for c in users::Column::iter() {
            q.expr_as(
                Expr::col((users::Entity, c)),
                Alias::new(format!("u_{}", c.as_str())),
            );
        }
        q.from(self.table(ak::Entity))
            .inner_join(
                self.table(users::Entity),
                Expr::col((users::Entity, users::Column::Id)).equals((ak::Entity, C::UserId)),
            )
            .and_where(Expr::col((ak::Entity, C::KeyPrefix)).eq(prefix));
        let rows = self.rows(&self.conn, &q).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let key = ak::Model::from_query_result(row, "k_").map_err(map_err)?;
        let user = users::Model::from_query_result(row, "u_").map_err(map_err)?;
        Ok(Some((to_key(key), to_user(user))))
    }

    async fn list_api_keys(&self, user_id: Uuid) -> StoreResult<Vec<ApiKey>> {
        let mut q = self.select(ak::Entity);
        q.and_where(Expr::col(C::UserId).eq(user_id));
        oldest_first(&mut q, C::CreatedAt, C::Id);
        Ok(self
            .all::<ak::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_key)
            .collect())
    }

    async fn delete_api_key(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let mut q = self.delete(ak::Entity);
        q.and_where(Expr::col(C::Id).eq(id))
            .and_where(Expr::col(C::UserId).eq(user_id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn touch_api_key(&self, id: Uuid, now: OffsetDateTime) -> StoreResult<()> {
        let mut q = self.update(ak::Entity);
        q.value(C::LastUsedAt, now)
            .and_where(Expr::col(C::Id).eq(id));
        match self.exec(&self.conn, &q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }
}
