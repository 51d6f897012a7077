//! `GET /admin/audit`: the audit trail, filtered.

use axum::extract::State;
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::IntoParams;
use uuid::Uuid;
use yauth_store::AuditQuery;

use super::super::AdminState;
use crate::auth::RequireAdmin;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::input::{self, Validate};
use crate::routes::activity::{AuditPage, EVENT_TYPE_MAX};
use crate::routes::page_request;

/// The filters and page of `GET /admin/audit`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditListQuery {
    /// Only events about this user.
    pub user_id: Option<Uuid>,
    /// Only events of this type.
    #[param(max_length = 64)]
    pub event_type: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<OffsetDateTime>,
    /// Only events before this instant (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<OffsetDateTime>,
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Rows to return, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

impl Validate for AuditListQuery {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_optional_text("event_type", self.event_type.as_deref(), EVENT_TYPE_MAX)
    }
}

/// The audit trail, newest first: by user, event type and time range.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", params(AuditListQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn list(
    State(s): State<AdminState>,
    _admin: RequireAdmin,
    Query(q): Query<AuditListQuery>,
) -> ApiResult<axum::Json<AuditPage>> {
    let query = AuditQuery {
        user_id: q.user_id,
        event_type: q.event_type,
        since: q.since,
        until: q.until,
        page: page_request(q.offset, q.limit)?,
    };
    let page = s.core.repos().audit.list_audit(&query).await?;
    Ok(axum::Json(page.into()))
}
