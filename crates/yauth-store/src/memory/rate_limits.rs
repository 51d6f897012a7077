//! Fixed-window rate limits.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::MemoryStore;
use super::state::RateWindow;
use crate::repos::*;
use crate::{RateDecision, StoreResult};

#[async_trait]
impl RateLimitRepository for MemoryStore {
    async fn hit_rate_limit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: OffsetDateTime,
    ) -> StoreResult<RateDecision> {
        let mut st = self.state.write();
        let entry = st
            .rate_limits
            .entry(key.to_owned())
            .and_modify(|w| {
                if w.window_end <= now {
                    *w = RateWindow {
                        count: 0,
                        window_end: now + window,
                    };
                }
            })
            .or_insert(RateWindow {
                count: 0,
                window_end: now + window,
            });
        entry.count = entry.count.saturating_add(1);
        Ok(RateDecision::counted(
            i64::from(entry.count),
            limit,
            entry.window_end,
        ))
    }

    async fn reset_rate_limit(&self, key: &str) -> StoreResult<()> {
        self.state.write().rate_limits.remove(key);
        Ok(())
    }
}
