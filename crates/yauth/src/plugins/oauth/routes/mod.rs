//! The oauth plugin's routes: the browser flow (`flow`) and the signed-in user's linked
//! accounts (`accounts`).

mod accounts;
mod flow;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OauthState;
use crate::error::ApiError;

pub use accounts::{LinkRequest, LinkResponse, LinkedAccount};
pub use flow::{AuthorizeQuery, CallbackParams};

pub(crate) fn public(state: OauthState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(flow::authorize))
        .routes(routes!(flow::callback_get, flow::callback_post))
        .with_state(state)
}

pub(crate) fn protected(state: OauthState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(accounts::list))
        .routes(routes!(accounts::link))
        .routes(routes!(accounts::unlink))
        .with_state(state)
}

fn unknown_provider() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "unknown_provider",
        "No such sign-in provider.",
    )
}

/// The configured provider of this name.
fn provider<'a>(s: &'a OauthState, name: &str) -> Result<&'a super::Provider, ApiError> {
    s.plugin
        .shared
        .providers
        .get(name)
        .ok_or_else(unknown_provider)
}
