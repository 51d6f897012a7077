//! The status plugin: `GET /status` lists the enabled plugins.

use std::sync::Arc;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::AuthUser;
use crate::builder::{PendingPlugin, YAuthBuilder};
use crate::error::ErrorBody;
use crate::plugin::YAuthPlugin;
use crate::state::YAuthState;

/// The enabled plugins.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusResponse {
    /// Plugin names, in order.
    pub plugins: Vec<String>,
}

struct StatusPlugin;

impl YAuthPlugin for StatusPlugin {
    fn name(&self) -> &'static str {
        "status"
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        OpenApiRouter::new()
            .routes(routes!(status))
            .with_state(state.clone())
    }
}

/// Lists the enabled plugins.
#[utoipa::path(get, path = "/status", tag = "status",
    responses((status = 200, body = StatusResponse), (status = 401, body = ErrorBody)))]
async fn status(State(state): State<YAuthState>, _user: AuthUser) -> axum::Json<StatusResponse> {
    axum::Json(StatusResponse {
        plugins: state
            .plugin_names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
    })
}

impl YAuthBuilder {
    /// Enables `GET /status`.
    pub fn with_status(self) -> Self {
        self.add_builtin(PendingPlugin {
            plugin: Arc::new(StatusPlugin),
            id: Some(crate::builder::PluginId::Status),
            sends_email: false,
        })
    }
}
