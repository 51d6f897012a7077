//! Fixed-window rate limits: one atomic upsert per hit.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, OnConflict};
use time::{Duration, OffsetDateTime};
use yauth_store::{RateDecision, RateLimitRepository, StoreResult};

use crate::db::Db;
use crate::entities::rate_limits::{self, Column as C};

#[async_trait]
impl RateLimitRepository for Db {
    async fn hit_rate_limit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: OffsetDateTime,
    ) -> StoreResult<RateDecision> {
        let end = now + window;
        let mut q = self.insert(
            rate_limits::Entity,
            vec![
                (C::Key, key.into()),
                (C::Count, 1i32.into()),
                (C::WindowStart, now.into()),
                (C::ExpiresAt, end.into()),
            ],
        )?;
        // The existing row, qualified: PostgreSQL finds a bare name ambiguous with EXCLUDED.
        let old = |c: C| Expr::col((rate_limits::Entity, c));
        let lapsed = || old(C::ExpiresAt).lte(now);
        // MySQL evaluates the assignments left to right, so `expires_at` goes last.
        q.on_conflict(
            OnConflict::column(C::Key)
                .values([
                    (
                        C::Count,
                        Expr::case(lapsed(), Expr::val(1i32))
                            .finally(old(C::Count).add(1i32))
                            .into(),
                    ),
                    (
                        C::WindowStart,
                        Expr::case(lapsed(), Expr::val(now))
                            .finally(old(C::WindowStart))
                            .into(),
                    ),
                    (
                        C::ExpiresAt,
                        Expr::case(lapsed(), Expr::val(end))
                            .finally(old(C::ExpiresAt))
                            .into(),
                    ),
                ])
                .to_owned(),
        );
        let row = self
            .upsert_returning(
                rate_limits::Entity,
                q,
                Cond::all().add(Expr::col(C::Key).eq(key)),
            )
            .await?;
        Ok(RateDecision::counted(
            i64::from(row.count),
            limit,
            row.expires_at,
        ))
    }

    async fn reset_rate_limit(&self, key: &str) -> StoreResult<()> {
        let mut q = self.delete(rate_limits::Entity);
        q.and_where(Expr::col(C::Key).eq(key));
        self.exec(&self.conn, &q).await.map(|_| ())
    }
}
