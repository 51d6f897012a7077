//! The route of the status plugin.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::state::YAuthState;

/// The enabled plugins.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusResponse {
    /// Plugin names, in order.
    pub plugins: Vec<String>,
}

/// Lists the enabled plugins.
#[utoipa::path(get, path = "/status", tag = "status",
    responses((status = 200, body = StatusResponse), (status = 401, body = ErrorBody)))]
pub(super) async fn status(
    State(state): State<YAuthState>,
    _user: AuthUser,
) -> axum::Json<StatusResponse> {
    axum::Json(StatusResponse {
        plugins: state
            .plugin_names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
    })
}

pub(super) fn router(state: &YAuthState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(status))
        .with_state(state.clone())
}
