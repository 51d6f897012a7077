//! Discovery: the authorization server metadata (RFC 8414) and the JWKS.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::plugins::bearer::Jwks;
use crate::plugins::oauth2_server::ServerState;
use crate::plugins::oauth2_server::error::{OAuthError, OAuthErrorBody};
use crate::plugins::oauth2_server::metadata::ServerMetadata;

/// The authorization server's metadata (RFC 8414): its endpoints, grant types, scopes and
/// client authentication methods, listing only what is implemented.
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "oauth2-server",
    responses((status = 200, body = ServerMetadata)))]
pub(super) async fn server_metadata(
    State(s): State<ServerState>,
) -> Result<axum::Json<ServerMetadata>, OAuthError> {
    let tokens = s.plugin.tokens(&s.core)?;
    Ok(axum::Json(s.plugin.metadata(tokens.issuer())))
}

/// The public keys that verify access tokens: the signing key and every retired key whose
/// tokens may still be live.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "oauth2-server",
    responses((status = 200, body = Jwks), (status = 503, body = OAuthErrorBody)))]
pub(super) async fn jwks(State(s): State<ServerState>) -> Result<Response, OAuthError> {
    let tokens = s.plugin.tokens(&s.core)?;
    let keys = tokens.jwks().await.map_err(|error| {
        tracing::warn!(%error, "JWKS unavailable");
        OAuthError::temporarily_unavailable()
    })?;
    // Verifiers refetch on an unknown kid, and a new key signs only after it is published.
    let cache = HeaderValue::from_static("public, max-age=300");
    Ok(([(header::CACHE_CONTROL, cache)], axum::Json(keys)).into_response())
}
