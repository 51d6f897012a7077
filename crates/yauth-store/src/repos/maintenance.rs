//! Housekeeping: the expiry purge.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{PurgeReport, StoreResult};

/// Housekeeping.
#[async_trait]
pub trait MaintenanceRepository: Send + Sync {
    /// Deletes every row whose lifetime ended at or before `now`: sessions (idle or absolute),
    /// email verifications, password resets, magic links, OAuth states, refresh tokens,
    /// authorization codes, device codes, unlock tokens, challenges, rate-limit windows, JWT-id
    /// revocations and expired signing keys.
    async fn purge_expired(&self, now: OffsetDateTime) -> StoreResult<PurgeReport>;
}
