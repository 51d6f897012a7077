//! Rate limiting, per operation and per client (and per account where the operation names one).

use crate::config::RateLimit;
use crate::crypto::hash_token;
use crate::error::ApiError;
use crate::extract::ClientInfo;
use crate::state::YAuthState;

impl YAuthState {
    /// Counts one hit of `operation` for `subject` (e.g. `email:a@b.c` or `user:<id>`) and
    /// refuses with 429 and `Retry-After` past the limit. The counter is atomic in the store, so
    /// concurrent requests never get more than `limit.max` through per window.
    ///
    /// The stored key is `<operation>:<SHA-256 of subject>`: fixed length whatever the client
    /// sent, and no address in clear in the rate-limit table.
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
        let key = format!("{operation}:{}", hash_token(subject));
        let decision = self
            .repos()
            .rate_limits
            .hit_rate_limit(&key, limit.max, limit.window, now)
            .await?;
        if decision.allowed {
            Ok(())
        } else {
            #[cfg(feature = "telemetry")]
            self.metrics().rate_limited(operation);
            let wait = decision.retry_after(now).whole_seconds().max(1);
            Err(ApiError::too_many_requests(
                u64::try_from(wait).unwrap_or(1),
            ))
        }
    }

    /// [`rate_limit`](Self::rate_limit) per client address (IPv6 by /64). Refuses the request
    /// when the address is unknown (the app was served without `ConnectInfo`): otherwise every
    /// client would share one bucket and one of them could lock all the others out.
    pub async fn rate_limit_client(
        &self,
        operation: &str,
        client: &ClientInfo,
        limit: RateLimit,
    ) -> Result<(), ApiError> {
        if !self.config().rate_limits.enabled {
            return Ok(());
        }
        let bucket = client.ip_bucket()?;
        self.rate_limit(operation, &format!("ip:{bucket}"), limit)
            .await
    }
}
