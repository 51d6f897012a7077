//! Housekeeping: the expiry purge.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::schema_probe::Probe;
use crate::{PurgeReport, StoreResult};

/// Housekeeping.
#[async_trait]
pub trait MaintenanceRepository: Send + Sync {
    /// Deletes every row whose lifetime ended at or before `now`: sessions (idle or absolute),
    /// email verifications, password resets, magic links, OAuth states, refresh tokens,
    /// authorization codes, device codes, unlock tokens, challenges, rate-limit windows, JWT-id
    /// revocations and expired signing keys.
    async fn purge_expired(&self, now: OffsetDateTime) -> StoreResult<PurgeReport>;

    /// Selects `columns` (or `1` when empty) of `table` (named as the schema model names it,
    /// without prefix) from no rows: [`Probe::Missing`] when the database says the table or a
    /// column does not exist. The start-up schema check calls it (see
    /// [`schema_probe`](crate::schema_probe)). Backends without an SQL schema keep this default.
    async fn probe_table(&self, table: &str, columns: &[&str]) -> StoreResult<Probe> {
        let _ = (table, columns);
        Ok(Probe::NotChecked)
    }

    /// `table` as this backend writes it in SQL, prefix and schema included, for messages.
    fn table_name_in_sql(&self, table: &str) -> String {
        format!("yauth_{table}")
    }
}
