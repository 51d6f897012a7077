//! Where an OpenID Provider joins the token endpoint: the id_token of an authorization code
//! whose grant includes `openid`. The oidc plugin implements [`IdTokenIssuer`]; this plugin
//! knows nothing else of it.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::YAuthState;

/// The scope that makes an authorization request an OpenID Connect one.
pub(crate) const OPENID: &str = "openid";

/// The sign-in an authorization code recorded, which its id_token reports.
pub(crate) struct CodeSignIn<'a> {
    pub user_id: Uuid,
    pub client_id: &'a str,
    /// The authorization request's nonce, echoed.
    pub nonce: Option<&'a str>,
    pub auth_time: OffsetDateTime,
    /// How the user signed in (RFC 8176).
    pub amr: &'a [String],
}

/// Issues id_tokens beside the access tokens of code grants.
#[async_trait]
pub(crate) trait IdTokenIssuer: Send + Sync {
    /// The id_token of `sign_in`, issued with `access_token`.
    async fn id_token(
        &self,
        core: &YAuthState,
        sign_in: &CodeSignIn<'_>,
        access_token: &str,
    ) -> Result<String, ApiError>;
}
