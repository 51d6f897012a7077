//! The endpoints: discovery, UserInfo and RP-initiated logout.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::discovery::{self, ProviderMetadata};
use super::userinfo::UserInfo;
use super::{OPENID, ProviderState};
use crate::error::ApiError;
use crate::plugins::oauth2_server::{OAuthError, OAuthErrorBody, Server};

pub(crate) fn public(state: ProviderState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(openid_configuration))
        .routes(routes!(userinfo, userinfo_post))
        .routes(routes!(
            super::end_session::end_session,
            super::end_session::end_session_post
        ))
        .with_state(state)
}

pub(super) fn server(s: &ProviderState) -> Result<&Server, OAuthError> {
    s.core.oauth2_server().map(|s| s.as_ref()).ok_or_else(|| {
        tracing::error!("oidc runs without the oauth2-server plugin");
        OAuthError::temporarily_unavailable()
    })
}

/// The OpenID Provider's metadata (OpenID Connect Discovery 1.0): the authorization server's
/// endpoints and methods, the UserInfo endpoint, the id_token signing algorithm and the
/// claims, listing only what is implemented.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "oidc",
    responses((status = 200, body = ProviderMetadata), (status = 503, body = OAuthErrorBody)))]
async fn openid_configuration(State(s): State<ProviderState>) -> Result<Response, OAuthError> {
    let server = server(&s)?;
    let tokens = server.tokens(&s.core)?;
    let algorithm = tokens.signing_algorithm().await.map_err(|error| {
        tracing::warn!(%error, "signing key unavailable for the provider metadata");
        OAuthError::temporarily_unavailable()
    })?;
    let document = discovery::document(&s.plugin.config, server, tokens.issuer(), algorithm);
    // The signing algorithm changes only with a new key, which is published before it signs.
    let cache = HeaderValue::from_static("public, max-age=300");
    Ok(([(header::CACHE_CONTROL, cache)], axum::Json(document)).into_response())
}

/// The signed-in user's claims (OpenID Connect Core §5.3), for an access token the user
/// granted a client with the `openid` scope, sent as `Authorization: Bearer`. `profile` and
/// `email` release their claims. A missing or bad token answers 401, a token without
/// `openid` 403 `insufficient_scope`, each with its `WWW-Authenticate` challenge.
#[utoipa::path(get, path = "/userinfo", tag = "oidc",
    security(("bearer" = [])),
    responses((status = 200, body = UserInfo), (status = 401, body = OAuthErrorBody),
        (status = 403, body = OAuthErrorBody), (status = 503, body = OAuthErrorBody)))]
async fn userinfo(
    State(s): State<ProviderState>,
    headers: HeaderMap,
) -> Result<Response, OAuthError> {
    let token = crate::auth::bearer_credential_from(&headers)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::invalid_access_token(true))?;
    let tokens = server(&s)?.tokens(&s.core)?;
    let claims = tokens
        .introspect(token)
        .await
        .map_err(|e| OAuthError::from(ApiError::from(e)))?
        .ok_or_else(|| OAuthError::invalid_access_token(false))?;
    let scopes: Vec<String> = claims
        .scope
        .as_deref()
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if !scopes.iter().any(|s| s == OPENID) {
        return Err(OAuthError::insufficient_openid_scope());
    }
    // A client's own token (client credentials) names the client, not a user.
    let user_id =
        uuid::Uuid::parse_str(&claims.sub).map_err(|_| OAuthError::invalid_access_token(false))?;
    let now = s.core.now();
    let user = s.core.repos().users.find_user(user_id).await?;
    let Some(user) = user.filter(|u| !u.is_banned_at(now)) else {
        return Err(OAuthError::invalid_access_token(false));
    };
    let info = UserInfo::of(&user, &scopes, &s.plugin.config);
    let no_store = HeaderValue::from_static("no-store");
    Ok(([(header::CACHE_CONTROL, no_store)], axum::Json(info)).into_response())
}

/// The signed-in user's claims by POST (OpenID Connect Core §5.3.1), as `GET /userinfo`. The
/// token goes in the `Authorization` header: one in the body (RFC 6750 §2.2) is refused with
/// 400 `invalid_request`, rather than ignored.
#[utoipa::path(post, path = "/userinfo", tag = "oidc",
    security(("bearer" = [])),
    responses((status = 200, body = UserInfo), (status = 400, body = OAuthErrorBody),
        (status = 401, body = OAuthErrorBody), (status = 403, body = OAuthErrorBody),
        (status = 503, body = OAuthErrorBody)))]
async fn userinfo_post(
    state: State<ProviderState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    if url::form_urlencoded::parse(&body).any(|(name, _)| name == "access_token") {
        return Err(OAuthError::invalid_request(
            "send the access token in the Authorization header, not the body",
        ));
    }
    userinfo(state, headers).await
}
