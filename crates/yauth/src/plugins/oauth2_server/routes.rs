//! The endpoints: metadata (RFC 8414), JWKS, dynamic registration (RFC 7591), the token
//! endpoint (client credentials, RFC 6749 §4.4), introspection (RFC 7662) and revocation
//! (RFC 7009). Requests are form-encoded, as the RFCs define, except registration (JSON).

use axum::extract::State;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::client_auth::{AuthMethod, client_credentials};
use super::clients::{self, Client, GrantType};
use super::error::{OAuthError, OAuthErrorBody};
use super::metadata::{self, ServerMetadata};
use super::registration::{ClientRegistration, RegisteredClient};
use super::{ServerState, register_client};
use crate::extract::ClientInfo;
use crate::plugins::bearer::{AccessClaims, Jwks};

pub(crate) fn public(state: ServerState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(server_metadata))
        .routes(routes!(jwks))
        .routes(routes!(register))
        .routes(routes!(token))
        .routes(routes!(introspect))
        .routes(routes!(revoke))
        .with_state(state)
}

/// The longest token, secret or scope list a form may carry.
const MAX_FIELD: usize = 4096;

/// The authorization server's metadata (RFC 8414): its endpoints, grant types, scopes and
/// client authentication methods, listing only what is implemented.
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "oauth2-server",
    responses((status = 200, body = ServerMetadata)))]
pub(super) async fn server_metadata(
    State(s): State<ServerState>,
) -> Result<axum::Json<ServerMetadata>, OAuthError> {
    let tokens = s.plugin.tokens(&s.core)?;
    Ok(axum::Json(metadata::document(
        &s.plugin.config,
        &s.plugin.endpoint_base,
        tokens.issuer(),
    )))
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
    let registered = register_client(&s.plugin, &s.core, &registration).await?;
    Ok((StatusCode::CREATED, no_store(), axum::Json(registered)).into_response())
}

/// A token request (RFC 6749 §4.4.2); the client authenticates with HTTP Basic or with
/// `client_id` and `client_secret` here.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `client_credentials`.
    pub grant_type: String,
    /// The scopes asked for, space-separated; default every scope of the client.
    pub scope: Option<String>,
    /// The client, when it does not use HTTP Basic.
    pub client_id: Option<String>,
    /// The client's secret, when it does not use HTTP Basic.
    pub client_secret: Option<String>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The access token: an RFC 9068 JWT, verifiable with the JWKS.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The granted scopes, space-separated.
    pub scope: String,
}

/// The token endpoint. Grant types: `client_credentials` (confidential clients registered for
/// it). Errors follow RFC 6749 §5.2.
#[utoipa::path(post, path = "/oauth/token", tag = "oauth2-server",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse), (status = 400, body = OAuthErrorBody),
        (status = 401, body = OAuthErrorBody), (status = 429, body = OAuthErrorBody),
        (status = 503, body = OAuthErrorBody)))]
pub(super) async fn token(
    State(s): State<ServerState>,
    client_info: ClientInfo,
    headers: HeaderMap,
    form: Result<axum::Form<TokenRequest>, FormRejection>,
) -> Result<Response, OAuthError> {
    s.core
        .rate_limit_client(
            "oauth_token",
            &client_info,
            s.plugin.config.token_rate_limit,
        )
        .await?;
    let axum::Form(request) = form.map_err(malformed)?;
    check_lengths([
        request.scope.as_deref(),
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
    ])?;
    let grant = GrantType::parse(&request.grant_type)
        .filter(|g| g.is_implemented())
        .ok_or_else(OAuthError::unsupported_grant_type)?;
    let credentials = client_credentials(
        &headers,
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
    )?;
    let client = clients::authenticate(&s.plugin.repo, &credentials).await?;
    if !client.allows(grant) {
        return Err(OAuthError::unauthorized_client(
            "the client is not registered for this grant type",
        ));
    }
    match grant {
        GrantType::ClientCredentials => {
            let scopes = granted_scopes(&s, &client, request.scope.as_deref())?;
            let tokens = s.plugin.tokens(&s.core)?;
            let (access_token, expires_in) =
                tokens.issue_for_client(client.id(), scopes.clone()).await?;
            tracing::info!(client_id = client.id(), "client credentials token issued");
            let body = TokenResponse {
                access_token,
                token_type: "Bearer",
                expires_in,
                scope: scopes.join(" "),
            };
            Ok((no_store(), axum::Json(body)).into_response())
        }
        // `is_implemented` let only client credentials through.
        _ => Err(OAuthError::unsupported_grant_type()),
    }
}

/// The scopes of a client-credentials grant: those asked for, each within the client's and
/// the server's; all of the client's when none are asked for.
fn granted_scopes(
    s: &ServerState,
    client: &Client,
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    let supported = &s.plugin.config.scopes_supported;
    let Some(requested) = requested else {
        let own = client.scopes.clone().unwrap_or_else(|| supported.clone());
        return Ok(own.into_iter().filter(|s| supported.contains(s)).collect());
    };
    let mut scopes: Vec<String> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !client.may_have(scope, supported) {
            return Err(OAuthError::invalid_scope(format!(
                "scope {scope:?} is not allowed for this client"
            )));
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    Ok(scopes)
}

/// A token to introspect or revoke, and the calling client's credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenLookup {
    /// The token.
    pub token: String,
    /// `access_token` or `refresh_token`: a hint only; every kind is looked up.
    pub token_type_hint: Option<String>,
    /// The client, when it does not use HTTP Basic.
    pub client_id: Option<String>,
    /// The client's secret, when it does not use HTTP Basic.
    pub client_secret: Option<String>,
}

/// What introspection says of a token (RFC 7662 §2.2). An inactive token is only
/// `{"active": false}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Introspection {
    /// Whether the token is valid now.
    pub active: bool,
    /// Its scopes, space-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client it was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Its subject: a user id, or the client for client credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `Bearer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// Expiry (seconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The token's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl Introspection {
    fn inactive() -> Self {
        Self {
            active: false,
            scope: None,
            client_id: None,
            sub: None,
            token_type: None,
            exp: None,
            iat: None,
            nbf: None,
            iss: None,
            jti: None,
        }
    }

    fn of(claims: &AccessClaims) -> Self {
        Self {
            active: true,
            scope: claims.scope.clone(),
            client_id: Some(claims.client_id.clone()),
            sub: Some(claims.sub.clone()),
            token_type: Some("Bearer"),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            nbf: Some(claims.nbf),
            iss: Some(claims.iss.clone()),
            jti: Some(claims.jti.clone()),
        }
    }
}

/// Token introspection (RFC 7662), for confidential clients such as resource servers: whether
/// an access token is active, and its claims. A token of a banned or deleted user is inactive.
#[utoipa::path(post, path = "/oauth/introspect", tag = "oauth2-server",
    request_body(content = TokenLookup, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = Introspection), (status = 400, body = OAuthErrorBody),
        (status = 401, body = OAuthErrorBody), (status = 429, body = OAuthErrorBody)))]
pub(super) async fn introspect(
    State(s): State<ServerState>,
    client_info: ClientInfo,
    headers: HeaderMap,
    form: Result<axum::Form<TokenLookup>, FormRejection>,
) -> Result<Response, OAuthError> {
    let (request, _client) = lookup_request(&s, &client_info, &headers, form).await?;
    let answer = match active_claims(&s, &request.token).await? {
        Some(claims) => Introspection::of(&claims),
        None => Introspection::inactive(),
    };
    Ok((no_store(), axum::Json(answer)).into_response())
}

/// Token revocation (RFC 7009): a client revokes an access token issued to it. Unknown tokens
/// and other clients' tokens get the same answer and change nothing.
#[utoipa::path(post, path = "/oauth/revoke", tag = "oauth2-server",
    request_body(content = TokenLookup, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Revoked, or nothing to revoke"),
        (status = 400, body = OAuthErrorBody), (status = 401, body = OAuthErrorBody),
        (status = 429, body = OAuthErrorBody)))]
pub(super) async fn revoke(
    State(s): State<ServerState>,
    client_info: ClientInfo,
    headers: HeaderMap,
    form: Result<axum::Form<TokenLookup>, FormRejection>,
) -> Result<Response, OAuthError> {
    let (request, client) = lookup_request(&s, &client_info, &headers, form).await?;
    let tokens = s.plugin.tokens(&s.core)?;
    if let Some(claims) = active_claims(&s, &request.token).await?
        && claims.client_id == client.id()
    {
        tokens.revoke_access_token(&claims).await?;
        tracing::info!(client_id = client.id(), jti = %claims.jti, "access token revoked");
    }
    Ok((StatusCode::OK, no_store()).into_response())
}

/// Reads an introspection or revocation request and authenticates its confidential client.
async fn lookup_request(
    s: &ServerState,
    client_info: &ClientInfo,
    headers: &HeaderMap,
    form: Result<axum::Form<TokenLookup>, FormRejection>,
) -> Result<(TokenLookup, Client), OAuthError> {
    s.core
        .rate_limit_client("oauth_token", client_info, s.plugin.config.token_rate_limit)
        .await?;
    let axum::Form(request) = form.map_err(malformed)?;
    check_lengths([
        Some(request.token.as_str()),
        request.token_type_hint.as_deref(),
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
    ])?;
    let credentials = client_credentials(
        headers,
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
    )?;
    if credentials.method == AuthMethod::None {
        return Err(OAuthError::invalid_client(false));
    }
    let client = clients::authenticate(&s.plugin.repo, &credentials).await?;
    Ok((request, client))
}

/// The claims of an active access token: valid, unrevoked, and, for a user's token, of a user
/// who still exists and is not banned.
async fn active_claims(
    s: &ServerState,
    token: &str,
) -> Result<Option<std::sync::Arc<AccessClaims>>, OAuthError> {
    let tokens = s.plugin.tokens(&s.core)?;
    let Some(claims) = tokens
        .introspect(token)
        .await
        .map_err(crate::ApiError::from)?
    else {
        return Ok(None);
    };
    if let Ok(user_id) = claims.sub.parse::<Uuid>() {
        let user = s.core.repos().users.find_user(user_id).await?;
        if user.is_none_or(|u| u.is_banned_at(s.core.now())) {
            return Ok(None);
        }
    }
    Ok(Some(claims))
}

fn malformed(rejection: FormRejection) -> OAuthError {
    OAuthError::invalid_request(format!("malformed request: {}", rejection.body_text()))
}

fn check_lengths<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> Result<(), OAuthError> {
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

/// RFC 6749 §5.1: token responses are never cached.
fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}
