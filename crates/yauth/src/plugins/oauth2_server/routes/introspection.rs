//! Introspection (RFC 7662) and revocation (RFC 7009) of access tokens.

use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{check_lengths, malformed, no_store};
use crate::extract::ClientInfo;
use crate::plugins::bearer::AccessClaims;
use crate::plugins::oauth2_server::ServerState;
use crate::plugins::oauth2_server::client_auth::{AuthMethod, client_credentials};
use crate::plugins::oauth2_server::clients::{self, Client};
use crate::plugins::oauth2_server::error::{OAuthError, OAuthErrorBody};

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
/// an access token is active, and its claims; a client also learns of its own refresh tokens.
/// A token of a banned or deleted user is inactive.
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
    let (request, client) = lookup_request(&s, &client_info, &headers, form, false).await?;
    let answer = match active_claims(&s, &request.token).await? {
        Some(claims) => Introspection::of(&claims),
        None => live_refresh(&s, &client, &request.token)
            .await?
            .unwrap_or_else(Introspection::inactive),
    };
    Ok((no_store(), axum::Json(answer)).into_response())
}

/// What introspection says of a refresh token: only to the client it was issued to, and only
/// while it is live and its user may still sign in.
async fn live_refresh(
    s: &ServerState,
    client: &Client,
    token: &str,
) -> Result<Option<Introspection>, OAuthError> {
    let tokens = s.plugin.tokens(&s.core)?;
    let Some(row) = tokens.live_client_refresh(token, client.id()).await? else {
        return Ok(None);
    };
    let user = s.core.repos().users.find_user(row.user_id).await?;
    if user.is_none_or(|u| u.is_banned_at(s.core.now())) {
        return Ok(None);
    }
    let scopes = row
        .scopes
        .as_ref()
        .map(crate::plugins::oauth2_server::authorization::json_strings)
        .unwrap_or_default();
    Ok(Some(Introspection {
        active: true,
        scope: Some(scopes.join(" ")),
        client_id: Some(client.id().to_owned()),
        sub: Some(row.user_id.to_string()),
        token_type: Some("refresh_token"),
        exp: Some(row.expires_at.unix_timestamp()),
        iat: Some(row.created_at.unix_timestamp()),
        nbf: None,
        iss: Some(tokens.issuer().to_owned()),
        jti: None,
    }))
}

/// Token revocation (RFC 7009): a client revokes a refresh token issued to it (with every
/// token of its grant) or an access token issued to it. Unknown tokens and other clients'
/// tokens get the same answer and change nothing. Public clients name themselves.
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
    let (request, client) = lookup_request(&s, &client_info, &headers, form, true).await?;
    let tokens = s.plugin.tokens(&s.core)?;
    if tokens
        .revoke_client_refresh(&request.token, client.id())
        .await?
    {
        tracing::info!(
            client_id = client.id(),
            "refresh token revoked with its grant"
        );
    } else if let Some(claims) = active_claims(&s, &request.token).await?
        && claims.client_id == client.id()
    {
        tokens.revoke_access_token(&claims).await?;
        tracing::info!(client_id = client.id(), jti = %claims.jti, "access token revoked");
    }
    Ok((StatusCode::OK, no_store()).into_response())
}

/// Reads an introspection or revocation request and authenticates its client (a confidential
/// one, unless `allow_public`).
async fn lookup_request(
    s: &ServerState,
    client_info: &ClientInfo,
    headers: &HeaderMap,
    form: Result<axum::Form<TokenLookup>, FormRejection>,
    allow_public: bool,
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
    if credentials.method == AuthMethod::None && !allow_public {
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
