//! `POST /account/request-unlock`, `POST /account/unlock` and `POST /admin/users/{id}/unlock`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use yauth_entity::normalize_email;

use super::LockoutState;
use crate::auth::RequireAdmin;
use crate::crypto::hash_token;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ClientInfo, Json, Path};
use crate::input::{self, Validate};
use crate::routes::core::MessageResponse;

pub(crate) fn public(state: LockoutState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(request_unlock))
        .routes(routes!(unlock))
        .with_state(state)
}

pub(crate) fn protected(state: LockoutState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(admin_unlock))
        .with_state(state)
}

const REQUESTED_ANSWER: &str =
    "If that account is locked, an unlock link is on its way to its email address.";

/// An unlock link, asked for by email address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestUnlockRequest {
    /// The account's email address.
    #[schema(max_length = 254, format = "email")]
    pub email: String,
}

impl Validate for RequestUnlockRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_email("email", &self.email)
    }
}

/// An unlock token from the email.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockRequest {
    /// The token of the unlock link.
    #[schema(max_length = 512)]
    pub token: String,
}

impl Validate for UnlockRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_token("token", &self.token)
    }
}

/// Emails an unlock link to a locked account. Answers the same for any address, locked,
/// unlocked or unknown.
#[utoipa::path(post, path = "/account/request-unlock", tag = "account-lockout",
    request_body = RequestUnlockRequest,
    responses((status = 202, body = MessageResponse), (status = 400, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(super) async fn request_unlock(
    State(s): State<LockoutState>,
    client: ClientInfo,
    Json(body): Json<RequestUnlockRequest>,
) -> ApiResult<(StatusCode, axum::Json<MessageResponse>)> {
    let core = &s.core;
    input::check_email_syntax(&body.email)?;
    let email = normalize_email(&body.email);
    let limit = s.plugin.config.request_unlock_rate_limit;
    core.rate_limit_client("request_unlock", &client, limit)
        .await?;
    core.rate_limit("request_unlock", &format!("email:{email}"), limit)
        .await?;
    let task = s.clone();
    core.spawn_follow_up("account/request-unlock", async move {
        let (core, lockout) = (&task.core, &task.plugin);
        let Some(user) = core.repos().users.find_user_by_email(&email).await? else {
            return Ok(());
        };
        if !lockout.is_locked(core, &email).await? {
            return Ok(());
        }
        let until = lockout
            .repo
            .find_account_lock(user.id)
            .await?
            .and_then(|lock| lock.locked_until)
            .filter(|_| lockout.config.auto_unlock);
        lockout.send_unlock_link(core, &user, until).await?;
        Ok(())
    });
    Ok((StatusCode::ACCEPTED, MessageResponse::new(REQUESTED_ANSWER)))
}

/// Unlocks the account of an unlock link (once: the link is spent).
#[utoipa::path(post, path = "/account/unlock", tag = "account-lockout",
    request_body = UnlockRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(super) async fn unlock(
    State(s): State<LockoutState>,
    client: ClientInfo,
    Json(body): Json<UnlockRequest>,
) -> ApiResult<axum::Json<MessageResponse>> {
    let core = &s.core;
    core.rate_limit_client("unlock", &client, s.plugin.config.unlock_rate_limit)
        .await?;
    let invalid =
        || ApiError::bad_request("invalid_token", "This link is invalid, used or expired.");
    let token = s
        .plugin
        .repo
        .consume_unlock_token(&hash_token(&body.token), core.now())
        .await?
        .ok_or_else(invalid)?;
    let user = core
        .repos()
        .users
        .find_user(token.user_id)
        .await?
        .ok_or_else(invalid)?;
    s.plugin
        .unlock(core, &user, "token", None, &client.event_context())
        .await?;
    Ok(MessageResponse::new(
        "Your account is unlocked: sign in again.",
    ))
}

/// Lifts the lock of a user's account (administrators only).
#[utoipa::path(post, path = "/admin/users/{id}/unlock", tag = "account-lockout",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = MessageResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn admin_unlock(
    State(s): State<LockoutState>,
    RequireAdmin(admin): RequireAdmin,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<MessageResponse>> {
    let core = &s.core;
    let user = core
        .repos()
        .users
        .find_user(id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such user."))?;
    s.plugin
        .unlock(
            core,
            &user,
            "admin",
            Some(admin.id),
            &client.event_context(),
        )
        .await?;
    Ok(MessageResponse::new("The account is unlocked."))
}
