//! `/admin/users`: list, read, update, delete, ban and unban.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use yauth_entity::{ADMIN_ROLE, User, UserUpdate};
use yauth_store::UserQuery;

use super::super::AdminState;
use super::sessions::AdminSession;
use super::{not_last_admin, not_self, page, target};
use crate::auth::RequireAdmin;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Json, Path, Query};
use crate::input::{self, Validate, limits};

/// A user as administrators see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminUser {
    /// User id.
    pub id: Uuid,
    /// Email.
    pub email: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Whether the email is verified.
    pub email_verified: bool,
    /// Role.
    pub role: String,
    /// Whether the user is banned now (a temporary ban past its end is not).
    pub banned: bool,
    /// Why the user was banned.
    pub banned_reason: Option<String>,
    /// When a temporary ban ends.
    #[serde(with = "time::serde::rfc3339::option")]
    pub banned_until: Option<OffsetDateTime>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl AdminUser {
    fn new(user: &User, now: OffsetDateTime) -> Self {
        Self {
            id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            email_verified: user.email_verified,
            role: user.role.clone(),
            banned: user.is_banned_at(now),
            banned_reason: user.banned_reason.clone(),
            banned_until: user.banned_until,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// A user with their active sessions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminUserDetail {
    /// The user.
    #[serde(flatten)]
    pub user: AdminUser,
    /// Their active sessions, newest first.
    pub sessions: Vec<AdminSession>,
}

/// One page of users.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    /// The users of this page, newest first.
    pub users: Vec<AdminUser>,
    /// How many users match in all.
    pub total: u64,
}

/// The filters and page of `GET /admin/users`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Case-insensitive part of the email or display name.
    #[param(max_length = 254)]
    pub search: Option<String>,
    /// Only users with this role.
    #[param(max_length = 32)]
    pub role: Option<String>,
    /// Only banned (`true`) or unbanned (`false`) users.
    pub banned: Option<bool>,
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Rows to return, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

impl Validate for UserListQuery {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_optional_text("search", self.search.as_deref(), limits::EMAIL)?;
        input::check_optional_text("role", self.role.as_deref(), ROLE_MAX)
    }
}

/// Longest role name (the column holds 32 characters).
const ROLE_MAX: usize = 32;

/// Lists users: newest first, searched and filtered, one page with the total.
#[utoipa::path(get, path = "/admin/users", tag = "admin", params(UserListQuery),
    responses((status = 200, body = UserList), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn list(
    State(s): State<AdminState>,
    _admin: RequireAdmin,
    Query(q): Query<UserListQuery>,
) -> ApiResult<axum::Json<UserList>> {
    let query = UserQuery {
        search: q.search.filter(|t| !t.trim().is_empty()),
        role: q.role,
        banned: q.banned,
        page: page(q.offset, q.limit)?,
    };
    let found = s.core.repos().users.list_users(&query).await?;
    let now = s.core.now();
    Ok(axum::Json(UserList {
        users: found.items.iter().map(|u| AdminUser::new(u, now)).collect(),
        total: found.total,
    }))
}

/// One user, with their active sessions.
#[utoipa::path(get, path = "/admin/users/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = AdminUserDetail), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn get(
    State(s): State<AdminState>,
    _admin: RequireAdmin,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<AdminUserDetail>> {
    let user = target(&s, id).await?;
    let now = s.core.now();
    let sessions = s.core.repos().sessions.list_user_sessions(id, now).await?;
    Ok(axum::Json(AdminUserDetail {
        user: AdminUser::new(&user, now),
        sessions: sessions.iter().map(AdminSession::from).collect(),
    }))
}

/// The fields an administrator may change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// New role: 1 to 32 lowercase letters, digits, `_` or `-`.
    #[schema(min_length = 1, max_length = 32, pattern = "^[a-z0-9_-]+$")]
    pub role: Option<String>,
    /// New display name; `null` clears it.
    #[serde(default, deserialize_with = "crate::input::present")]
    #[schema(max_length = 100, nullable, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub display_name: Option<Option<String>>,
    /// Mark the email verified or not.
    pub email_verified: Option<bool>,
}

impl Validate for UpdateUserRequest {
    fn validate(&self) -> Result<(), ApiError> {
        if let Some(role) = &self.role {
            input::check_text("role", role, ROLE_MAX)?;
            let valid = !role.is_empty()
                && role
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !valid {
                return Err(ApiError::bad_request(
                    "invalid_role",
                    "A role is 1 to 32 lowercase letters, digits, _ or -.",
                ));
            }
        }
        if let Some(Some(name)) = &self.display_name {
            input::check_text("display_name", name, limits::NAME)?;
        }
        Ok(())
    }
}

/// Updates a user's role, display name or email verification. An administrator cannot demote
/// themselves, and the last administrator cannot be demoted.
#[utoipa::path(put, path = "/admin/users/{id}", tag = "admin", request_body = UpdateUserRequest,
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = AdminUser), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn update(
    State(s): State<AdminState>,
    RequireAdmin(admin): RequireAdmin,
    client: ClientInfo,
    Path(id): Path<Uuid>,
    Json(body): Json<UpdateUserRequest>,
) -> ApiResult<axum::Json<AdminUser>> {
    let demotes = |user: &User| {
        user.role == ADMIN_ROLE && body.role.as_deref().is_some_and(|r| r != ADMIN_ROLE)
    };
    let _guard = s.plugin.admin_removal.lock().await;
    let user = target(&s, id).await?;
    if demotes(&user) {
        not_self(admin.id, id, "demote")?;
        not_last_admin(&s, &user).await?;
    }
    let display_name = body
        .display_name
        .map(|name| name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()));
    let mut changed = Vec::new();
    if body.role.as_ref().is_some_and(|r| *r != user.role) {
        changed.push("role");
    }
    if display_name
        .as_ref()
        .is_some_and(|n| *n != user.display_name)
    {
        changed.push("display_name");
    }
    if body
        .email_verified
        .is_some_and(|v| v != user.email_verified)
    {
        changed.push("email_verified");
    }
    let now = s.core.now();
    if changed.is_empty() {
        return Ok(axum::Json(AdminUser::new(&user, now)));
    }
    let update = UserUpdate {
        role: body.role,
        display_name,
        email_verified: body.email_verified,
        ..UserUpdate::default()
    };
    let updated = s.core.repos().users.update_user(id, &update, now).await?;
    s.core
        .emit(
            AuthEvent::UserUpdatedByAdmin {
                user_id: id,
                admin_id: admin.id,
                changed,
            },
            &client.event_context(),
        )
        .await;
    Ok(axum::Json(AdminUser::new(&updated, now)))
}

/// Deletes a user and everything they own (sessions, credentials, tokens, keys). An
/// administrator cannot delete themselves, and the last administrator cannot be deleted.
#[utoipa::path(delete, path = "/admin/users/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(super) async fn delete(
    State(s): State<AdminState>,
    RequireAdmin(admin): RequireAdmin,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    not_self(admin.id, id, "delete")?;
    let _guard = s.plugin.admin_removal.lock().await;
    let user = target(&s, id).await?;
    not_last_admin(&s, &user).await?;
    if !s.core.repos().users.delete_user(id).await? {
        return Err(ApiError::not_found("No such user."));
    }
    s.core
        .emit(
            AuthEvent::UserDeleted {
                deleted_user_id: id,
                admin_id: admin.id,
            },
            &client.event_context(),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// A ban: why, and until when.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanRequest {
    /// Why, shown to administrators.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    /// When the ban ends (RFC 3339, in the future); absent is permanent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub until: Option<OffsetDateTime>,
}

impl Validate for BanRequest {
    fn validate(&self) -> Result<(), ApiError> {
        match &self.reason {
            Some(reason) => input::check_free_text("reason", reason, limits::FREE_TEXT),
            None => Ok(()),
        }
    }
}

/// Bans a user: every session, refresh token and live access token of theirs ends at once,
/// and their API keys stop working. Administrators cannot be banned (demote them first).
#[utoipa::path(post, path = "/admin/users/{id}/ban", tag = "admin", request_body = BanRequest,
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = AdminUser), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(super) async fn ban(
    State(s): State<AdminState>,
    RequireAdmin(admin): RequireAdmin,
    client: ClientInfo,
    Path(id): Path<Uuid>,
    Json(body): Json<BanRequest>,
) -> ApiResult<axum::Json<AdminUser>> {
    not_self(admin.id, id, "ban")?;
    let now = s.core.now();
    if body.until.is_some_and(|until| until <= now) {
        return Err(ApiError::bad_request(
            "invalid_ban_end",
            "until must be in the future.",
        ));
    }
    let user = target(&s, id).await?;
    if user.role == ADMIN_ROLE {
        return Err(ApiError::conflict(
            "admin_protected",
            "Administrators cannot be banned: demote them first.",
        ));
    }
    let reason = body
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let update = UserUpdate {
        banned: Some(true),
        banned_reason: Some(reason.clone()),
        banned_until: Some(body.until.map(yauth_entity::truncate_to_micros)),
        ..UserUpdate::default()
    };
    let repos = s.core.repos();
    let banned = repos.users.update_user(id, &update, now).await?;
    // Sessions end here; the bearer plugin revokes refresh families and live access tokens on
    // the event. Every request re-reads the user as well, so nothing of theirs works meanwhile.
    repos.sessions.delete_user_sessions(id, None).await?;
    s.core
        .emit(
            AuthEvent::UserBanned {
                user_id: id,
                admin_id: admin.id,
                reason,
                until: banned.banned_until,
            },
            &client.event_context(),
        )
        .await;
    Ok(axum::Json(AdminUser::new(&banned, now)))
}

/// Lifts a user's ban.
#[utoipa::path(post, path = "/admin/users/{id}/unban", tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = AdminUser), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn unban(
    State(s): State<AdminState>,
    RequireAdmin(admin): RequireAdmin,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<AdminUser>> {
    target(&s, id).await?;
    let update = UserUpdate {
        banned: Some(false),
        banned_reason: Some(None),
        banned_until: Some(None),
        ..UserUpdate::default()
    };
    let now = s.core.now();
    let user = s.core.repos().users.update_user(id, &update, now).await?;
    s.core
        .emit(
            AuthEvent::UserUnbanned {
                user_id: id,
                admin_id: admin.id,
            },
            &client.event_context(),
        )
        .await;
    Ok(axum::Json(AdminUser::new(&user, now)))
}
