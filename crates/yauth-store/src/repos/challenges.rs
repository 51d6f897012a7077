//! Short-lived challenges (WebAuthn ceremonies, pending MFA logins).

use async_trait::async_trait;
use time::OffsetDateTime;
use yauth_entity::Challenge;

use crate::StoreResult;

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
