//! `GET /oauth/accounts`, `POST /oauth/{provider}/link` and `DELETE /oauth/{provider}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::flow::begin;
use super::provider;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Json};
use crate::input::{self, Validate};
use crate::plugins::oauth::OauthState;

/// An external identity linked to the account. Provider tokens are never shown.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LinkedAccount {
    /// Provider name.
    pub provider: String,
    /// The provider's id of the user.
    pub provider_user_id: String,
    /// When it was linked.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When its provider tokens were last refreshed (at its last sign-in).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Where to go after linking.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// An absolute URL under one of the configured allowed redirect URLs (default: the
    /// configured default redirect).
    #[schema(max_length = 2048, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub redirect_url: Option<String>,
}

impl Validate for LinkRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_optional_text("redirect_url", self.redirect_url.as_deref(), 2048)
    }
}

/// The provider URL to send the browser to; the callback links the identity and redirects
/// with `linked=<provider>`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LinkResponse {
    /// The provider's authorization URL.
    pub authorize_url: String,
}

/// The signed-in user's linked external identities, oldest first.
#[utoipa::path(get, path = "/oauth/accounts", tag = "oauth",
    responses((status = 200, body = Vec<LinkedAccount>)))]
pub(super) async fn list(
    State(s): State<OauthState>,
    user: AuthUser,
) -> ApiResult<axum::Json<Vec<LinkedAccount>>> {
    let accounts = s.plugin.shared.repo.list_oauth_accounts(user.id).await?;
    Ok(axum::Json(
        accounts
            .into_iter()
            .map(|a| LinkedAccount {
                provider: a.provider,
                provider_user_id: a.provider_user_id,
                created_at: a.created_at,
                updated_at: a.updated_at,
            })
            .collect(),
    ))
}

/// Starts linking a provider to the signed-in account (needs a recent sign-in). Answers the URL
/// to send the browser to, and sets the cookie that binds the request to this browser.
#[utoipa::path(post, path = "/oauth/{provider}/link", tag = "oauth",
    params(("provider" = String, Path, description = "Provider name")),
    request_body = LinkRequest,
    responses((status = 200, body = LinkResponse), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(super) async fn link(
    State(s): State<OauthState>,
    Path(provider_name): Path<String>,
    user: AuthUser,
    client: ClientInfo,
    jar: CookieJar,
    Json(body): Json<LinkRequest>,
) -> ApiResult<(CookieJar, axum::Json<LinkResponse>)> {
    provider(&s, &provider_name)?;
    s.core.require_recent_authentication(&user)?;
    let (cookie, url) = begin(
        &s,
        &provider_name,
        body.redirect_url.as_deref(),
        Some(user.id),
        &client,
    )
    .await?;
    Ok((
        jar.add(cookie),
        axum::Json(LinkResponse {
            authorize_url: url.into(),
        }),
    ))
}

/// Unlinks a provider (needs a recent sign-in). Refused when it is the account's last way to
/// sign in: no password, no passkey, no other provider, no magic link.
#[utoipa::path(delete, path = "/oauth/{provider}", tag = "oauth",
    params(("provider" = String, Path, description = "Provider name")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(super) async fn unlink(
    State(s): State<OauthState>,
    Path(provider_name): Path<String>,
    user: AuthUser,
    client: ClientInfo,
) -> ApiResult<StatusCode> {
    let core = &s.core;
    core.require_recent_authentication(&user)?;
    let repo = &s.plugin.shared.repo;
    let accounts = repo.list_oauth_accounts(user.id).await?;
    if !accounts.iter().any(|a| a.provider == provider_name) {
        return Err(not_linked());
    }
    let others = accounts.iter().any(|a| a.provider != provider_name);
    if !others && !has_other_sign_in(&s, &user).await? {
        return Err(ApiError::conflict(
            "last_sign_in_method",
            "This is the account's only way to sign in. Add a password or a passkey first.",
        ));
    }
    if !repo.delete_oauth_account(user.id, &provider_name).await? {
        return Err(not_linked());
    }
    core.emit(
        AuthEvent::OauthUnlinked {
            user_id: user.id,
            provider: provider_name,
        },
        &client.event_context(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

fn not_linked() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_linked",
        "This provider is not linked to the account.",
    )
}

/// Whether the account can sign in without any linked provider.
async fn has_other_sign_in(s: &OauthState, user: &AuthUser) -> ApiResult<bool> {
    let repos = s.core.repos();
    let enabled = s.core.plugin_names();
    if enabled.contains(&"email-password")
        && let Some(passwords) = &repos.email_password
        && passwords.find_password(user.id).await?.is_some()
    {
        return Ok(true);
    }
    if enabled.contains(&"passkey")
        && let Some(passkeys) = &repos.passkey
        && !passkeys
            .list_webauthn_credentials(user.id)
            .await?
            .is_empty()
    {
        return Ok(true);
    }
    // A magic link proves the address, so a verified one is a way in.
    Ok(enabled.contains(&"magic-link") && user.email_verified)
}
