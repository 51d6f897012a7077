//! Rate limits counted in Redis, the database answering when Redis does not.

use std::sync::Arc;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use yauth_store::{RateDecision, RateLimitRepository, StoreResult};

use super::Redis;

/// One hit: counts, starts the window on the first hit, answers the count and the window's
/// remaining milliseconds.
const HIT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
";

/// Fixed windows in Redis, timed by Redis's clock. When Redis fails, the database counts.
pub(crate) struct RedisRateLimits {
    inner: Arc<dyn RateLimitRepository>,
    redis: Arc<Redis>,
    hit: redis::Script,
}

impl RedisRateLimits {
    pub(crate) fn new(inner: Arc<dyn RateLimitRepository>, redis: Arc<Redis>) -> Self {
        Self {
            inner,
            redis,
            hit: redis::Script::new(HIT),
        }
    }
}

#[async_trait]
impl RateLimitRepository for RedisRateLimits {
    async fn hit_rate_limit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: OffsetDateTime,
    ) -> StoreResult<RateDecision> {
        let window_ms = window.whole_milliseconds().clamp(1, i128::from(i64::MAX)) as i64;
        let mut conn = self.redis.conn.clone();
        let mut invocation = self.hit.prepare_invoke();
        invocation
            .key(self.redis.key(&format!("rl:{key}")))
            .arg(window_ms);
        let counted: Option<(i64, i64)> = self
            .redis
            .call("rate limit", async move {
                invocation.invoke_async(&mut conn).await
            })
            .await;
        match counted {
            Some((count, ttl_ms)) => Ok(RateDecision::counted(
                count,
                limit,
                now + Duration::milliseconds(ttl_ms.max(0)),
            )),
            None => self.inner.hit_rate_limit(key, limit, window, now).await,
        }
    }

    async fn reset_rate_limit(&self, key: &str) -> StoreResult<()> {
        let mut conn = self.redis.conn.clone();
        let redis_key = self.redis.key(&format!("rl:{key}"));
        let _: Option<i64> = self
            .redis
            .call("rate limit reset", async move {
                redis::cmd("DEL")
                    .arg(redis_key)
                    .query_async(&mut conn)
                    .await
            })
            .await;
        // The database may hold hits counted while Redis was away.
        self.inner.reset_rate_limit(key).await
    }
}
