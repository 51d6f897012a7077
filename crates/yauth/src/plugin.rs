//! The plugin trait: every feature, built-in or custom, is a plugin.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use axum::http::request::Parts;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::events::{AuthEvent, EventContext, EventResponse};
use crate::state::YAuthState;

/// A feature of yauth: routes, event hooks and, optionally, a way to authenticate requests.
///
/// Plugins run in a fixed order: the built-in plugins in the order of the `with_*` calls, then
/// custom plugins in the order of [`with_plugin`](crate::YAuthBuilder::with_plugin). Events go
/// to them in that order (see [`YAuthState::emit`]).
///
/// ```
/// use async_trait::async_trait;
/// use yauth::{AuthEvent, EventContext, EventResponse, YAuthPlugin, YAuthState};
///
/// /// Refuses logins during a maintenance window.
/// struct Maintenance;
///
/// #[async_trait]
/// impl YAuthPlugin for Maintenance {
///     fn name(&self) -> &'static str {
///         "maintenance"
///     }
///
///     async fn on_event(&self, event: &AuthEvent, _: &EventContext, _: &YAuthState) -> EventResponse {
///         match event {
///             AuthEvent::LoginSucceeded { .. } => EventResponse::Block {
///                 status: 503,
///                 code: "maintenance",
///                 message: "Back soon.".into(),
///             },
///             _ => EventResponse::Continue,
///         }
///     }
/// }
/// ```
#[async_trait]
pub trait YAuthPlugin: Send + Sync + 'static {
    /// Unique name, shown by the status plugin.
    fn name(&self) -> &'static str;

    /// Names of the built-in plugins this one needs (e.g. `["email-password"]`). `build()` refuses
    /// to start when one is not enabled, or when a name is no yauth plugin.
    fn requires(&self) -> &'static [&'static str] {
        &[]
    }

    /// Routes reachable without authentication. The router must have its state applied.
    fn public_routes(&self, _state: &YAuthState) -> OpenApiRouter {
        OpenApiRouter::new()
    }

    /// Routes behind the auth middleware: handlers can take [`AuthUser`].
    fn protected_routes(&self, _state: &YAuthState) -> OpenApiRouter {
        OpenApiRouter::new()
    }

    /// The OpenAPI security schemes this plugin's authenticator accepts (e.g. `("bearer", ..)`).
    /// Each is added to the document, and every protected operation lists it as an
    /// alternative to the session cookie.
    fn security_schemes(&self) -> Vec<(&'static str, utoipa::openapi::security::SecurityScheme)> {
        Vec::new()
    }

    /// A way to authenticate requests (bearer tokens, API keys), tried after the session cookie.
    fn authenticator(&self) -> Option<Arc<dyn Authenticator>> {
        None
    }

    /// Work the plugin runs in the background (a delivery worker, say). Each task is spawned
    /// when [`build`](crate::YAuthBuilder::build) finishes and stops when the
    /// [`YAuth`](crate::YAuth) is dropped, so it must keep anything that must survive a stop in
    /// storage.
    fn background_tasks(&self, _state: &YAuthState) -> Vec<BackgroundTask> {
        Vec::new()
    }

    /// Reacts to an event. The default carries on.
    async fn on_event(
        &self,
        _event: &AuthEvent,
        _ctx: &EventContext,
        _state: &YAuthState,
    ) -> EventResponse {
        EventResponse::Continue
    }
}

/// A plugin's background work, for [`YAuthPlugin::background_tasks`].
pub type BackgroundTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Authenticates a request from its headers.
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// `Ok(None)` when the request carries no credential of this kind; `Err` when it carries one
    /// that is invalid.
    async fn authenticate(
        &self,
        parts: &Parts,
        state: &YAuthState,
    ) -> Result<Option<AuthUser>, ApiError>;
}

/// The state of a plugin's handlers: the core state and the plugin's own part (its config and
/// the repositories it resolved when it was added). Handlers take `State<PluginState<P>>`, and
/// anything that needs the core state gets it through `FromRef`.
pub struct PluginState<P> {
    /// The core state.
    pub core: YAuthState,
    /// The plugin's own state.
    pub plugin: Arc<P>,
}

impl<P> PluginState<P> {
    /// The state of a plugin with `plugin` as its own part.
    pub fn new(core: YAuthState, plugin: Arc<P>) -> Self {
        Self { core, plugin }
    }
}

impl<P> Clone for PluginState<P> {
    fn clone(&self) -> Self {
        Self {
            core: self.core.clone(),
            plugin: self.plugin.clone(),
        }
    }
}

impl<P> axum::extract::FromRef<PluginState<P>> for YAuthState {
    fn from_ref(state: &PluginState<P>) -> Self {
        state.core.clone()
    }
}
