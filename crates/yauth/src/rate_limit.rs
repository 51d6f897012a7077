//! Rate limiting, per operation and per client (and per account where the operation names one).

use crate::config::RateLimit;
use crate::error::ApiError;
use crate::state::YAuthState;

impl YAuthState {
    /// Counts one hit of `operation` for `subject` (e.g. `ip:203.0.113.9` or `email:a@b.c`)
    /// and refuses with 429 and `Retry-After` past the limit. The counter is atomic in the
    /// store, so concurrent requests never get more than `limit.max` through per window.
    pub async fn rate_limit(
        &self,
        operation: &str,
        subject: &str,
        limit: RateLimit,
    ) -> Result<(), ApiError> {
        if !self.config().rate_limits.enabled {
            return Ok(());
        }
        let now = self.now();
        let key = format!("{operation}:{subject}");
        let decision = self
            .repos()
            .rate_limits
            .hit_rate_limit(&key, limit.max, limit.window, now)
            .await?;
        if decision.allowed {
            Ok(())
        } else {
            let wait = decision.retry_after(now).whole_seconds().max(1);
            Err(ApiError::too_many_requests(
                u64::try_from(wait).unwrap_or(1),
            ))
        }
    }
}
