//! The oauth plugin's storage: linked accounts and authorization states.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{OauthAccount, OauthState};

use crate::StoreResult;

/// Linked external accounts and in-flight authorization states (OAuth client).
#[async_trait]
pub trait OauthRepository: Send + Sync {
    /// Links an account. Errors: `NotFound` (user),
    /// `Conflict(oauth_accounts.provider_user_id)` when that external account is linked already,
    /// `Conflict(oauth_accounts.user_provider)` when the user already linked this provider.
    async fn create_oauth_account(&self, account: &OauthAccount) -> StoreResult<()>;

    /// The account linked for this provider subject.
    async fn find_oauth_account(
        &self,
        provider: &str,
        provider_user_id: &str,
    ) -> StoreResult<Option<OauthAccount>>;

    /// A user's linked accounts, oldest first.
    async fn list_oauth_accounts(&self, user_id: Uuid) -> StoreResult<Vec<OauthAccount>>;

    /// Stores fresh provider tokens (already encrypted) and `updated_at = now`. Errors: `NotFound`.
    async fn update_oauth_tokens(
        &self,
        id: Uuid,
        access_token_enc: Option<&str>,
        refresh_token_enc: Option<&str>,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    /// Unlinks the user's account at `provider`. Returns whether one existed.
    async fn delete_oauth_account(&self, user_id: Uuid, provider: &str) -> StoreResult<bool>;

    /// Stores a state. Errors: `Conflict(oauth_states.state)`, `NotFound` (link user).
    async fn create_oauth_state(&self, state: &OauthState) -> StoreResult<()>;

    /// Atomically removes and returns the unexpired state with this hash: exactly one concurrent
    /// caller gets it.
    async fn consume_oauth_state(
        &self,
        state_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<OauthState>>;
}
