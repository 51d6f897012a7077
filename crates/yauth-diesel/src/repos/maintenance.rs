//! The expiry purge.

use async_trait::async_trait;
use time::OffsetDateTime;
use yauth_store::schema_probe::{Probe, probe_sql};
use yauth_store::{MaintenanceRepository, PurgeReport, StoreResult};

use crate::dialect::{Dialect, Kind};
use crate::store::Store;

#[async_trait]
impl<D: Dialect> MaintenanceRepository for Store<D> {
    async fn probe_table(&self, table: &str, columns: &[&str]) -> StoreResult<Probe> {
        // SQLite reads a double-quoted name that matches no column as a string literal.
        let quote = if D::KIND == Kind::Postgres { '"' } else { '`' };
        let sql = probe_sql(quote, &format!("{{p}}{table}"), columns);
        match self.exec(self.q(&sql)).await {
            Ok(_) => Ok(Probe::Present),
            Err(e) if e.is_missing_schema() => Ok(Probe::Missing),
            Err(e) => Err(e),
        }
    }

    fn table_name_in_sql(&self, table: &str) -> String {
        format!("{}{table}", self.prefix())
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> StoreResult<PurgeReport> {
        const PURGES: &[(&str, &str)] = &[
            ("sessions", "expires_at <= ? OR absolute_expires_at <= ?"),
            ("email_verifications", "expires_at <= ?"),
            ("password_resets", "expires_at <= ?"),
            ("magic_links", "expires_at <= ?"),
            ("oauth_states", "expires_at <= ?"),
            ("refresh_tokens", "expires_at <= ?"),
            (
                "oidc_nonces",
                "authorization_code_id IN (SELECT id FROM {p}authorization_codes WHERE expires_at <= ?)",
            ),
            ("authorization_codes", "expires_at <= ?"),
            ("device_codes", "expires_at <= ?"),
            ("unlock_tokens", "expires_at <= ?"),
            ("challenges", "expires_at <= ?"),
            ("rate_limits", "expires_at <= ?"),
            ("revocations", "expires_at <= ?"),
            ("signing_keys", "expires_at IS NOT NULL AND expires_at <= ?"),
        ];
        let mut report = PurgeReport::default();
        let mut conn = self.conn().await?;
        for (table, condition) in PURGES {
            let mut q = self.q(&format!("DELETE FROM {{p}}{table} WHERE {condition}"));
            for _ in 0..condition.matches('?').count() {
                q = q.ts(now);
            }
            let n = q.exec(&mut conn).await?;
            report.add(table, n);
        }
        Ok(report)
    }
}
