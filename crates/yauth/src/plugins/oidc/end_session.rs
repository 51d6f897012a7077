//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): a relying party sends the
//! browser here to end the user's yauth session too, then gets it back.

use axum::extract::{Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::ProviderState;
use crate::error::ApiError;
use crate::events::AuthEvent;
use crate::extract::ClientInfo;
use crate::plugins::bearer::Audience;
use crate::plugins::oauth2_server::OAuthError;

/// The logout request, in the query (GET) or a form (POST).
#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct LogoutRequest {
    /// An id_token yauth issued to the client; expired ones are accepted. Required, so that
    /// no other site can sign the user out.
    pub id_token_hint: Option<String>,
    /// The client, when it names itself: it must be the id_token's audience.
    pub client_id: Option<String>,
    /// Where the browser goes afterwards: one of the client's registered redirect URIs,
    /// exactly. Without it, the core `base_url`.
    pub post_logout_redirect_uri: Option<String>,
    /// Echoed to `post_logout_redirect_uri`.
    pub state: Option<String>,
}

/// The longest parameter taken (an id_token is well under it).
const MAX_PARAMETER: usize = 8 * 1024;

/// Ends the session of the user an `id_token_hint` names, when it is this browser's, and
/// sends the browser on with 303: to the client's `post_logout_redirect_uri` (with `state`)
/// or the application. A bad request is shown as a 400, never redirected.
#[utoipa::path(get, path = "/oauth/end_session", tag = "oidc", params(LogoutRequest),
    responses(
        (status = 303, description = "Signed out; to the client or the application",
            headers(("location" = String, description = "Where"))),
        (status = 400, body = crate::plugins::oauth2_server::OAuthErrorBody),
        (status = 503, body = crate::plugins::oauth2_server::OAuthErrorBody)))]
pub(super) async fn end_session(
    State(s): State<ProviderState>,
    client: ClientInfo,
    request: Request,
) -> Result<Response, OAuthError> {
    let (parts, _) = request.into_parts();
    let Query(logout) =
        Query::<LogoutRequest>::try_from_uri(&parts.uri).map_err(|r| malformed(r.body_text()))?;
    sign_out(&s, &client, &parts, logout).await
}

/// RP-initiated logout by form post, as `GET /oauth/end_session` with its query.
#[utoipa::path(post, path = "/oauth/end_session", tag = "oidc",
    request_body(content = LogoutRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Signed out; to the client or the application",
            headers(("location" = String, description = "Where"))),
        (status = 400, body = crate::plugins::oauth2_server::OAuthErrorBody),
        (status = 503, body = crate::plugins::oauth2_server::OAuthErrorBody)))]
pub(super) async fn end_session_post(
    State(s): State<ProviderState>,
    client: ClientInfo,
    request: Request,
) -> Result<Response, OAuthError> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| OAuthError::invalid_request("the body is too large"))?;
    let logout = LogoutRequest::from_form(&body)?;
    sign_out(&s, &client, &parts, logout).await
}

/// The largest form taken.
const MAX_BODY: usize = 32 * 1024;

impl LogoutRequest {
    /// The request of a form body; a parameter given twice is refused.
    fn from_form(body: &[u8]) -> Result<Self, OAuthError> {
        let mut request = Self {
            id_token_hint: None,
            client_id: None,
            post_logout_redirect_uri: None,
            state: None,
        };
        for (name, value) in url::form_urlencoded::parse(body) {
            let field = match name.as_ref() {
                "id_token_hint" => &mut request.id_token_hint,
                "client_id" => &mut request.client_id,
                "post_logout_redirect_uri" => &mut request.post_logout_redirect_uri,
                "state" => &mut request.state,
                // Hints the provider may ignore (logout_hint, ui_locales).
                _ => continue,
            };
            if field.replace(value.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!("{name} is repeated")));
            }
        }
        Ok(request)
    }
}

fn malformed(why: String) -> OAuthError {
    OAuthError::invalid_request(format!("malformed request: {why}"))
}

async fn sign_out(
    s: &ProviderState,
    client: &ClientInfo,
    parts: &Parts,
    request: LogoutRequest,
) -> Result<Response, OAuthError> {
    let fields = [
        &request.id_token_hint,
        &request.client_id,
        &request.post_logout_redirect_uri,
        &request.state,
    ];
    if fields
        .iter()
        .filter_map(|f| f.as_deref())
        .any(|f| f.len() > MAX_PARAMETER || f.chars().any(char::is_control))
    {
        return Err(OAuthError::invalid_request(
            "a parameter is too long or contains control characters",
        ));
    }
    let hint = request
        .id_token_hint
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("id_token_hint is required"))?;
    let server = super::routes::server(s)?;
    let tokens = server.tokens(&s.core)?;
    let Some((subject, Audience::One(client_id))) = tokens.verify_id_token_hint(hint).await? else {
        return Err(OAuthError::invalid_request(
            "id_token_hint is not an id_token issued here",
        ));
    };
    if request
        .client_id
        .as_ref()
        .is_some_and(|named| *named != client_id)
    {
        return Err(OAuthError::invalid_request(
            "client_id is not the id_token's audience",
        ));
    }
    let location = match &request.post_logout_redirect_uri {
        Some(uri) => {
            let registered = server
                .redirect_uris_of(&client_id)
                .await?
                .unwrap_or_default();
            if !registered.contains(uri) {
                return Err(OAuthError::invalid_request(
                    "post_logout_redirect_uri is not a redirect URI of the client",
                ));
            }
            let mut url = url::Url::parse(uri)
                .map_err(|_| OAuthError::invalid_request("post_logout_redirect_uri is no URL"))?;
            if let Some(state) = &request.state {
                url.query_pairs_mut().append_pair("state", state);
            }
            url.to_string()
        }
        None => s.core.config().base_url.clone(),
    };
    // Only the session of the user the id_token names ends: a hint about someone else (an
    // old tab, another account) signs nobody out here.
    let session = crate::auth::session_user_proven_otherwise(&s.core, parts).await?;
    let mut response = (
        StatusCode::SEE_OTHER,
        [
            (
                header::LOCATION,
                HeaderValue::from_str(&location).map_err(|_| {
                    OAuthError::invalid_request("post_logout_redirect_uri is no valid header")
                })?,
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response();
    if let Some(user) = session.filter(|u| u.id.to_string() == subject)
        && let Some(session_id) = user.session_id
    {
        s.core
            .repos()
            .sessions
            .delete_session(session_id)
            .await
            .map_err(ApiError::from)?;
        let event = AuthEvent::Logout {
            user_id: user.id,
            session_id,
        };
        s.core.emit(event, &client.event_context()).await;
        tracing::info!(user_id = %user.id, %client_id, "signed out at the relying party's request");
        let jar = CookieJar::new().add(s.core.removal_cookie());
        response = (jar, response).into_response();
    }
    Ok(response)
}
