//! Fixed-window rate limits.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::{RateDecision, StoreResult};

/// Fixed-window rate limits.
#[async_trait]
pub trait RateLimitRepository: Send + Sync {
    /// Atomically counts one hit on `key`. A window starts at the first hit and lasts `window`;
    /// a hit after it ends starts a new window at count 1. The hit is allowed while the count is
    /// at most `limit`, so concurrent callers never get more than `limit` allowed hits per window.
    async fn hit_rate_limit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: OffsetDateTime,
    ) -> StoreResult<RateDecision>;

    /// Forgets the counter for `key`.
    async fn reset_rate_limit(&self, key: &str) -> StoreResult<()>;
}
