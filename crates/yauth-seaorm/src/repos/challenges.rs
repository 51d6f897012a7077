//! Short-lived challenges.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, OnConflict};
use time::OffsetDateTime;
use yauth_entity::Challenge;
use yauth_store::{ChallengeRepository, StoreResult};

use crate::db::Db;
use crate::entities::challenges::{self, Column as C};

fn to_challenge(m: challenges::Model) -> Challenge {
    Challenge {
        key: m.key,
        value: m.value,
        expires_at: m.expires_at,
        created_at: m.created_at,
    }
}

fn unexpired(key: &str, now: OffsetDateTime) -> Cond {
    Cond::all()
        .add(Expr::col(C::Key).eq(key))
        .add(Expr::col(C::ExpiresAt).gt(now))
}

#[async_trait]
impl ChallengeRepository for Db {
    async fn put_challenge(&self, c: &Challenge) -> StoreResult<()> {
        let mut q = self.insert(
            challenges::Entity,
            vec![
                (C::Key, c.key.clone().into()),
                (C::Value, c.value.clone().into()),
                (C::ExpiresAt, c.expires_at.into()),
                (C::CreatedAt, c.created_at.into()),
            ],
        )?;
        q.on_conflict(
            OnConflict::column(C::Key)
                .update_columns([C::Value, C::ExpiresAt, C::CreatedAt])
                .to_owned(),
        );
        self.exec(&self.conn, &q).await.map(|_| ())
    }

    async fn get_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        let mut q = self.select(challenges::Entity);
        q.cond_where(unexpired(key, now));
        Ok(self
            .one::<challenges::Model, _, _>(&self.conn, &q)
            .await?
            .map(to_challenge))
    }

    async fn take_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        Ok(self
            .take(challenges::Entity, unexpired(key, now))
            .await?
            .map(to_challenge))
    }

    async fn delete_challenge(&self, key: &str) -> StoreResult<bool> {
        let mut q = self.delete(challenges::Entity);
        q.and_where(Expr::col(C::Key).eq(key));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }
}
