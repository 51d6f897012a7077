//! The magic-link plugin's storage.

use async_trait::async_trait;
use time::OffsetDateTime;
use yauth_entity::MagicLink;

use crate::StoreResult;

/// Magic sign-in links.
#[async_trait]
pub trait MagicLinkRepository: Send + Sync {
    /// Stores a link (email normalised). Errors: `Conflict(magic_links.token_hash)`.
    async fn create_magic_link(&self, link: &MagicLink) -> StoreResult<()>;

    /// Atomically marks the unused, unexpired link with this token hash as used and returns it:
    /// exactly one concurrent caller gets it.
    async fn consume_magic_link(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<MagicLink>>;

    /// Removes every link sent to `email`. Returns how many.
    async fn delete_magic_links(&self, email: &str) -> StoreResult<u64>;
}
