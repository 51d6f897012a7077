//! The token endpoint (RFC 6749 §3.2).

use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{check_lengths, malformed, no_store};
use crate::crypto::hash_token;
use crate::events::AuthEvent;
use crate::extract::ClientInfo;
use crate::plugins::bearer::{ClientRefreshRefusal, UserGrant};
use crate::plugins::oauth2_server::ServerState;
use crate::plugins::oauth2_server::authorization::json_strings;
use crate::plugins::oauth2_server::client_auth::client_credentials;
use crate::plugins::oauth2_server::clients::{self, Client, GrantType};
use crate::plugins::oauth2_server::error::{OAuthError, OAuthErrorBody};
use crate::plugins::oauth2_server::{CodeSignIn, OPENID, pkce};

/// A token request (RFC 6749 §4.1.3, §4.4.2, §6); the client authenticates with HTTP Basic,
/// with `client_id` and `client_secret` here, or, as a public client, with `client_id` only.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `authorization_code`, `refresh_token`, `client_credentials` or
    /// `urn:ietf:params:oauth:grant-type:device_code`.
    pub grant_type: String,
    /// The authorization code (authorization_code).
    pub code: Option<String>,
    /// The redirect URI the code was sent to, exactly (authorization_code).
    pub redirect_uri: Option<String>,
    /// The PKCE verifier whose S256 transform is the code's challenge (authorization_code).
    pub code_verifier: Option<String>,
    /// The refresh token (refresh_token).
    pub refresh_token: Option<String>,
    /// The device code from the device authorization response
    /// (urn:ietf:params:oauth:grant-type:device_code).
    pub device_code: Option<String>,
    /// The scopes asked for, space-separated (client_credentials; narrowing on refresh).
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
    /// A refresh token, single-use: each refresh answers a new one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The id_token (OpenID Connect Core §3.1.3.3), for an authorization code whose grant
    /// includes `openid`, when the oidc plugin is enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// The token endpoint. Grant types: `authorization_code` (with the PKCE verifier; a second use
/// of a code revokes what the first issued), `refresh_token` (rotated; a reused token revokes
/// its grant), `client_credentials` (confidential clients) and, when configured, the device
/// grant (`authorization_pending`, `slow_down`, `access_denied`, `expired_token` until the user
/// approves). Errors follow RFC 6749 §5.2.
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
        request.code.as_deref(),
        request.redirect_uri.as_deref(),
        request.code_verifier.as_deref(),
        request.refresh_token.as_deref(),
        request.device_code.as_deref(),
        request.scope.as_deref(),
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
    ])?;
    let grant = GrantType::parse(&request.grant_type)
        .filter(|g| g.is_offered(&s.plugin.config))
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
    let body = match grant {
        GrantType::AuthorizationCode => exchange_code(&s, &client, &request, &client_info).await?,
        GrantType::RefreshToken => refresh(&s, &client, &request).await?,
        GrantType::ClientCredentials => {
            if client.row.is_public {
                return Err(OAuthError::unauthorized_client(
                    "a public client cannot use client_credentials",
                ));
            }
            let scopes = client
                .scopes_for(request.scope.as_deref(), &s.plugin.config.scopes_supported)
                .map_err(scope_refused)?;
            let tokens = s.plugin.tokens(&s.core)?;
            let (access_token, expires_in) =
                tokens.issue_for_client(client.id(), scopes.clone()).await?;
            tracing::info!(client_id = client.id(), "client credentials token issued");
            TokenResponse {
                access_token,
                token_type: "Bearer",
                expires_in,
                scope: scopes.join(" "),
                refresh_token: None,
                id_token: None,
            }
        }
        GrantType::DeviceCode => super::device::exchange_device_code(&s, &client, &request).await?,
    };
    Ok((no_store(), axum::Json(body)).into_response())
}

/// The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.6). The code is consumed
/// atomically first, so two concurrent exchanges have one winner; then it must belong to this
/// client, name the same redirect URI and match the verifier. A code used before revokes every
/// token its first exchange issued.
async fn exchange_code(
    s: &ServerState,
    client: &Client,
    request: &TokenRequest,
    client_info: &ClientInfo,
) -> Result<TokenResponse, OAuthError> {
    let code = request
        .code
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let tokens = s.plugin.tokens(&s.core)?;
    let hash = hash_token(code);
    let now = s.core.now();
    let Some(stored) = s.plugin.repo.consume_authorization_code(&hash, now).await? else {
        if let Some(used) = s.plugin.repo.find_authorization_code(&hash).await?
            && used.used
        {
            tracing::warn!(client_id = client.id(), user_id = %used.user_id,
                "authorization code replayed: its tokens are revoked");
            tokens.revoke_user_grant(used.user_id, used.id).await?;
            let replayed = AuthEvent::OauthCodeReplayed {
                user_id: used.user_id,
                client_id: client.id().to_owned(),
            };
            s.core.emit(replayed, &client_info.event_context()).await;
        }
        return Err(OAuthError::invalid_grant(
            "the code is invalid, expired or already used",
        ));
    };
    if stored.client_id != client.id() {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if request.redirect_uri.as_deref() != Some(stored.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    let verified = request
        .code_verifier
        .as_deref()
        .is_some_and(|verifier| pkce::verify(verifier, &stored.code_challenge));
    if !verified {
        return Err(OAuthError::invalid_grant(
            "the code_verifier does not match",
        ));
    }
    let amr = json_strings(&stored.amr);
    let scopes = stored.scopes.as_ref().map(json_strings).unwrap_or_default();
    let openid = scopes.iter().any(|s| s == OPENID);
    let sign_in = Some((stored.auth_time, amr.clone()));
    let mut response = user_tokens(s, client, stored.user_id, scopes, sign_in, stored.id).await?;
    if let Some(issuer) = s.core.id_tokens().filter(|_| openid) {
        let sign_in = CodeSignIn {
            user_id: stored.user_id,
            client_id: client.id(),
            nonce: stored.nonce.as_deref(),
            auth_time: stored.auth_time,
            amr: &amr,
        };
        response.id_token = Some(
            issuer
                .id_token(&s.core, &sign_in, &response.access_token)
                .await?,
        );
    }
    tracing::info!(client_id = client.id(), user_id = %stored.user_id, "authorization code exchanged");
    Ok(response)
}

/// The tokens of a grant the user gave `client` (a code, a device approval), if the user may
/// still sign in: an access token, and a refresh token when the client uses them and, where the
/// server lists `offline_access`, the grant includes it. `family_id` is the grant's id, which
/// revocation of the grant follows.
pub(super) async fn user_tokens(
    s: &ServerState,
    client: &Client,
    user_id: uuid::Uuid,
    scopes: Vec<String>,
    sign_in: Option<(time::OffsetDateTime, Vec<String>)>,
    family_id: uuid::Uuid,
) -> Result<TokenResponse, OAuthError> {
    let tokens = s.plugin.tokens(&s.core)?;
    let now = s.core.now();
    let user = s.core.repos().users.find_user(user_id).await?;
    let Some(user) = user.filter(|u| !u.is_banned_at(now)) else {
        return Err(OAuthError::invalid_grant("the user can no longer sign in"));
    };
    let offline = &s.plugin.config.scopes_supported;
    let with_refresh = client.allows(GrantType::RefreshToken)
        && (!offline.iter().any(|s| s == OFFLINE_ACCESS)
            || scopes.iter().any(|s| s == OFFLINE_ACCESS));
    let issued = tokens
        .issue_for_user_grant(UserGrant {
            user_id: user.id,
            client_id: client.id(),
            scopes: scopes.clone(),
            sign_in,
            family_id,
            with_refresh,
        })
        .await?;
    Ok(TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: scopes.join(" "),
        refresh_token: issued.refresh_token,
        id_token: None,
    })
}

/// The refresh token grant (RFC 6749 §6): only the client the token was issued to may use it.
async fn refresh(
    s: &ServerState,
    client: &Client,
    request: &TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    let refresh_token = request
        .refresh_token
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let tokens = s.plugin.tokens(&s.core)?;
    let outcome = tokens
        .refresh_for_client(
            refresh_token,
            client.id(),
            request.scope.as_deref(),
            s.core.repos().users.as_ref(),
        )
        .await?;
    match outcome {
        Ok(issued) => Ok(TokenResponse {
            access_token: issued.access_token,
            token_type: "Bearer",
            expires_in: issued.expires_in,
            scope: issued.scopes.join(" "),
            refresh_token: issued.refresh_token,
            id_token: None,
        }),
        Err(ClientRefreshRefusal::InvalidGrant(why)) => Err(OAuthError::invalid_grant(why)),
        Err(ClientRefreshRefusal::InvalidScope) => Err(OAuthError::invalid_scope(
            "a refresh may only narrow the granted scopes",
        )),
    }
}

/// The scope that asks for refresh tokens, when the server lists it (OpenID Connect Core
/// §11): then only a grant that includes it gets one.
const OFFLINE_ACCESS: &str = "offline_access";

pub(super) fn scope_refused(scope: String) -> OAuthError {
    OAuthError::invalid_scope(format!("scope {scope:?} is not allowed for this client"))
}
