//! Request extractors shared by the handlers.

use std::net::IpAddr;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::client_ip;
use crate::error::ApiError;
use crate::events::EventContext;
use crate::state::YAuthState;

/// `axum::Json` whose rejections are [`ApiError`]s with stable codes (`invalid_body`,
/// `unsupported_media_type`) instead of plain-text bodies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send a JSON body with Content-Type: application/json.",
            )),
            Err(rejection) => Err(ApiError::bad_request(
                "invalid_body",
                format!("The request body is not valid: {}", rejection.body_text()),
            )),
        }
    }
}

/// Who is calling: the client IP (through trusted proxies only) and User-Agent.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Client IP; `None` if the server lacks `ConnectInfo`.
    pub ip: Option<IpAddr>,
    /// User-Agent header.
    pub user_agent: Option<String>,
}

impl ClientInfo {
    pub(crate) fn from_parts(parts: &Parts, state: &YAuthState) -> Self {
        Self {
            ip: client_ip::client_ip(parts, &state.derived().trusted_proxies),
            user_agent: parts
                .headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
        }
    }

    /// The event context of this client.
    pub fn event_context(&self) -> EventContext {
        EventContext {
            ip: self.ip,
            user_agent: self.user_agent.clone(),
        }
    }

    /// The rate-limit bucket of this client's IP (IPv6 by /64).
    pub fn ip_bucket(&self) -> String {
        client_ip::rate_limit_bucket(self.ip)
    }
}

impl<S> FromRequestParts<S> for ClientInfo
where
    S: Send + Sync,
    YAuthState: axum::extract::FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = <YAuthState as axum::extract::FromRef<S>>::from_ref(state);
        Ok(Self::from_parts(parts, &state))
    }
}
