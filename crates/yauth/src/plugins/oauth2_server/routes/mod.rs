//! The endpoints: discovery (RFC 8414 metadata, JWKS), dynamic registration (RFC 7591), the
//! token endpoint (RFC 6749), introspection (RFC 7662), revocation (RFC 7009) and the device
//! grant (RFC 8628). Requests are form-encoded, as the RFCs define, except registration
//! (JSON).

mod authorize;
mod consents;
mod device;
mod discovery;
mod introspection;
mod register;
mod token;

use axum::extract::rejection::FormRejection;
use axum::http::{HeaderValue, header};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ServerState;
use super::error::OAuthError;

pub use authorize::{ConsentDecision, ConsentPrompt, RedirectTo};
pub use consents::ConsentView;
pub use device::{
    DeviceAuthorization, DeviceAuthorizationRequest, DeviceDecided, DeviceDecision, DevicePrompt,
};
pub use introspection::{Introspection, TokenLookup};
pub use token::{TokenRequest, TokenResponse};

pub(crate) fn public(state: ServerState) -> OpenApiRouter {
    let device = state.plugin.config.device.is_some();
    let router = OpenApiRouter::new()
        .routes(routes!(discovery::server_metadata))
        .routes(routes!(discovery::jwks))
        .routes(routes!(register::register))
        .routes(routes!(token::token))
        .routes(routes!(introspection::introspect))
        .routes(routes!(introspection::revoke))
        .routes(routes!(authorize::authorize));
    let router = if device {
        router.routes(routes!(device::device_authorization))
    } else {
        router
    };
    router.with_state(state)
}

/// Behind the auth middleware: the consent decision (a cookie-authenticated POST, so the
/// middleware's Origin check guards it) and the user's consents.
pub(crate) fn protected(state: ServerState) -> OpenApiRouter {
    let device = state.plugin.config.device.is_some();
    let router = OpenApiRouter::new()
        .routes(routes!(authorize::decide))
        .routes(routes!(consents::list))
        .routes(routes!(consents::withdraw));
    let router = if device {
        router.routes(routes!(device::device_prompt, device::device_decide))
    } else {
        router
    };
    router.with_state(state)
}

/// The longest token, secret or scope list a form may carry.
const MAX_FIELD: usize = 4096;

pub(super) fn malformed(rejection: FormRejection) -> OAuthError {
    OAuthError::invalid_request(format!("malformed request: {}", rejection.body_text()))
}

pub(super) fn check_lengths<'a>(
    fields: impl IntoIterator<Item = Option<&'a str>>,
) -> Result<(), OAuthError> {
    if fields
        .into_iter()
        .flatten()
        .any(|f| f.len() > MAX_FIELD || f.chars().any(char::is_control))
    {
        return Err(OAuthError::invalid_request(
            "a parameter is too long or contains control characters",
        ));
    }
    Ok(())
}

/// Whether a body is form-encoded (else it is read as JSON).
pub(super) fn is_form(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
}

/// A body a page may send either way: a form post, or JSON from a script. `Err` says why it
/// could not be read.
pub(super) async fn json_or_form<T: serde::de::DeserializeOwned>(
    request: axum::extract::Request,
) -> Result<T, String> {
    use axum::extract::FromRequest;
    if is_form(request.headers()) {
        axum::Form::<T>::from_request(request, &())
            .await
            .map(|axum::Form(body)| body)
            .map_err(|r| r.body_text())
    } else {
        axum::Json::<T>::from_request(request, &())
            .await
            .map(|axum::Json(body)| body)
            .map_err(|r| r.body_text())
    }
}

/// RFC 6749 §5.1: token responses are never cached.
pub(super) fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}
