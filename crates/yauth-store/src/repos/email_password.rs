//! The email-password plugin's storage: passwords, their history, verifications and resets.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{
    EmailVerification, PasswordCredential, PasswordHistoryEntry, PasswordReset, User,
};

use crate::{StoreError, StoreResult};

/// Passwords, password history, email verifications and password resets.
#[async_trait]
pub trait EmailPasswordRepository: Send + Sync {
    /// The user's current password.
    async fn find_password(&self, user_id: Uuid) -> StoreResult<Option<PasswordCredential>>;

    /// Sets (inserts or replaces) the user's password. Errors: `NotFound` for an unknown user.
    async fn set_password(&self, credential: &PasswordCredential) -> StoreResult<()>;

    /// Registers a user with a password atomically: the user (as
    /// [`UserRepository::create_user`](crate::UserRepository::create_user) stores it) and its
    /// password are written in one transaction, so afterwards either both exist or neither does.
    ///
    /// Errors: like `create_user` (`Conflict(users.email)` for a taken email,
    /// `Conflict(primary_key)` for a taken id), with nothing written; `Internal` when
    /// `credential.user_id` is not `user.id`, checked before storage is touched.
    async fn create_user_with_password(
        &self,
        user: &User,
        credential: &PasswordCredential,
    ) -> StoreResult<()>;

    /// Records an old password and keeps only the newest `keep` entries of the user.
    async fn add_password_history(
        &self,
        entry: &PasswordHistoryEntry,
        keep: u32,
    ) -> StoreResult<()>;

    /// The newest `limit` history entries of the user, newest first.
    async fn password_history(
        &self,
        user_id: Uuid,
        limit: u32,
    ) -> StoreResult<Vec<PasswordHistoryEntry>>;

    /// Stores a verification. Errors: `NotFound` (user), `Conflict(email_verifications.token_hash)`.
    async fn create_email_verification(&self, verification: &EmailVerification) -> StoreResult<()>;

    /// Atomically removes and returns the unexpired verification with this token hash: exactly
    /// one concurrent caller gets it.
    async fn consume_email_verification(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<EmailVerification>>;

    /// Removes all of a user's pending verifications. Returns how many.
    async fn delete_email_verifications(&self, user_id: Uuid) -> StoreResult<u64>;

    /// Stores a reset request. Errors: `NotFound` (user), `Conflict(password_resets.token_hash)`.
    async fn create_password_reset(&self, reset: &PasswordReset) -> StoreResult<()>;

    /// The unused, unexpired (`expires_at > now`) reset with this token hash, without changing it:
    /// the same rule as [`consume_password_reset`](Self::consume_password_reset), so a caller can
    /// check everything else before spending the single-use token. Finding it reserves nothing;
    /// only the consume decides which concurrent caller wins.
    async fn find_password_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PasswordReset>>;

    /// Atomically marks the unused, unexpired reset with this token hash as used at `now` and
    /// returns it: exactly one concurrent caller gets it.
    async fn consume_password_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PasswordReset>>;

    /// Removes all of a user's reset requests. Returns how many.
    async fn delete_password_resets(&self, user_id: Uuid) -> StoreResult<u64>;
}

/// The precondition of
/// [`create_user_with_password`](EmailPasswordRepository::create_user_with_password): the
/// credential belongs to the user being created. Every backend calls it before touching storage.
pub fn check_password_owner(user: &User, credential: &PasswordCredential) -> StoreResult<()> {
    if credential.user_id == user.id {
        Ok(())
    } else {
        Err(StoreError::Internal(format!(
            "create_user_with_password: the credential belongs to user {}, not to the user being \
             created ({})",
            credential.user_id, user.id
        )))
    }
}
