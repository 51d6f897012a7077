//! The users every deployment has.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{User, UserUpdate};

use crate::{Page, StoreResult, UserQuery};

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
