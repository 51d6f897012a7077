//! The status plugin: `GET /status` lists the enabled plugins.

mod routes;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;

use crate::builder::{PendingPlugin, YAuthBuilder};
use crate::plugin::YAuthPlugin;
use crate::state::YAuthState;

pub use routes::StatusResponse;

struct StatusPlugin;

impl YAuthPlugin for StatusPlugin {
    fn name(&self) -> &'static str {
        "status"
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::router(state)
    }
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
