//! Challenges (WebAuthn ceremonies, pending MFA sign-ins, lock state) kept in Redis, the
//! database holding those stored while Redis was away.
//!
//! Each challenge lives in exactly one place, so that taking it stays single-use: in Redis when
//! Redis took it, otherwise in the database. Taking tries Redis (`GETDEL`, atomic), then the
//! database; of concurrent takers exactly one gets it from wherever it is.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use yauth_entity::Challenge;
use yauth_store::{ChallengeRepository, StoreResult};

use super::Redis;

/// Challenges in Redis, with the database as the fallback.
pub(crate) struct RedisChallenges {
    pub inner: Arc<dyn ChallengeRepository>,
    pub redis: Arc<Redis>,
}

impl RedisChallenges {
    fn key(&self, key: &str) -> String {
        self.redis.key(&format!("c:{key}"))
    }

    /// The challenge a Redis value holds, if it is readable and unexpired at `now`.
    fn unexpired(value: Option<String>, now: OffsetDateTime) -> Option<Challenge> {
        let challenge: Challenge = serde_json::from_str(&value?).ok()?;
        (challenge.expires_at > now).then_some(challenge)
    }

    /// Runs `command` on `key`; `None` when Redis did not answer.
    async fn string_command(&self, command: &'static str, key: &str) -> Option<Option<String>> {
        let mut conn = self.redis.conn.clone();
        let key = self.key(key);
        self.redis
            .call(command, async move {
                redis::cmd(command)
                    .arg(key)
                    .query_async::<Option<String>>(&mut conn)
                    .await
            })
            .await
    }
}

#[async_trait]
impl ChallengeRepository for RedisChallenges {
    async fn put_challenge(&self, challenge: &Challenge) -> StoreResult<()> {
        let ttl = challenge.expires_at - challenge.created_at;
        let ttl_ms = ttl.whole_milliseconds().clamp(1, i128::from(i64::MAX)) as i64;
        if let Ok(json) = serde_json::to_string(challenge) {
            let mut conn = self.redis.conn.clone();
            let key = self.key(&challenge.key);
            let stored: Option<()> = self
                .redis
                .call("challenge put", async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(json)
                        .arg("PX")
                        .arg(ttl_ms)
                        .query_async(&mut conn)
                        .await
                })
                .await;
            if stored.is_some() {
                // A copy left in the database by an outage would make a second winner.
                self.inner.delete_challenge(&challenge.key).await?;
                return Ok(());
            }
        }
        self.inner.put_challenge(challenge).await
    }

    async fn get_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        if let Some(value) = self.string_command("GET", key).await
            && let Some(challenge) = Self::unexpired(value, now)
        {
            return Ok(Some(challenge));
        }
        self.inner.get_challenge(key, now).await
    }

    async fn take_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        if let Some(value) = self.string_command("GETDEL", key).await
            && let Some(challenge) = Self::unexpired(value, now)
        {
            return Ok(Some(challenge));
        }
        self.inner.take_challenge(key, now).await
    }

    async fn delete_challenge(&self, key: &str) -> StoreResult<bool> {
        let in_redis = self.string_command("GETDEL", key).await.flatten().is_some();
        let in_database = self.inner.delete_challenge(key).await?;
        Ok(in_redis || in_database)
    }
}
