//! Request extractors shared by the handlers.

use std::net::IpAddr;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::client_ip;
use crate::error::ApiError;
use crate::events::EventContext;
use crate::input::Validate;
use crate::state::YAuthState;

/// `axum::Json` whose rejections are [`ApiError`]s with stable codes (`invalid_body`,
/// `unsupported_media_type`, `payload_too_large`) instead of plain-text bodies, whose body must
/// be a JSON object (as every documented request body is; serde alone would also take `[]` for a
/// struct whose fields all have defaults), and whose value has passed [`Validate`]: every request
/// type goes through the one input layer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        let value = match axum::Json::<ObjectOnly<T>>::from_request(req, state).await {
            Ok(axum::Json(ObjectOnly(value))) => value,
            Err(JsonRejection::MissingJsonContentType(_)) => {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Send a JSON body with Content-Type: application/json.",
                ));
            }
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "The request body is too large.",
                ));
            }
            Err(rejection) => {
                return Err(ApiError::bad_request(
                    "invalid_body",
                    format!("The request body is not valid: {}", rejection.body_text()),
                ));
            }
        };
        value.validate()?;
        Ok(Self(value))
    }
}

/// `T`, deserialised only from a JSON object.
struct ObjectOnly<T>(T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Object<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Object(std::marker::PhantomData))
            .map(ObjectOnly)
    }
}

/// `axum::extract::Path` whose rejections are JSON [`ApiError`]s (`invalid_path`) instead of
/// plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::bad_request(
                "invalid_path",
                format!("The URL path is not valid: {}", rejection.body_text()),
            )),
        }
    }
}

/// `axum::extract::Query` whose rejections are JSON [`ApiError`]s (`invalid_query`), and whose
/// value has passed [`Validate`], like [`Json`] bodies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned + Validate + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => {
                value.validate()?;
                Ok(Self(value))
            }
            Err(rejection) => Err(ApiError::bad_request(
                "invalid_query",
                format!("The query string is not valid: {}", rejection.body_text()),
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

    /// The rate-limit bucket of this client's IP (IPv6 by /64). An error when the address is
    /// unknown: the server must be started with `ConnectInfo` (see [`client_ip`]).
    pub fn ip_bucket(&self) -> Result<String, ApiError> {
        self.ip
            .map(client_ip::rate_limit_bucket)
            .ok_or_else(client_ip::unknown_address_error)
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
