//! `POST /token/refresh` and `POST /token/revoke`. (`POST /token`, a password sign-in that
//! answers tokens, lives with the password check in the email-password plugin.)

use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::BearerState;
use super::tokens::TokenPair;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ClientInfo, Json};
use crate::input::{self, Validate};
use crate::routes::core::MessageResponse;

pub(crate) fn public(state: BearerState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(refresh))
        .with_state(state)
}

pub(crate) fn protected(state: BearerState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(revoke))
        .with_state(state)
}

/// A refresh token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenRequest {
    /// The refresh token of the last pair.
    #[schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub refresh_token: String,
}

impl Validate for RefreshTokenRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_token("refresh_token", &self.refresh_token)
    }
}

/// Exchanges a refresh token for a new access and refresh token. The old refresh token is used
/// up; presenting it again revokes every token of its sign-in (401 `refresh_token_reused`).
#[utoipa::path(post, path = "/token/refresh", tag = "bearer", request_body = RefreshTokenRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(super) async fn refresh(
    State(s): State<BearerState>,
    client: ClientInfo,
    Json(body): Json<RefreshTokenRequest>,
) -> ApiResult<axum::Json<TokenPair>> {
    let core = &s.core;
    core.rate_limit_client(
        "token_refresh",
        &client,
        s.plugin.config().refresh_rate_limit,
    )
    .await?;
    let pair = s
        .plugin
        .refresh(&body.refresh_token, core.repos().users.as_ref())
        .await?;
    Ok(axum::Json(pair))
}

/// Revokes a refresh token of the signed-in user, with every token of its sign-in (the access
/// tokens included). Unknown tokens and other users' tokens get the same answer and change
/// nothing (RFC 7009).
#[utoipa::path(post, path = "/token/revoke", tag = "bearer", request_body = RefreshTokenRequest,
    responses((status = 200, body = MessageResponse), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(super) async fn revoke(
    State(s): State<BearerState>,
    client: ClientInfo,
    user: AuthUser,
    Json(body): Json<RefreshTokenRequest>,
) -> ApiResult<axum::Json<MessageResponse>> {
    let core = &s.core;
    core.rate_limit_client(
        "token_revoke",
        &client,
        s.plugin.config().refresh_rate_limit,
    )
    .await?;
    s.plugin.revoke(user.id, &body.refresh_token).await?;
    Ok(MessageResponse::new("Token revoked."))
}
