//! `GET /session`, `POST /logout`, `PATCH /me`, and a user's own sessions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use yauth_entity::UserUpdate;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Json, Path};
use crate::input::{self, Validate, limits};
use crate::state::YAuthState;

pub(crate) fn router(state: &YAuthState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(get_session))
        .routes(routes!(logout))
        .routes(routes!(update_me))
        .routes(routes!(list_sessions, revoke_other_sessions))
        .routes(routes!(revoke_session))
        .with_state(state.clone())
}

/// The authenticated user.
#[utoipa::path(get, path = "/session", tag = "core",
    responses((status = 200, body = AuthUser), (status = 401, body = ErrorBody)))]
async fn get_session(user: AuthUser) -> axum::Json<AuthUser> {
    axum::Json(user)
}

/// A plain confirmation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageResponse {
    /// What happened.
    pub message: String,
}

impl MessageResponse {
    /// A response with this message.
    pub fn new(message: impl Into<String>) -> axum::Json<Self> {
        axum::Json(Self {
            message: message.into(),
        })
    }
}

/// Ends the current session and clears the cookie.
#[utoipa::path(post, path = "/logout", tag = "core",
    responses((status = 200, body = MessageResponse), (status = 401, body = ErrorBody)))]
async fn logout(
    State(state): State<YAuthState>,
    client: ClientInfo,
    jar: CookieJar,
    user: AuthUser,
) -> ApiResult<impl IntoResponse> {
    if let Some(session_id) = user.session_id {
        state.repos().sessions.delete_session(session_id).await?;
        state
            .emit(
                AuthEvent::Logout {
                    user_id: user.id,
                    session_id,
                },
                &client.event_context(),
            )
            .await;
    }
    Ok((
        jar.add(state.removal_cookie()),
        MessageResponse::new("Signed out."),
    ))
}

/// Profile changes. A field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// New display name; `null` (or an empty string) clears it, absent keeps it.
    #[serde(default, deserialize_with = "crate::input::present")]
    #[schema(max_length = 100, nullable, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub display_name: Option<Option<String>>,
}

impl Validate for UpdateMeRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_optional_text(
            "display_name",
            self.display_name.as_ref().and_then(Option::as_deref),
            limits::NAME,
        )
    }
}

/// Updates the user's profile.
#[utoipa::path(patch, path = "/me", tag = "core", request_body = UpdateMeRequest,
    responses((status = 200, body = AuthUser), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn update_me(
    State(state): State<YAuthState>,
    client: ClientInfo,
    user: AuthUser,
    Json(body): Json<UpdateMeRequest>,
) -> ApiResult<axum::Json<AuthUser>> {
    let display_name = body
        .display_name
        .map(|name| name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()));
    let update = UserUpdate {
        display_name,
        ..UserUpdate::default()
    };
    let updated = state
        .repos()
        .users
        .update_user(user.id, &update, state.now())
        .await?;
    state
        .emit(
            AuthEvent::ProfileUpdated { user_id: user.id },
            &client.event_context(),
        )
        .await;
    let mut me = AuthUser::from_user(&updated, user.auth_method, user.scopes.clone());
    me.session_id = user.session_id;
    Ok(axum::Json(me))
}

/// One of the user's sessions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionInfo {
    /// Session id.
    pub id: Uuid,
    /// IP at sign-in.
    pub ip_address: Option<String>,
    /// User-Agent at sign-in.
    pub user_agent: Option<String>,
    /// Sign-in time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last use.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// Idle expiry.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// The user's active sessions, newest first.
#[utoipa::path(get, path = "/sessions", tag = "core",
    responses((status = 200, body = Vec<SessionInfo>), (status = 401, body = ErrorBody)))]
async fn list_sessions(
    State(state): State<YAuthState>,
    user: AuthUser,
) -> ApiResult<axum::Json<Vec<SessionInfo>>> {
    let sessions = state
        .repos()
        .sessions
        .list_user_sessions(user.id, state.now())
        .await?;
    Ok(axum::Json(
        sessions
            .into_iter()
            .map(|s| SessionInfo {
                current: Some(s.id) == user.session_id,
                id: s.id,
                ip_address: s.ip_address,
                user_agent: s.user_agent,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
            })
            .collect(),
    ))
}

/// How many sessions were ended.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevokedResponse {
    /// Number of sessions ended.
    pub revoked: u64,
}

/// Signs out everywhere else: ends every session of the user except the current one.
#[utoipa::path(delete, path = "/sessions", tag = "core",
    responses((status = 200, body = RevokedResponse), (status = 401, body = ErrorBody)))]
async fn revoke_other_sessions(
    State(state): State<YAuthState>,
    user: AuthUser,
) -> ApiResult<axum::Json<RevokedResponse>> {
    let revoked = state
        .repos()
        .sessions
        .delete_user_sessions(user.id, user.session_id)
        .await?;
    Ok(axum::Json(RevokedResponse { revoked }))
}

/// Ends one of the user's own sessions.
#[utoipa::path(delete, path = "/sessions/{id}", tag = "core",
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_session(
    State(state): State<YAuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    if state
        .repos()
        .sessions
        .delete_user_session(user.id, id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("No such session."))
    }
}
