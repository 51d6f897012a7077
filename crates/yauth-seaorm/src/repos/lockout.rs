//! Failed-login counters, locks and unlock tokens.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, OnConflict};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{AccountLock, UnlockToken, new_id};
use yauth_store::{AccountLockoutRepository, StoreResult};

use crate::db::Db;
use crate::entities::account_locks::{self as al, Column as C};
use crate::entities::unlock_tokens as ut;

fn to_lock(m: al::Model) -> AccountLock {
    AccountLock {
        id: m.id.0,
        user_id: m.user_id.0,
        failed_count: m.failed_count,
        locked_until: m.locked_until,
        lock_count: m.lock_count,
        locked_reason: m.locked_reason,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

impl Db {
    /// Inserts the user's lock row from `fresh` or, when it exists, applies `on_existing`; one
    /// atomic upsert returning the row.
    async fn upsert_lock(
        &self,
        user_id: Uuid,
        fresh: Vec<(C, sea_orm::Value)>,
        on_existing: Vec<(C, Expr)>,
        now: OffsetDateTime,
    ) -> StoreResult<AccountLock> {
        let mut row = vec![
            (C::Id, new_id().into()),
            (C::UserId, user_id.into()),
            (C::CreatedAt, now.into()),
            (C::UpdatedAt, now.into()),
        ];
        row.extend(fresh);
        let mut q = self.insert(al::Entity, row)?;
        let mut sets = on_existing;
        sets.push((C::UpdatedAt, Expr::val(now)));
        q.on_conflict(OnConflict::column(C::UserId).values(sets).to_owned());
        let key = Cond::all().add(Expr::col(C::UserId).eq(user_id));
        Ok(to_lock(self.upsert_returning(al::Entity, q, key).await?))
    }
}

/// The existing row's column (qualified: PostgreSQL finds a bare name ambiguous with EXCLUDED).
fn old(c: C) -> Expr {
    Expr::col((al::Entity, c))
}

#[async_trait]
impl AccountLockoutRepository for Db {
    async fn find_account_lock(&self, user_id: Uuid) -> StoreResult<Option<AccountLock>> {
        let mut q = self.select(al::Entity);
        q.and_where(Expr::col(C::UserId).eq(user_id));
        Ok(self
            .one::<al::Model, _, _>(&self.conn, &q)
            .await?
            .map(to_lock))
    }

    async fn record_failed_login(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<AccountLock> {
        self.upsert_lock(
            user_id,
            vec![(C::FailedCount, 1i32.into()), (C::LockCount, 0i32.into())],
            vec![(C::FailedCount, old(C::FailedCount).add(1i32))],
            now,
        )
        .await
    }

    async fn lock_account(
        &self,
        user_id: Uuid,
        until: OffsetDateTime,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<AccountLock> {
        let reason = reason.map(str::to_owned);
        self.upsert_lock(
            user_id,
            vec![
                (C::FailedCount, 0i32.into()),
                (C::LockCount, 1i32.into()),
                (C::LockedUntil, until.into()),
                (C::LockedReason, reason.clone().into()),
            ],
            vec![
                (C::LockedUntil, Expr::val(until)),
                (C::LockedReason, Expr::val(reason)),
                (C::LockCount, old(C::LockCount).add(1i32)),
                (C::FailedCount, Expr::val(0i32)),
            ],
            now,
        )
        .await
    }

    async fn reset_failed_logins(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<()> {
        let mut q = self.update(al::Entity);
        q.value(C::FailedCount, 0i32)
            .value(C::UpdatedAt, now)
            .and_where(Expr::col(C::UserId).eq(user_id));
        self.exec(&self.conn, &q).await.map(|_| ())
    }

    async fn unlock_account(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<bool> {
        let mut q = self.update(al::Entity);
        q.value(C::LockedUntil, Option::<OffsetDateTime>::None)
            .value(C::LockedReason, Option::<String>::None)
            .value(C::FailedCount, 0i32)
            .value(C::UpdatedAt, now)
            .and_where(Expr::col(C::UserId).eq(user_id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn create_unlock_token(&self, t: &UnlockToken) -> StoreResult<()> {
        use ut::Column as U;
        self.insert_row(
            &self.conn,
            ut::Entity,
            vec![
                (U::Id, t.id.into()),
                (U::UserId, t.user_id.into()),
                (U::TokenHash, t.token_hash.clone().into()),
                (U::ExpiresAt, t.expires_at.into()),
                (U::CreatedAt, t.created_at.into()),
            ],
        )
        .await
    }

    async fn consume_unlock_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<UnlockToken>> {
        use ut::Column as U;
        let cond = Cond::all()
            .add(Expr::col(U::TokenHash).eq(token_hash))
            .add(Expr::col(U::ExpiresAt).gt(now));
        Ok(self.take(ut::Entity, cond).await?.map(|m| UnlockToken {
            id: m.id.0,
            user_id: m.user_id.0,
            token_hash: m.token_hash,
            expires_at: m.expires_at,
            created_at: m.created_at,
        }))
    }

    async fn delete_unlock_tokens(&self, user_id: Uuid) -> StoreResult<u64> {
        let mut q = self.delete(ut::Entity);
        q.and_where(Expr::col(ut::Column::UserId).eq(user_id));
        self.exec(&self.conn, &q).await
    }
}
