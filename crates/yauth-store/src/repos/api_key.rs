//! The api-key plugin's storage.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{ApiKey, User};

use crate::StoreResult;

/// API keys.
#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    /// Stores a key. Errors: `NotFound` (user), `Conflict(api_keys.key_prefix)`.
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()>;

    /// The hot path for key authentication: the key with this prefix and its owner, in one call,
    /// expired or not (the caller checks the secret's hash and the expiry).
    async fn find_api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<(ApiKey, User)>>;

    /// A user's keys, oldest first.
    async fn list_api_keys(&self, user_id: Uuid) -> StoreResult<Vec<ApiKey>>;

    /// Deletes the key if `user_id` owns it. Returns whether it did.
    async fn delete_api_key(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool>;

    /// Records a use. Errors: `NotFound`.
    async fn touch_api_key(&self, id: Uuid, now: OffsetDateTime) -> StoreResult<()>;
}
