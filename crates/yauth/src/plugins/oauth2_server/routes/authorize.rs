//! The authorization endpoint: `GET /oauth/authorize` (the client sends the browser here) and
//! `POST /oauth/authorize` (the consent page submits the user's decision).
//!
//! A browser (`Accept: text/html`) is redirected: to the client with a code or an error, or
//! to the application's sign-in or consent page. A script gets JSON: the consent to show, or
//! `{"redirect_to": ...}` to navigate to.

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{is_form, json_or_form};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::events::AuthEvent;
use crate::extract::ClientInfo;
use crate::plugins::oauth2_server::ServerState;
use crate::plugins::oauth2_server::authorization::{self, AuthorizationRequest, Checked, Refusal};
use crate::plugins::oauth2_server::error::{OAuthError, OAuthErrorBody};

/// What the consent page shows, and posts back with the decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentPrompt {
    /// The client asking.
    pub client_id: String,
    /// Its registered name.
    pub client_name: Option<String>,
    /// The scopes it asks for.
    pub scopes: Vec<String>,
    /// Where the user is sent back.
    pub redirect_uri: String,
    /// The signed-in user's email.
    pub user_email: String,
}

/// Where a script should send the browser next.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedirectTo {
    /// The client's redirect URI with the code, or with the error.
    pub redirect_to: String,
}

/// The authorization endpoint (RFC 6749 §4.1.1, PKCE S256 required). A signed-in user who
/// consented before to these scopes is sent back to the client with a code at once; otherwise
/// the consent to ask for, or a redirect to the application's sign-in or consent page.
/// `prompt=none` never asks: it answers `login_required` or `consent_required`.
#[utoipa::path(get, path = "/oauth/authorize", tag = "oauth2-server",
    params(AuthorizationRequest),
    responses(
        (status = 200, description = "Consent is needed (JSON callers), or where to go next",
            body = ConsentPrompt),
        (status = 303, description = "A browser: to the client (code or error), or to the \
            sign-in or consent page", headers(("location" = String, description = "Where"))),
        (status = 400, body = OAuthErrorBody),
        (status = 401, description = "No session fresh enough (JSON callers)",
            body = OAuthErrorBody),
        (status = 429, description = "Too many requests from this address",
            body = OAuthErrorBody)))]
pub(super) async fn authorize(
    State(s): State<ServerState>,
    client: ClientInfo,
    request: Request,
) -> Response {
    let limit = s.plugin.config.authorization_rate_limit;
    if let Err(limited) = s
        .core
        .rate_limit_client("oauth_authorize", &client, limit)
        .await
    {
        return OAuthError::from(limited).into_response();
    }
    let (parts, _) = request.into_parts();
    let html = wants_html(&parts.headers);
    let query = match Query::<AuthorizationRequest>::try_from_uri(&parts.uri) {
        Ok(Query(query)) => query,
        Err(rejection) => {
            let text = format!("malformed request: {}", rejection.body_text());
            return OAuthError::invalid_request(text).into_response();
        }
    };
    match next_step(&s, &parts, &query, html).await {
        Ok(Next::Client(to)) => go(&to, html),
        Ok(Next::Page(to)) => see_other(&to),
        Ok(Next::Consent(prompt)) => (StatusCode::OK, axum::Json(prompt)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Where an authorization request goes next.
enum Next {
    /// Back to the client, with a code or an error.
    Client(String),
    /// To one of the application's pages (sign-in or consent).
    Page(String),
    /// The consent to ask for (JSON callers).
    Consent(ConsentPrompt),
}

async fn next_step(
    s: &ServerState,
    parts: &axum::http::request::Parts,
    query: &AuthorizationRequest,
    html: bool,
) -> Result<Next, OAuthError> {
    let issuer = s.plugin.tokens(&s.core)?.issuer().to_owned();
    let checked = match authorization::check(&s.plugin, &issuer, query).await {
        Ok(checked) => checked,
        Err(Refusal::Redirect(to)) => return Ok(Next::Client(to)),
        Err(Refusal::Show(error)) => return Err(error),
    };
    let user = crate::auth::session_user(&s.core, parts).await?;
    let now = s.core.now();
    let Some(user) = user.filter(|u| checked.signed_in_freshly(Some(u), now)) else {
        if checked.prompt.none {
            let to = checked.refuse("login_required", "the user is not signed in", &issuer);
            return Ok(Next::Client(to));
        }
        return match (&s.plugin.config.login_page, html) {
            (Some(page), true) => {
                let back = format!(
                    "{}/oauth/authorize?{}",
                    s.plugin.endpoint_base,
                    parts.uri.query().unwrap_or_default()
                );
                let target: String = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("return_to", &back)
                    .finish();
                Ok(Next::Page(format!(
                    "{}?{target}",
                    s.plugin.page_url(&s.core, page)
                )))
            }
            _ => Err(OAuthError::login_required()),
        };
    };
    if !checked.prompt.consent && checked.consented(&s.plugin, &user).await? {
        let to = checked
            .issue_code(&s.plugin, &s.core, &user, &issuer)
            .await?;
        return Ok(Next::Client(to));
    }
    if checked.prompt.none {
        let to = checked.refuse("consent_required", "the user has not consented", &issuer);
        return Ok(Next::Client(to));
    }
    match (&s.plugin.config.consent_page, html) {
        (Some(page), true) => Ok(Next::Page(format!(
            "{}?{}",
            s.plugin.page_url(&s.core, page),
            parts.uri.query().unwrap_or_default()
        ))),
        _ => Ok(Next::Consent(consent_prompt(&checked, &user))),
    }
}

/// The user's decision, with the authorization request it answers (its parameters repeated).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConsentDecision {
    /// `approve` or `deny`.
    pub decision: String,
    /// As in the authorization request.
    pub response_type: Option<String>,
    /// As in the authorization request.
    pub client_id: Option<String>,
    /// As in the authorization request.
    pub redirect_uri: Option<String>,
    /// As in the authorization request.
    pub scope: Option<String>,
    /// As in the authorization request.
    pub state: Option<String>,
    /// As in the authorization request.
    pub code_challenge: Option<String>,
    /// As in the authorization request.
    pub code_challenge_method: Option<String>,
    /// As in the authorization request.
    pub nonce: Option<String>,
    /// As in the authorization request.
    pub prompt: Option<String>,
    /// As in the authorization request.
    pub max_age: Option<i64>,
}

impl ConsentDecision {
    fn request(&self) -> AuthorizationRequest {
        AuthorizationRequest {
            response_type: self.response_type.clone(),
            client_id: self.client_id.clone(),
            redirect_uri: self.redirect_uri.clone(),
            scope: self.scope.clone(),
            state: self.state.clone(),
            code_challenge: self.code_challenge.clone(),
            code_challenge_method: self.code_challenge_method.clone(),
            nonce: self.nonce.clone(),
            prompt: self.prompt.clone(),
            max_age: self.max_age,
        }
    }
}

/// Submits the signed-in user's decision on an authorization request, as JSON or as a form
/// (a plain HTML form is answered with a redirect, JSON with `redirect_to`). Approval is
/// remembered for the client and these scopes. This is yauth's own API behind the session, so
/// its refusals have yauth's error shape; errors for the client travel in `redirect_to`.
#[utoipa::path(post, path = "/oauth/authorize", tag = "oauth2-server",
    request_body(content(
        (ConsentDecision = "application/json"),
        (ConsentDecision = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = RedirectTo),
        (status = 303, description = "A form post: to the client, with the code or the error",
            headers(("location" = String, description = "Where"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub(super) async fn decide(
    State(s): State<ServerState>,
    user: AuthUser,
    client: ClientInfo,
    request: Request,
) -> Response {
    let form = is_form(request.headers());
    let decision = match json_or_form::<ConsentDecision>(request).await {
        Ok(decision) => decision,
        Err(text) => {
            return shown(OAuthError::invalid_request(format!(
                "malformed decision: {text}"
            )));
        }
    };
    let outcome = async {
        let issuer = s.plugin.tokens(&s.core)?.issuer().to_owned();
        let checked = match authorization::check(&s.plugin, &issuer, &decision.request()).await {
            Ok(checked) => checked,
            Err(refusal) => return Ok(refusal),
        };
        if !checked.signed_in_freshly(Some(&user), s.core.now()) {
            return Ok(Refusal::Show(OAuthError::login_required()));
        }
        match decision.decision.as_str() {
            "approve" => {
                checked.record_consent(&s.plugin, &s.core, &user).await?;
                let granted = AuthEvent::OauthConsentGranted {
                    user_id: user.id,
                    client_id: checked.client.id().to_owned(),
                    scopes: checked.scopes.clone(),
                };
                s.core.emit(granted, &client.event_context()).await;
                let to = checked
                    .issue_code(&s.plugin, &s.core, &user, &issuer)
                    .await?;
                Ok(Refusal::Redirect(to))
            }
            "deny" => Ok(Refusal::Redirect(checked.refuse(
                "access_denied",
                "the user denied the request",
                &issuer,
            ))),
            _ => Ok(Refusal::Show(OAuthError::invalid_request(
                "decision must be approve or deny",
            ))),
        }
    }
    .await;
    match outcome {
        Ok(Refusal::Redirect(to)) => go(&to, form),
        Ok(Refusal::Show(error)) | Err(error) => shown(error),
    }
}

/// A refusal of the consent API, in yauth's error shape.
fn shown(error: OAuthError) -> Response {
    error.into_api_error().into_response()
}

/// What the consent screen shows for `checked`.
fn consent_prompt(checked: &Checked, user: &AuthUser) -> ConsentPrompt {
    ConsentPrompt {
        client_id: checked.client.id().to_owned(),
        client_name: checked.client.row.client_name.clone(),
        scopes: checked.scopes.clone(),
        redirect_uri: checked.redirect_uri.clone(),
        user_email: user.email.clone(),
    }
}

fn go(to: &str, redirect: bool) -> Response {
    if redirect {
        see_other(to)
    } else {
        axum::Json(RedirectTo {
            redirect_to: to.to_owned(),
        })
        .into_response()
    }
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
