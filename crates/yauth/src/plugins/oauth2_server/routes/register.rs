//! Dynamic client registration (RFC 7591).

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::no_store;
use crate::extract::ClientInfo;
use crate::plugins::oauth2_server::error::{OAuthError, OAuthErrorBody};
use crate::plugins::oauth2_server::registration::{ClientRegistration, RegisteredClient};
use crate::plugins::oauth2_server::{ServerState, register_client};

/// Registers a client (RFC 7591), when the configured policy allows it: open, or with the
/// initial access token as a bearer token. A confidential client's secret is in the answer,
/// this once.
#[utoipa::path(post, path = "/oauth/register", tag = "oauth2-server",
    request_body = ClientRegistration,
    responses((status = 201, body = RegisteredClient), (status = 400, body = OAuthErrorBody),
        (status = 401, body = OAuthErrorBody), (status = 403, body = OAuthErrorBody),
        (status = 429, body = OAuthErrorBody)))]
pub(super) async fn register(
    State(s): State<ServerState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Result<axum::Json<ClientRegistration>, JsonRejection>,
) -> Result<Response, OAuthError> {
    s.plugin.admit_registration(&headers)?;
    s.core
        .rate_limit_client(
            "oauth_register",
            &client,
            s.plugin.config.registration_rate_limit,
        )
        .await?;
    let axum::Json(registration) = body.map_err(|rejection| {
        OAuthError::registration("invalid_client_metadata", rejection.body_text())
    })?;
    let client_id = crate::crypto::random_token();
    let registered = register_client(&s.plugin, &s.core, client_id, &registration).await?;
    Ok((StatusCode::CREATED, no_store(), axum::Json(registered)).into_response())
}
