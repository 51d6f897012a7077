//! Errors of the standard endpoints, in the format their RFCs define
//! (`{"error": "invalid_grant", "error_description": "..."}`, RFC 6749 §5.2), not yauth's own
//! `{"error": {"code", "message"}}`: relying-party libraries parse these.

use std::borrow::Cow;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use yauth_store::StoreError;

use crate::error::ApiError;

/// An OAuth 2.0 error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: Cow<'static, str>,
    /// The `WWW-Authenticate` challenge of a 401: `Basic` for a client that authenticated
    /// with HTTP Basic (RFC 6749 §5.2), `Bearer` for a bad initial access token.
    challenge: Option<&'static str>,
    /// `Retry-After` of a 429.
    retry_after_secs: Option<u64>,
}

/// The JSON body of an [`OAuthError`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OAuthErrorBody {
    /// The RFC's error code, e.g. `invalid_grant`.
    pub error: String,
    /// A human-readable explanation.
    pub error_description: String,
}

impl OAuthError {
    fn new(
        status: StatusCode,
        error: &'static str,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            challenge: None,
            retry_after_secs: None,
        }
    }

    /// 400 `invalid_request`: a parameter is missing, repeated, or malformed.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 401 `invalid_client`: unknown client, wrong secret, or the wrong authentication method.
    pub fn invalid_client(basic_challenge: bool) -> Self {
        Self {
            challenge: basic_challenge.then_some("Basic realm=\"yauth\""),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            )
        }
    }

    /// 400 with a registration error of RFC 7591 §3.2.2 (`invalid_redirect_uri`,
    /// `invalid_client_metadata`).
    pub fn registration(error: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }

    /// 401 `invalid_token`: registration without the right initial access token (RFC 6750).
    pub fn invalid_token() -> Self {
        Self {
            challenge: Some("Bearer error=\"invalid_token\""),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the initial access token is missing or wrong",
            )
        }
    }

    /// 401 `invalid_token` from a resource endpoint (RFC 6750 §3.1), such as `/userinfo`:
    /// the access token is missing (the challenge then names no error), bad, expired or
    /// revoked, or its user can no longer sign in.
    pub fn invalid_access_token(missing: bool) -> Self {
        Self {
            challenge: Some(if missing {
                "Bearer realm=\"yauth\""
            } else {
                "Bearer realm=\"yauth\", error=\"invalid_token\""
            }),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                if missing {
                    "an access token is required (Authorization: Bearer)"
                } else {
                    "the access token is invalid, expired or revoked"
                },
            )
        }
    }

    /// 403 `insufficient_scope` from a resource endpoint (RFC 6750 §3.1): the access token's
    /// grant lacks the `openid` scope that `/userinfo` needs.
    pub fn insufficient_openid_scope() -> Self {
        Self {
            challenge: Some(
                "Bearer realm=\"yauth\", error=\"insufficient_scope\", scope=\"openid\"",
            ),
            ..Self::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "the access token was not granted the openid scope",
            )
        }
    }

    /// 401 `login_required` (OpenID Connect Core §3.1.2.6): the authorization endpoint needs
    /// a browser session, fresh enough for the request's `max_age` or `prompt=login`.
    pub fn login_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "login_required",
            "sign in (again), then retry the authorization request",
        )
    }

    /// 403 `access_denied`: dynamic registration is closed.
    pub fn registration_closed() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            "dynamic client registration is not enabled",
        )
    }

    /// 400 `invalid_grant`: the code, refresh token or device code is invalid, expired,
    /// used, or was issued to another client or redirect URI.
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// 400 `unauthorized_client`: the client may not use this grant type.
    pub fn unauthorized_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", description)
    }

    /// 400 `unsupported_grant_type`.
    pub fn unsupported_grant_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "this grant type is not supported",
        )
    }

    /// 400 `invalid_scope`: a scope is unknown or beyond what the client or grant allows.
    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// 400 `unsupported_token_type` (RFC 7009 §2.2.1).
    pub fn unsupported_token_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            "this token type cannot be revoked",
        )
    }

    /// 400 `authorization_pending` (RFC 8628 §3.5): the user has not decided yet.
    pub fn authorization_pending() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            "the user has not approved the request yet",
        )
    }

    /// 400 `slow_down` (RFC 8628 §3.5): polled before the interval passed.
    pub fn slow_down() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "slow_down",
            "polling too fast; add 5 seconds to the interval",
        )
    }

    /// 400 `access_denied`: the user refused.
    pub fn access_denied() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "access_denied",
            "the user denied the request",
        )
    }

    /// 400 `expired_token` (RFC 8628 §3.5): the device code expired.
    pub fn expired_token() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "expired_token",
            "the device code has expired",
        )
    }

    /// 503 `temporarily_unavailable`: storage or the signer is down; the client may retry.
    pub fn temporarily_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the server is temporarily unavailable; try again later",
        )
    }

    /// The RFC error code.
    pub fn error(&self) -> &'static str {
        self.error
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The human-readable description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The same refusal in yauth's own error shape, for the plugin's routes that are yauth's
    /// API rather than a standard's (consent, device verification). An outage says no more
    /// than any other 503.
    pub(crate) fn into_api_error(self) -> ApiError {
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            return ApiError::unavailable();
        }
        let error = ApiError::new(self.status, self.error, self.description);
        match self.retry_after_secs {
            Some(secs) => error.with_retry_after(secs),
            None => error,
        }
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

impl std::error::Error for OAuthError {}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = OAuthErrorBody {
            error: self.error.to_owned(),
            error_description: self.description.into_owned(),
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        // RFC 6749 §5.1: token responses, errors included, are never cached.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if let Some(challenge) = self.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "storage unavailable");
                Self::temporarily_unavailable()
            }
            other => {
                tracing::error!(error = %other, "storage error in an OAuth endpoint");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "something went wrong on our side",
                )
            }
        }
    }
}

impl From<ApiError> for OAuthError {
    /// yauth's own errors met inside a standard endpoint (rate limits, the signer, the
    /// hasher): 429 and 503 stay retryable, anything else is a server error.
    fn from(error: ApiError) -> Self {
        if error.status() == StatusCode::TOO_MANY_REQUESTS {
            Self {
                retry_after_secs: error.retry_after_secs(),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "temporarily_unavailable",
                    "too many requests; retry after the given time",
                )
            }
        } else if error.status() == StatusCode::SERVICE_UNAVAILABLE {
            Self::temporarily_unavailable()
        } else {
            tracing::error!(%error, "error in an OAuth endpoint");
            Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "something went wrong on our side",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn errors_have_the_rfc_shape_and_are_never_cached() {
        let response = OAuthError::invalid_grant("the code was already used").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "error": "invalid_grant",
                "error_description": "the code was already used",
            })
        );
    }

    #[test]
    fn a_basic_client_gets_a_challenge_with_its_401() {
        let response = OAuthError::invalid_client(true).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Basic realm=\"yauth\""
        );
        let response = OAuthError::invalid_client(false).into_response();
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    }

    #[test]
    fn rate_limits_keep_their_status_and_retry_after() {
        let response = OAuthError::from(ApiError::too_many_requests(7)).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }

    #[test]
    fn storage_outages_stay_retryable() {
        let error = OAuthError::from(StoreError::Unavailable("down".into()));
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error.error(), "temporarily_unavailable");
    }
}
