//! Repositories every deployment has: users, sessions, audit log, challenges, rate limits and the
//! expiry purge.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth_entity::{AuditLogEntry, Challenge, Session, User, UserUpdate};

use crate::{AuditQuery, Page, PageRequest, PurgeReport, RateDecision, StoreResult, UserQuery};

/// Users.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Inserts a user. The email is stored normalised (trimmed, lowercased).
    /// Errors: `Conflict(users.email)` when the email is taken in any case.
    async fn create_user(&self, user: &User) -> StoreResult<()>;

    /// The user with this id.
    async fn find_user(&self, id: Uuid) -> StoreResult<Option<User>>;

    /// The user with this email, compared case-insensitively.
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;

    /// Applies `update`, sets `updated_at = now` and returns the new row.
    /// Errors: `NotFound`; `Conflict(users.email)` for a taken email.
    async fn update_user(
        &self,
        id: Uuid,
        update: &UserUpdate,
        now: OffsetDateTime,
    ) -> StoreResult<User>;

    /// Deletes the user and, by cascade, everything they own (sessions, credentials, tokens...).
    /// Audit-log rows stay with `user_id` cleared. Returns whether the user existed.
    async fn delete_user(&self, id: Uuid) -> StoreResult<bool>;

    /// Users, newest first (`created_at` then `id`, descending), filtered by `query.search`.
    async fn list_users(&self, query: &UserQuery) -> StoreResult<Page<User>>;
}

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

/// The audit log.
#[async_trait]
pub trait AuditLogRepository: Send + Sync {
    /// Appends an entry. Errors: `NotFound` when `user_id` names no user.
    async fn append_audit(&self, entry: &AuditLogEntry) -> StoreResult<()>;

    /// Entries matching `query`, newest first (`created_at` then `id`, descending).
    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Page<AuditLogEntry>>;
}

/// Short-lived key/value state with a TTL (WebAuthn ceremonies, pending MFA logins).
#[async_trait]
pub trait ChallengeRepository: Send + Sync {
    /// Stores the challenge, replacing any challenge with the same key.
    async fn put_challenge(&self, challenge: &Challenge) -> StoreResult<()>;

    /// The unexpired challenge with this key, left in place.
    async fn get_challenge(&self, key: &str, now: OffsetDateTime)
    -> StoreResult<Option<Challenge>>;

    /// Atomically removes and returns the unexpired challenge with this key: of concurrent
    /// callers exactly one gets it.
    async fn take_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>>;

    /// Removes the challenge. Returns whether it existed.
    async fn delete_challenge(&self, key: &str) -> StoreResult<bool>;
}

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

/// Housekeeping.
#[async_trait]
pub trait MaintenanceRepository: Send + Sync {
    /// Deletes every row whose lifetime ended at or before `now`: sessions (idle or absolute),
    /// email verifications, password resets, magic links, OAuth states, refresh tokens,
    /// authorization codes, device codes, unlock tokens, challenges, rate-limit windows, JWT-id
    /// revocations and expired signing keys.
    async fn purge_expired(&self, now: OffsetDateTime) -> StoreResult<PurgeReport>;
}
