//! Redis as a cache shared by every replica (feature `redis`): a decorator over the
//! repositories, added with [`YAuthBuilder::with_redis`].
//!
//! - **Sessions.** A validated session and its user are cached under the token's hash, for at
//!   most [`RedisConfig::session_ttl`] and never past the session's expiry, so the session check
//!   of every authenticated request is one Redis round trip.
//! - **Invalidation.** Every write that ends a session or changes a user goes through the
//!   decorated repositories, which bump a generation counter (per user, per session) after the
//!   database write. A cached entry carries the generations it was filled under and is refused
//!   once either moved, so a ban or a logout on one replica is refused by every replica at its
//!   next request. A fill that raced with an invalidation (it read the database before the write
//!   and reaches Redis after it) is dropped: fills check a global epoch that every invalidation
//!   bumps.
//! - **Users and token revocations.** Users by id and the revocation state of access tokens
//!   (the bearer check's two reads) are cached the same way, under the user's and the token's
//!   generations.
//! - **Rate limits** are counted in Redis (one atomic script per hit), and **challenges**
//!   (WebAuthn ceremonies, pending MFA sign-ins) live there, taken with `GETDEL`.
//! - **Failures.** When Redis does not answer within [`RedisConfig::timeout`], the database
//!   answers instead and the error is logged; no request fails because of Redis. After a
//!   failure Redis is left alone for a second, so an unanswering Redis costs one timeout per
//!   second, not one per request. A failed
//!   invalidation could leave a stale entry behind, so after any failure the first call that
//!   reaches Redis again invalidates every cached session (a global flush generation) before the
//!   cache is trusted again.
//!
//! The scripts read keys they compute, so the cache needs a standalone Redis (or one shard),
//! not Redis Cluster.

#[cfg(feature = "bearer")]
mod bearer;
mod challenges;
mod rate_limits;
mod sessions;
mod users;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use uuid::Uuid;

use crate::builder::{BuildError, YAuthBuilder};

/// The `redis` crate yauth is built with, to make the [`ConnectionManager`] from.
pub use redis;

/// Settings of the Redis cache.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// Prefix of every key (default `yauth:`); replicas sharing a cache use the same one.
    pub key_prefix: String,
    /// The longest a validated session stays cached (default 30 s). It also bounds how long a
    /// stale entry can live when an invalidation could not reach Redis and no replica has
    /// flushed yet.
    pub session_ttl: Duration,
    /// The longest one Redis call may take before the database answers instead (default
    /// 250 ms).
    pub timeout: Duration,
    /// Count rate limits in Redis (default `true`); `false` keeps them in the database.
    pub rate_limits: bool,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            key_prefix: "yauth:".to_owned(),
            session_ttl: Duration::from_secs(30),
            timeout: Duration::from_millis(250),
            rate_limits: true,
        }
    }
}

impl RedisConfig {
    fn validate(&self) -> Result<(), String> {
        if self.key_prefix.is_empty() || self.key_prefix.len() > 64 {
            return Err("key_prefix must be 1 to 64 characters".into());
        }
        if self.session_ttl.is_zero() {
            return Err("session_ttl must be positive".into());
        }
        if self.timeout.is_zero() {
            return Err("timeout must be positive".into());
        }
        Ok(())
    }
}

/// How long Redis is left alone after a failure before it is tried again.
const FAILURE_PAUSE: Duration = Duration::from_secs(1);

/// Which generation counter an invalidation bumps.
#[derive(Debug, Clone)]
enum Generation {
    User(Uuid),
    Session(Uuid),
    #[cfg_attr(not(feature = "bearer"), allow(dead_code))]
    Jti(String),
}

impl Generation {
    /// The counter's key, without the prefix.
    fn name(&self) -> String {
        match self {
            Self::User(id) => format!("gu:{id}"),
            Self::Session(id) => format!("gs:{id}"),
            Self::Jti(jti) => format!("gj:{jti}"),
        }
    }
}

/// Answers an entry whose recorded generations (flush, then one per generation key in KEYS[2..])
/// are all current, without them; deletes it when one moved.
const LOOKUP: &str = r"
local value = redis.call('GET', KEYS[1])
if not value then return false end
local expected = {redis.call('GET', ARGV[1] .. 'flush') or '0'}
for i = 2, #KEYS do expected[i] = redis.call('GET', KEYS[i]) or '0' end
local pos = 1
for i = 1, #expected do
  local bar = string.find(value, '|', pos, true)
  if not bar or string.sub(value, pos, bar - 1) ~= expected[i] then
    redis.call('DEL', KEYS[1])
    return false
  end
  pos = bar + 1
end
return string.sub(value, pos)
";

/// Stores an entry under the current generations unless an invalidation happened since the
/// caller read the epoch (ARGV[2]); keeps the generation keys alive at least as long.
const FILL: &str = r"
local p = ARGV[1]
if (redis.call('GET', p .. 'epoch') or '0') ~= ARGV[2] then return 0 end
local value = (redis.call('GET', p .. 'flush') or '0') .. '|'
for i = 2, #KEYS do
  local g = redis.call('GET', KEYS[i])
  if g then redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
  value = value .. (g or '0') .. '|'
end
redis.call('SET', KEYS[1], value .. ARGV[5], 'PX', ARGV[3])
return 1
";

/// Bumps the global epoch (so racing fills are dropped) and one generation, whose key outlives
/// every entry that can refer to it.
const INVALIDATE: &str = r"
redis.call('INCR', ARGV[1] .. 'epoch')
local key = ARGV[1] .. ARGV[2]
redis.call('INCR', key)
redis.call('PEXPIRE', key, ARGV[3])
return 1
";

/// The connection, the scripts, and whether the cache must be flushed before it is trusted.
pub(crate) struct Redis {
    conn: ConnectionManager,
    config: RedisConfig,
    invalidate: redis::Script,
    lookup: redis::Script,
    fill: redis::Script,
    /// Set after any failure: an invalidation may have been lost.
    needs_flush: AtomicBool,
    /// Until when (milliseconds since `started`) Redis is not asked after a failure, so that
    /// an unanswering Redis costs one timeout per pause, not one per request.
    paused_until_ms: AtomicU64,
    started: Instant,
}

impl Redis {
    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.config.key_prefix)
    }

    /// How long generation keys live: twice the longest entry, refreshed by every fill.
    fn generation_ttl_ms(&self) -> u64 {
        u64::try_from(self.config.session_ttl.as_millis().saturating_mul(2)).unwrap_or(u64::MAX)
    }

    /// Runs one Redis call within the timeout; a failure is logged, marks the cache for a
    /// flush, and answers `None`.
    async fn call<T, F>(&self, what: &'static str, work: F) -> Option<T>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        if self.elapsed_ms() < self.paused_until_ms.load(Ordering::SeqCst) {
            return None;
        }
        match tokio::time::timeout(self.config.timeout, work).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(error)) => {
                self.failed(what, &error.to_string());
                None
            }
            Err(_) => {
                self.failed(what, "timed out");
                None
            }
        }
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn failed(&self, what: &'static str, error: &str) {
        let pause = u64::try_from(FAILURE_PAUSE.as_millis()).unwrap_or(u64::MAX);
        self.paused_until_ms
            .store(self.elapsed_ms().saturating_add(pause), Ordering::SeqCst);
        if !self.needs_flush.swap(true, Ordering::SeqCst) {
            tracing::warn!(
                operation = what,
                error,
                "Redis failed: answering from the database"
            );
        } else {
            tracing::debug!(operation = what, error, "Redis still failing");
        }
    }

    /// Whether the cache can be trusted: after a failure, only once every cached session was
    /// invalidated.
    async fn usable(&self) -> bool {
        if !self.needs_flush.load(Ordering::SeqCst) {
            return true;
        }
        let mut conn = self.conn.clone();
        let flush = self.key("flush");
        let epoch = self.key("epoch");
        let flushed: Option<()> = self
            .call("flush", async move {
                redis::pipe()
                    .atomic()
                    .incr(&flush, 1)
                    .ignore()
                    .incr(&epoch, 1)
                    .ignore()
                    .query_async(&mut conn)
                    .await
            })
            .await;
        if flushed.is_some() {
            self.needs_flush.store(false, Ordering::SeqCst);
            tracing::info!("Redis answers again: cached sessions flushed, cache in use");
        }
        flushed.is_some()
    }

    /// The global epoch, read before a database read whose answer will be cached.
    async fn epoch(&self) -> Option<String> {
        let mut conn = self.conn.clone();
        let key = self.key("epoch");
        let epoch: Option<String> = self
            .call("epoch", async move {
                redis::cmd("GET").arg(key).query_async(&mut conn).await
            })
            .await?;
        Some(epoch.unwrap_or_else(|| "0".to_owned()))
    }

    /// The cached value of `entry` (without prefix) if the generations it was stored under are
    /// current.
    async fn lookup(&self, entry: &str, generations: &[Generation]) -> Option<String> {
        let mut conn = self.conn.clone();
        let mut invocation = self.lookup.prepare_invoke();
        invocation.key(self.key(entry));
        for generation in generations {
            invocation.key(self.key(&generation.name()));
        }
        invocation.arg(&self.config.key_prefix);
        self.call("lookup", async move {
            invocation.invoke_async::<Option<String>>(&mut conn).await
        })
        .await?
    }

    /// Caches `value` under `entry` for `ttl` (at most `session_ttl`), unless the epoch moved
    /// since `epoch`. The stored value is the generations, each followed by `|`, then `value`.
    async fn fill(
        &self,
        entry: &str,
        generations: &[Generation],
        epoch: String,
        value: String,
        ttl: Duration,
    ) {
        let ttl = ttl.min(self.config.session_ttl);
        if ttl.is_zero() {
            return;
        }
        let mut conn = self.conn.clone();
        let mut invocation = self.fill.prepare_invoke();
        invocation.key(self.key(entry));
        for generation in generations {
            invocation.key(self.key(&generation.name()));
        }
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        invocation
            .arg(&self.config.key_prefix)
            .arg(epoch)
            .arg(ttl_ms)
            .arg(self.generation_ttl_ms())
            .arg(value);
        let _: Option<i64> = self
            .call(
                "fill",
                async move { invocation.invoke_async(&mut conn).await },
            )
            .await;
    }

    /// Invalidates what `generation` names, after its database write.
    async fn invalidate(&self, generation: Generation) {
        let name = generation.name();
        let mut conn = self.conn.clone();
        let mut invocation = self.invalidate.prepare_invoke();
        invocation
            .arg(&self.config.key_prefix)
            .arg(name)
            .arg(self.generation_ttl_ms());
        // A lost invalidation is covered by the flush the next successful call makes.
        let _: Option<i64> = self
            .call("invalidate", async move {
                invocation.invoke_async(&mut conn).await
            })
            .await;
    }
}

impl YAuthBuilder {
    /// Caches validated sessions and counts rate limits in Redis, shared by every replica (see
    /// [`cache`](crate::cache)), with the default [`RedisConfig`].
    pub fn with_redis(self, connection: ConnectionManager) -> Self {
        self.with_redis_config(connection, RedisConfig::default())
    }

    /// [`with_redis`](Self::with_redis) with explicit settings.
    ///
    /// Call it before [`with_bearer`](YAuthBuilder::with_bearer): the bearer plugin keeps the
    /// repository it is given, and must be given the cached one (the other way round is a build
    /// error).
    pub fn with_redis_config(mut self, connection: ConnectionManager, config: RedisConfig) -> Self {
        if let Err(message) = config.validate() {
            return self.add_error(BuildError::InvalidConfig(format!("redis: {message}")));
        }
        if self.has_bearer() {
            return self.add_error(BuildError::InvalidConfig(
                "with_redis must come before with_bearer (the bearer plugin keeps the repository \
                 it is given, and must be given the cached one)"
                    .into(),
            ));
        }
        let redis = Arc::new(Redis {
            conn: connection,
            invalidate: redis::Script::new(INVALIDATE),
            lookup: redis::Script::new(LOOKUP),
            fill: redis::Script::new(FILL),
            needs_flush: AtomicBool::new(false),
            paused_until_ms: AtomicU64::new(0),
            started: Instant::now(),
            config,
        });
        let repos = self.repositories_mut();
        repos.sessions = Arc::new(sessions::CachedSessions::new(
            repos.sessions.clone(),
            redis.clone(),
        ));
        repos.users = Arc::new(users::InvalidatingUsers {
            inner: repos.users.clone(),
            redis: redis.clone(),
        });
        #[cfg(feature = "bearer")]
        if let Some(inner) = repos.bearer.clone() {
            repos.bearer = Some(Arc::new(bearer::CachedRevocations {
                inner,
                redis: redis.clone(),
            }));
        }
        repos.challenges = Arc::new(challenges::RedisChallenges {
            inner: repos.challenges.clone(),
            redis: redis.clone(),
        });
        if redis.config.rate_limits {
            repos.rate_limits = Arc::new(rate_limits::RedisRateLimits::new(
                repos.rate_limits.clone(),
                redis,
            ));
        }
        self
    }
}
