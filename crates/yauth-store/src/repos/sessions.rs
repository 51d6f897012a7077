//! Login sessions, validated on every request.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{Session, User};

use crate::{Page, PageRequest, StoreResult};

/// Login sessions.
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Inserts a session. Errors: `NotFound` when the user does not exist;
    /// `Conflict(sessions.token_hash)`.
    async fn create_session(&self, session: &Session) -> StoreResult<()>;

    /// The hot path: the active session with this token hash and its user, in one call.
    /// `None` when unknown, idle-expired or past its absolute lifetime at `now`.
    async fn validate_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(Session, User)>>;

    /// Sliding renewal: sets `expires_at` to `min(expires_at, absolute_expires_at)` and
    /// `last_seen_at = now`, for an active session only. Returns whether it was renewed.
    async fn extend_session(
        &self,
        id: Uuid,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    /// The session with this id, active or not.
    async fn find_session(&self, id: Uuid) -> StoreResult<Option<Session>>;

    /// A user's active sessions, newest first.
    async fn list_user_sessions(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<Session>>;

    /// All active sessions, newest first (admin).
    async fn list_sessions(
        &self,
        page: PageRequest,
        now: OffsetDateTime,
    ) -> StoreResult<Page<Session>>;

    /// Deletes one session. Returns whether it existed.
    async fn delete_session(&self, id: Uuid) -> StoreResult<bool>;

    /// Deletes one session only if `user_id` owns it (users revoking their own sessions).
    async fn delete_user_session(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool>;

    /// Deletes all of a user's sessions except `keep` (log out everywhere else). Returns how many.
    async fn delete_user_sessions(&self, user_id: Uuid, keep: Option<Uuid>) -> StoreResult<u64>;
}
