//! The session repository with validated sessions cached in Redis.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{Session, User};
use yauth_store::{Page, PageRequest, SessionRepository, StoreResult};

use super::{Generation, Redis};

/// Answers the entry when its flush, user and session generations are all current; deletes
/// it (and answers nothing) when one moved.
const LOOKUP: &str = r"
local value = redis.call('GET', KEYS[1])
if not value then return false end
local flush, ug, sg, uid, sid = string.match(value, '^(%d+)|(%d+)|(%d+)|([^|]+)|([^|]+)|')
if not flush then redis.call('DEL', KEYS[1]) return false end
local p = ARGV[1]
if flush ~= (redis.call('GET', p .. 'flush') or '0')
    or ug ~= (redis.call('GET', p .. 'gu:' .. uid) or '0')
    or sg ~= (redis.call('GET', p .. 'gs:' .. sid) or '0') then
  redis.call('DEL', KEYS[1])
  return false
end
return value
";

#[derive(serde::Serialize, serde::Deserialize)]
struct Cached {
    session: Session,
    user: User,
}

/// Sessions through the cache; every write that ends a session invalidates it.
pub(crate) struct CachedSessions {
    inner: Arc<dyn SessionRepository>,
    redis: Arc<Redis>,
    lookup: redis::Script,
}

impl CachedSessions {
    pub(crate) fn new(inner: Arc<dyn SessionRepository>, redis: Arc<Redis>) -> Self {
        Self {
            inner,
            redis,
            lookup: redis::Script::new(LOOKUP),
        }
    }

    async fn cached(&self, key: &str) -> Option<Cached> {
        let mut conn = self.redis.conn.clone();
        let mut invocation = self.lookup.prepare_invoke();
        invocation.key(key).arg(&self.redis.config.key_prefix);
        let value: String = self
            .redis
            .call("session lookup", async move {
                invocation.invoke_async::<Option<String>>(&mut conn).await
            })
            .await??;
        // The value is the flush and the two generations, the user and session ids, the JSON.
        let json = value.splitn(6, '|').nth(5)?;
        match serde_json::from_str(json) {
            Ok(cached) => Some(cached),
            Err(error) => {
                tracing::warn!(%error, "unreadable cached session: asking the database");
                None
            }
        }
    }

    /// Caches a validated session under the generations of its user and itself, until its
    /// expiry at the latest. The value starts with both ids, which [`LOOKUP`] reads.
    async fn store(&self, entry: &str, epoch: String, cached: &Cached, now: OffsetDateTime) {
        let until_expiry = cached
            .session
            .expires_at
            .min(cached.session.absolute_expires_at)
            - now;
        let (Ok(ttl), Ok(json)) = (
            std::time::Duration::try_from(until_expiry),
            serde_json::to_string(cached),
        ) else {
            return;
        };
        let (user_id, session_id) = (cached.user.id, cached.session.id);
        self.redis
            .fill(
                entry,
                &[Generation::User(user_id), Generation::Session(session_id)],
                epoch,
                format!("{user_id}|{session_id}|{json}"),
                ttl,
            )
            .await;
    }
}

#[async_trait]
impl SessionRepository for CachedSessions {
    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        self.inner.create_session(session).await
    }

    async fn validate_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(Session, User)>> {
        if !self.redis.usable().await {
            return self.inner.validate_session(token_hash, now).await;
        }
        let entry = format!("s:{token_hash}");
        if let Some(Cached { session, user }) = self.cached(&self.redis.key(&entry)).await {
            // The store's rule, applied to the cached copy: idle and absolute expiry.
            return Ok(session.is_active_at(now).then_some((session, user)));
        }
        // The epoch is read before the database, so that a fill racing with an invalidation
        // is dropped.
        let epoch = self.redis.epoch().await;
        let found = self.inner.validate_session(token_hash, now).await?;
        if let (Some(epoch), Some((session, user))) = (epoch, &found) {
            let cached = Cached {
                session: session.clone(),
                user: user.clone(),
            };
            self.store(&entry, epoch, &cached, now).await;
        }
        Ok(found)
    }

    async fn extend_session(
        &self,
        id: Uuid,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let extended = self.inner.extend_session(id, expires_at, now).await?;
        // The cached copy carries the old expiry; the next request reads the new one.
        self.redis.invalidate(Generation::Session(id)).await;
        Ok(extended)
    }

    async fn find_session(&self, id: Uuid) -> StoreResult<Option<Session>> {
        self.inner.find_session(id).await
    }

    async fn list_user_sessions(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<Session>> {
        self.inner.list_user_sessions(user_id, now).await
    }

    async fn list_sessions(
        &self,
        page: PageRequest,
        now: OffsetDateTime,
    ) -> StoreResult<Page<Session>> {
        self.inner.list_sessions(page, now).await
    }

    async fn delete_session(&self, id: Uuid) -> StoreResult<bool> {
        let deleted = self.inner.delete_session(id).await;
        // Even a failed delete may have reached the database.
        self.redis.invalidate(Generation::Session(id)).await;
        deleted
    }

    async fn delete_user_session(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let deleted = self.inner.delete_user_session(user_id, id).await;
        // Even a failed delete may have reached the database.
        self.redis.invalidate(Generation::Session(id)).await;
        deleted
    }

    async fn delete_user_sessions(&self, user_id: Uuid, keep: Option<Uuid>) -> StoreResult<u64> {
        let deleted = self.inner.delete_user_sessions(user_id, keep).await;
        // Even a failed delete may have reached the database.
        self.redis.invalidate(Generation::User(user_id)).await;
        deleted
    }
}
