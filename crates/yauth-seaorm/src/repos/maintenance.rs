//! The expiry purge.

use async_trait::async_trait;
use sea_orm::EntityTrait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, IntoIden, Query};
use time::OffsetDateTime;
use yauth_store::schema_probe::{Probe, probe_sql};
use yauth_store::{MaintenanceRepository, PurgeReport, StoreResult};

use crate::db::Db;
use crate::entities::*;

impl Db {
    /// Deletes the rows of `entity` matching `cond` and records how many under its name.
    async fn purge<E: EntityTrait>(
        &self,
        report: &mut PurgeReport,
        entity: E,
        cond: Cond,
    ) -> StoreResult<()> {
        let name = entity.table_name();
        let mut q = self.delete(entity);
        q.cond_where(cond);
        let n = self.exec(&self.conn, &q).await?;
        report.add(name.strip_prefix("yauth_").unwrap_or(name), n);
        Ok(())
    }
}

/// `col <= now`.
fn ended<C: IntoIden>(col: C, now: OffsetDateTime) -> Cond {
    Cond::all().add(Expr::col(col).lte(now))
}

#[async_trait]
impl MaintenanceRepository for Db {
    async fn probe_table(&self, table: &str, columns: &[&str]) -> StoreResult<Probe> {
        use sea_orm::ConnectionTrait;
        // SQLite reads a double-quoted name that matches no column as a string literal.
        let quote = if self.backend == sea_orm::DbBackend::Postgres {
            '"'
        } else {
            '`'
        };
        let sql = probe_sql(quote, &self.table_name_in_sql(table), columns);
        match self
            .conn
            .execute_unprepared(&sql)
            .await
            .map_err(crate::error::map_err)
        {
            Ok(_) => Ok(Probe::Present),
            Err(e) if e.is_missing_schema() => Ok(Probe::Missing),
            Err(e) => Err(e),
        }
    }

    fn table_name_in_sql(&self, table: &str) -> String {
        match self.schema() {
            Some(schema) => format!("\"{schema}\".yauth_{table}"),
            None => format!("yauth_{table}"),
        }
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> StoreResult<PurgeReport> {
        let mut r = PurgeReport::default();
        self.purge(
            &mut r,
            sessions::Entity,
            Cond::any()
                .add(Expr::col(sessions::Column::ExpiresAt).lte(now))
                .add(Expr::col(sessions::Column::AbsoluteExpiresAt).lte(now)),
        )
        .await?;
        use email_verifications as ev;
        self.purge(&mut r, ev::Entity, ended(ev::Column::ExpiresAt, now))
            .await?;
        use password_resets as pr;
        self.purge(&mut r, pr::Entity, ended(pr::Column::ExpiresAt, now))
            .await?;
        use magic_links as ml;
        self.purge(&mut r, ml::Entity, ended(ml::Column::ExpiresAt, now))
            .await?;
        use oauth_states as os;
        self.purge(&mut r, os::Entity, ended(os::Column::ExpiresAt, now))
            .await?;
        use refresh_tokens as rt;
        self.purge(&mut r, rt::Entity, ended(rt::Column::ExpiresAt, now))
            .await?;
        // Nonces go with their codes (the cascade would remove them uncounted).
        use authorization_codes as ac;
        let mut expired_codes = Query::select();
        expired_codes
            .column(ac::Column::Id)
            .from(self.table(ac::Entity))
            .and_where(Expr::col(ac::Column::ExpiresAt).lte(now));
        self.purge(
            &mut r,
            oidc_nonces::Entity,
            Cond::all().add(
                Expr::col(oidc_nonces::Column::AuthorizationCodeId).in_subquery(expired_codes),
            ),
        )
        .await?;
        self.purge(&mut r, ac::Entity, ended(ac::Column::ExpiresAt, now))
            .await?;
        use device_codes as dc;
        self.purge(&mut r, dc::Entity, ended(dc::Column::ExpiresAt, now))
            .await?;
        use unlock_tokens as ut;
        self.purge(&mut r, ut::Entity, ended(ut::Column::ExpiresAt, now))
            .await?;
        use challenges as ch;
        self.purge(&mut r, ch::Entity, ended(ch::Column::ExpiresAt, now))
            .await?;
        use rate_limits as rl;
        self.purge(&mut r, rl::Entity, ended(rl::Column::ExpiresAt, now))
            .await?;
        use revocations as rv;
        self.purge(&mut r, rv::Entity, ended(rv::Column::ExpiresAt, now))
            .await?;
        use signing_keys as sk;
        self.purge(
            &mut r,
            sk::Entity,
            Cond::all()
                .add(Expr::col(sk::Column::ExpiresAt).is_not_null())
                .add(Expr::col(sk::Column::ExpiresAt).lte(now)),
        )
        .await?;
        Ok(r)
    }
}
