//! `/admin/sessions`: list and terminate.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use yauth_entity::Session;

use super::super::AdminState;
use super::page;
use crate::auth::RequireAdmin;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Path, Query};
use crate::input::Validate;

/// A session as administrators see it (never its token).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminSession {
    /// Session id.
    pub id: Uuid,
    /// Its user.
    pub user_id: Uuid,
    /// The client IP at sign-in.
    pub ip_address: Option<String>,
    /// The client's User-Agent at sign-in.
    pub user_agent: Option<String>,
    /// The administrator, for an impersonation session.
    pub impersonator_id: Option<Uuid>,
    /// How the user authenticated (RFC 8176 values).
    pub amr: Vec<String>,
    /// Sign-in time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last renewal.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// When it ends unless renewed.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl From<&Session> for AdminSession {
    fn from(session: &Session) -> Self {
        Self {
            id: session.id,
            user_id: session.user_id,
            ip_address: session.ip_address.clone(),
            user_agent: session.user_agent.clone(),
            impersonator_id: session.impersonator_id,
            amr: session.amr_values().map(str::to_owned).collect(),
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
            expires_at: session.expires_at,
        }
    }
}

/// One page of active sessions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    /// The sessions of this page, newest first.
    pub sessions: Vec<AdminSession>,
    /// How many active sessions match in all.
    pub total: u64,
}

/// The filter and page of `GET /admin/sessions`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionListQuery {
    /// Only this user's sessions.
    pub user_id: Option<Uuid>,
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Rows to return, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

impl Validate for SessionListQuery {
    fn validate(&self) -> Result<(), ApiError> {
        Ok(())
    }
}

/// Lists active sessions, newest first, optionally of one user.
#[utoipa::path(get, path = "/admin/sessions", tag = "admin", params(SessionListQuery),
    responses((status = 200, body = SessionList), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn list(
    State(s): State<AdminState>,
    _admin: RequireAdmin,
    Query(q): Query<SessionListQuery>,
) -> ApiResult<axum::Json<SessionList>> {
    let page = page(q.offset, q.limit)?;
    let sessions = &s.core.repos().sessions;
    let now = s.core.now();
    let (items, total) = match q.user_id {
        // One user has few sessions: the store returns them all, the page is cut here.
        Some(user) => {
            let all = sessions.list_user_sessions(user, now).await?;
            let total = all.len() as u64;
            let start = usize::try_from(page.offset).unwrap_or(usize::MAX);
            let take = usize::try_from(page.limit).unwrap_or(usize::MAX);
            (all.into_iter().skip(start).take(take).collect(), total)
        }
        None => {
            let found = sessions.list_sessions(page, now).await?;
            (found.items, found.total)
        }
    };
    Ok(axum::Json(SessionList {
        sessions: items.iter().map(AdminSession::from).collect::<Vec<_>>(),
        total,
    }))
}

/// Ends one session at once (its cookie stops working on the next request).
#[utoipa::path(delete, path = "/admin/sessions/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn terminate(
    State(s): State<AdminState>,
    RequireAdmin(admin): RequireAdmin,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let sessions = &s.core.repos().sessions;
    let Some(session) = sessions.find_session(id).await? else {
        return Err(ApiError::not_found("No such session."));
    };
    if !sessions.delete_session(id).await? {
        return Err(ApiError::not_found("No such session."));
    }
    s.core
        .emit(
            AuthEvent::SessionTerminated {
                user_id: session.user_id,
                session_id: id,
                admin_id: admin.id,
            },
            &client.event_context(),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}
