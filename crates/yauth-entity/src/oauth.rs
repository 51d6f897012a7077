//! Rows of the OAuth client plugin.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// An external account linked to a user (`yauth_oauth_accounts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OauthAccount {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Owner; one account per provider.
    pub user_id: Uuid,
    /// Provider name, e.g. `github`.
    pub provider: String,
    /// The provider's subject id; unique per provider.
    pub provider_user_id: String,
    /// AEAD ciphertext of the provider access token.
    pub access_token_enc: Option<String>,
    /// AEAD ciphertext of the provider refresh token.
    pub refresh_token_enc: Option<String>,
    /// When the provider access token expires.
    pub expires_at: Option<OffsetDateTime>,
    /// Last token update.
    pub updated_at: OffsetDateTime,
    /// Link time.
    pub created_at: OffsetDateTime,
}

/// An in-flight authorization request (`yauth_oauth_states`); consumed once by the callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OauthState {
    /// Hex SHA-256 of the `state` parameter; primary key.
    pub state: String,
    /// Provider name.
    pub provider: String,
    /// Where to send the browser after the callback.
    pub redirect_url: Option<String>,
    /// PKCE code verifier.
    pub code_verifier: String,
    /// OpenID Connect nonce sent to the provider.
    pub nonce: Option<String>,
    /// Set when a signed-in user is linking a provider to their account.
    pub link_user_id: Option<Uuid>,
    /// End of validity.
    pub expires_at: OffsetDateTime,
    /// Creation time.
    pub created_at: OffsetDateTime,
}
