//! The passkey plugin's storage: WebAuthn credentials.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::WebauthnCredential;

use crate::StoreResult;

/// WebAuthn credentials.
#[async_trait]
pub trait PasskeyRepository: Send + Sync {
    /// Stores a credential. Errors: `NotFound` (user),
    /// `Conflict(webauthn_credentials.credential_id)`.
    async fn create_webauthn_credential(&self, credential: &WebauthnCredential) -> StoreResult<()>;

    /// The credential with this (base64url) credential id.
    async fn find_webauthn_credential(
        &self,
        credential_id: &str,
    ) -> StoreResult<Option<WebauthnCredential>>;

    /// A user's credentials, oldest first.
    async fn list_webauthn_credentials(
        &self,
        user_id: Uuid,
    ) -> StoreResult<Vec<WebauthnCredential>>;

    /// After a successful authentication: stores the updated passkey (signature counter) and
    /// `last_used_at = now`. Errors: `NotFound`.
    async fn update_webauthn_credential_use(
        &self,
        id: Uuid,
        credential: &serde_json::Value,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    /// Renames the credential if `user_id` owns it, in one statement. Returns whether a row
    /// changed: `false` when the user owns no such credential. (MySQL counts only rows whose
    /// value changed, so callers skip a rename to the current name.)
    async fn rename_webauthn_credential(
        &self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> StoreResult<bool>;

    /// Deletes the credential if `user_id` owns it. Returns whether it did.
    async fn delete_webauthn_credential(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool>;
}
