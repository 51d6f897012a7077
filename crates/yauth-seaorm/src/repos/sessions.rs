//! Sessions, with the one-query hot path.

use async_trait::async_trait;
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Query};
use sea_orm::{FromQueryResult, IdenStatic, Iterable};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{Session, User};
use yauth_store::{Page, PageRequest, SessionRepository, StoreResult};

use super::users::to_user;
use super::{newest_first, page};
use crate::db::Db;
use crate::entities::sessions::{self, Column as C};
use crate::entities::users;
use crate::error::map_err;

pub(crate) fn to_session(m: sessions::Model) -> Session {
    Session {
        id: m.id.0,
        user_id: m.user_id.0,
        token_hash: m.token_hash,
        ip_address: m.ip_address,
        user_agent: m.user_agent,
        impersonator_id: m.impersonator_id.map(|i| i.0),
        expires_at: m.expires_at,
        absolute_expires_at: m.absolute_expires_at,
        last_seen_at: m.last_seen_at,
        created_at: m.created_at,
        amr: m.amr,
    }
}

/// Active at `now`: neither the idle nor the absolute expiry has passed.
fn active(now: OffsetDateTime) -> Cond {
    Cond::all()
        .add(Expr::col((sessions::Entity, C::ExpiresAt)).gt(now))
        .add(Expr::col((sessions::Entity, C::AbsoluteExpiresAt)).gt(now))
}

#[async_trait]
impl SessionRepository for Db {
    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        self.insert_row(
            &self.conn,
            sessions::Entity,
            vec![
                (C::Id, s.id.into()),
                (C::UserId, s.user_id.into()),
                (C::TokenHash, s.token_hash.clone().into()),
                (C::IpAddress, s.ip_address.clone().into()),
                (C::UserAgent, s.user_agent.clone().into()),
                (C::ImpersonatorId, s.impersonator_id.into()),
                (C::ExpiresAt, s.expires_at.into()),
                (C::AbsoluteExpiresAt, s.absolute_expires_at.into()),
                (C::LastSeenAt, s.last_seen_at.into()),
                (C::CreatedAt, s.created_at.into()),
                (C::Amr, s.amr.clone().into()),
            ],
        )
        .await
    }

    async fn validate_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(Session, User)>> {
        let mut q = Query::select();
        for c in sessions::Column::iter() {
            q.expr_as(
                Expr::col((sessions::Entity, c)),
                Alias::new(format!("s_{}", c.as_str())),
            );
        }
        for c in users::Column::iter() {
            q.expr_as(
                Expr::col((users::Entity, c)),
                Alias::new(format!("u_{}", c.as_str())),
            );
        }
        q.from(self.table(sessions::Entity))
            .inner_join(
                self.table(users::Entity),
                Expr::col((users::Entity, users::Column::Id)).equals((sessions::Entity, C::UserId)),
            )
            .and_where(Expr::col((sessions::Entity, C::TokenHash)).eq(token_hash))
            .cond_where(active(now));
        let rows = self.rows(&self.conn, &q).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let session = sessions::Model::from_query_result(row, "s_").map_err(map_err)?;
        let user = users::Model::from_query_result(row, "u_").map_err(map_err)?;
        Ok(Some((to_session(session), to_user(user))))
    }

    async fn extend_session(
        &self,
        id: Uuid,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut q = self.update(sessions::Entity);
        q.value(
            C::ExpiresAt,
            Expr::case(
                Expr::col(C::AbsoluteExpiresAt).lt(expires_at),
                Expr::col(C::AbsoluteExpiresAt),
            )
            .finally(Expr::val(expires_at)),
        )
        .value(C::LastSeenAt, now)
        .and_where(Expr::col(C::Id).eq(id))
        .cond_where(active(now));
        Ok(self.exec(&self.conn, &q).await? == 1)
    }

    async fn find_session(&self, id: Uuid) -> StoreResult<Option<Session>> {
        let mut q = self.select(sessions::Entity);
        q.and_where(Expr::col(C::Id).eq(id));
        Ok(self
            .one::<sessions::Model, _, _>(&self.conn, &q)
            .await?
            .map(to_session))
    }

    async fn list_user_sessions(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<Session>> {
        let mut q = self.select(sessions::Entity);
        q.and_where(Expr::col(C::UserId).eq(user_id))
            .cond_where(active(now));
        newest_first(&mut q, C::CreatedAt, C::Id);
        Ok(self
            .all::<sessions::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_session)
            .collect())
    }

    async fn list_sessions(
        &self,
        req: PageRequest,
        now: OffsetDateTime,
    ) -> StoreResult<Page<Session>> {
        let mut q = self.select(sessions::Entity);
        q.cond_where(active(now));
        let total = self.count(q.clone()).await?;
        newest_first(&mut q, C::CreatedAt, C::Id);
        page(&mut q, req);
        let items = self
            .all::<sessions::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_session)
            .collect();
        Ok(Page { items, total })
    }

    async fn delete_session(&self, id: Uuid) -> StoreResult<bool> {
        let mut q = self.delete(sessions::Entity);
        q.and_where(Expr::col(C::Id).eq(id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn delete_user_session(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let mut q = self.delete(sessions::Entity);
        q.and_where(Expr::col(C::Id).eq(id))
            .and_where(Expr::col(C::UserId).eq(user_id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn delete_user_sessions(&self, user_id: Uuid, keep: Option<Uuid>) -> StoreResult<u64> {
        let mut q = self.delete(sessions::Entity);
        q.and_where(Expr::col(C::UserId).eq(user_id));
        if let Some(keep) = keep {
            q.and_where(Expr::col(C::Id).ne(keep));
        }
        self.exec(&self.conn, &q).await
    }
}
