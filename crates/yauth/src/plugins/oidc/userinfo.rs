//! The claims of the UserInfo endpoint (OpenID Connect Core §5.3).

use serde::Serialize;
use utoipa::ToSchema;
use yauth_entity::User;

use super::config::OidcConfig;

/// The user's claims, as far as the access token's scopes and the configuration release them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserInfo {
    /// The user's id: the `sub` of the id_token.
    pub sub: String,
    /// The display name (scope `profile`), when the user set one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When the profile last changed, in seconds since the epoch (scope `profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    /// The email address (scope `email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the address was verified (scope `email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

impl UserInfo {
    pub(crate) fn of(user: &User, scopes: &[String], config: &OidcConfig) -> Self {
        let released = |claim: &str| config.releases(claim, scopes);
        Self {
            sub: user.id.to_string(),
            name: released("name")
                .then(|| user.display_name.clone())
                .flatten(),
            updated_at: released("updated_at").then(|| user.updated_at.unix_timestamp()),
            email: released("email").then(|| user.email.clone()),
            email_verified: released("email_verified").then_some(user.email_verified),
        }
    }
}
