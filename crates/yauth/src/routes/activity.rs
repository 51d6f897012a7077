//! Audit events as the API shows them: `GET /me/activity` (a user's own) here, and the shapes
//! the admin plugin's `GET /admin/audit` shares.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use yauth_entity::AuditLogEntry;
use yauth_store::{AuditQuery, Page};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::input::{self, Validate};
use crate::state::YAuthState;

pub(crate) fn router(state: &YAuthState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(my_activity))
        .with_state(state.clone())
}

/// One audit event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    /// Event id.
    pub id: Uuid,
    /// What happened, e.g. `login_succeeded`, `password_changed`.
    pub event_type: String,
    /// The user it concerns (absent once that user is deleted, or for none).
    pub user_id: Option<Uuid>,
    /// The client's IP.
    pub ip_address: Option<String>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
    /// The event's details (method, session, administrator, ...).
    pub details: Option<serde_json::Value>,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<AuditLogEntry> for AuditEvent {
    fn from(entry: AuditLogEntry) -> Self {
        let mut details = entry.metadata;
        let user_agent = details
            .as_mut()
            .and_then(|d| d.as_object_mut())
            .and_then(|d| d.remove("user_agent"))
            .and_then(|ua| ua.as_str().map(str::to_owned));
        let details = details.filter(|d| d.as_object().is_none_or(|o| !o.is_empty()));
        Self {
            id: entry.id,
            event_type: entry.event_type,
            user_id: entry.user_id,
            ip_address: entry.ip_address,
            user_agent,
            details,
            created_at: entry.created_at,
        }
    }
}

/// One page of audit events, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// The events of this page.
    pub events: Vec<AuditEvent>,
    /// How many events match in all.
    pub total: u64,
}

impl From<Page<AuditLogEntry>> for AuditPage {
    fn from(page: Page<AuditLogEntry>) -> Self {
        Self {
            events: page.items.into_iter().map(AuditEvent::from).collect(),
            total: page.total,
        }
    }
}

/// Longest event type name (the column holds 64 characters).
pub(crate) const EVENT_TYPE_MAX: usize = 64;

/// The filter and page of `GET /me/activity`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Only events of this type.
    #[param(max_length = 64)]
    pub event_type: Option<String>,
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Rows to return, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

impl Validate for ActivityQuery {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_optional_text("event_type", self.event_type.as_deref(), EVENT_TYPE_MAX)
    }
}

/// The signed-in user's own security events (sign-ins with their IP and User-Agent, password
/// and factor changes, new sessions, ...), newest first.
#[utoipa::path(get, path = "/me/activity", tag = "core", params(ActivityQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn my_activity(
    State(state): State<YAuthState>,
    user: AuthUser,
    Query(q): Query<ActivityQuery>,
) -> ApiResult<axum::Json<AuditPage>> {
    let query = AuditQuery {
        user_id: Some(user.id),
        event_type: q.event_type,
        page: crate::routes::page_request(q.offset, q.limit)?,
        ..AuditQuery::default()
    };
    let page = state.repos().audit.list_audit(&query).await?;
    Ok(axum::Json(page.into()))
}
