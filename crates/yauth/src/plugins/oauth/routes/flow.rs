//! `GET /oauth/{provider}/authorize` and `GET`/`POST /oauth/{provider}/callback`.

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use url::Url;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use yauth_entity::OauthState as PendingAuthorization;

use super::provider;
use crate::crypto::{constant_time_eq, hash_token, random_token};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Query};
use crate::input::{self, Validate};
use crate::login::{Issue, LoginMethod, LoginOutcome};
use crate::plugins::oauth::OauthState;
use crate::plugins::oauth::linking::{self, Refusal, Resolution};
use crate::state::YAuthState;

/// Longest URL a request may name as its post-login target.
const MAX_URL: usize = 2048;

/// Where to go after signing in.
#[derive(Debug, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuthorizeQuery {
    /// An absolute URL under one of the configured allowed redirect URLs (default: the
    /// configured default redirect).
    #[param(max_length = 2048, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    #[schema(max_length = 2048, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub redirect_url: Option<String>,
}

impl Validate for AuthorizeQuery {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_optional_text("redirect_url", self.redirect_url.as_deref(), MAX_URL)
    }
}

/// The provider's authorization response (RFC 6749 section 4.1.2, RFC 9207 `iss`). Providers
/// add parameters of their own, which are ignored.
#[derive(Debug, Default, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackParams {
    /// The state of the authorization request.
    #[param(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    #[schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub state: Option<String>,
    /// The authorization code.
    #[param(max_length = 4096, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    #[schema(max_length = 4096, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub code: Option<String>,
    /// The provider's error code, when the user or the provider refused.
    #[param(max_length = 256, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    #[schema(max_length = 256, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub error: Option<String>,
    /// The provider's error description.
    #[param(max_length = 1024)]
    #[schema(max_length = 1024)]
    pub error_description: Option<String>,
    /// The issuer that answered (RFC 9207).
    #[param(max_length = 2048, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    #[schema(max_length = 2048, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub iss: Option<String>,
}

impl Validate for CallbackParams {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_optional_text("state", self.state.as_deref(), 512)?;
        input::check_optional_text("code", self.code.as_deref(), 4096)?;
        input::check_optional_text("error", self.error.as_deref(), 256)?;
        input::check_optional_text("iss", self.iss.as_deref(), MAX_URL)?;
        if let Some(description) = &self.error_description
            && description.chars().count() > 1024
        {
            return Err(ApiError::bad_request(
                "invalid_input",
                "error_description is too long.",
            ));
        }
        Ok(())
    }
}

fn invalid_state() -> ApiError {
    ApiError::bad_request(
        "invalid_state",
        "This sign-in request is unknown, used, expired or from another browser. Start again.",
    )
}

/// The cookie that binds an authorization request to the browser that started it, so that a
/// callback URL made for one browser cannot sign another one in (login CSRF).
fn binding_cookie_name(core: &YAuthState) -> String {
    format!("{}_oauth", core.derived().cookie_name)
}

/// HttpOnly, Path=/, and with secure cookies `Secure; SameSite=None`: form_post providers
/// (Apple) return by a cross-site POST, which a Lax cookie would not accompany.
fn binding_cookie(core: &YAuthState, value: String, max_age: time::Duration) -> Cookie<'static> {
    let secure = core.derived().secure_cookies;
    Cookie::build((binding_cookie_name(core), value))
        .http_only(true)
        .path("/")
        .secure(secure)
        .same_site(if secure {
            SameSite::None
        } else {
            SameSite::Lax
        })
        .max_age(max_age)
        .build()
}

/// Starts an authorization request: checks the target, stores the state (hashed) with its PKCE
/// verifier and nonce, and answers the binding cookie and the provider URL.
pub(super) async fn begin(
    s: &OauthState,
    provider_name: &str,
    redirect_url: Option<&str>,
    link_user_id: Option<Uuid>,
    client: &ClientInfo,
) -> ApiResult<(Cookie<'static>, Url)> {
    let core = &s.core;
    let shared = &s.plugin.shared;
    let provider = provider(s, provider_name)?;
    core.rate_limit_client("oauth_authorize", client, shared.config.rate_limit)
        .await?;
    let target = match redirect_url {
        Some(url) if s.plugin.redirects.allows(url) => url.to_owned(),
        Some(_) => {
            return Err(ApiError::bad_request(
                "redirect_not_allowed",
                "redirect_url is not one of the allowed redirect URLs.",
            ));
        }
        None => s.plugin.redirects.default_target().to_owned(),
    };
    let state = random_token();
    let code_verifier = random_token();
    let nonce = provider.is_oidc().then(random_token);
    let url = provider
        .authorize_url(&shared.http, &state, &code_verifier, nonce.as_deref())
        .await
        .map_err(|error| {
            tracing::warn!(provider = provider_name, %error, "starting an OAuth sign-in failed");
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "provider_unavailable",
                "The sign-in provider cannot be reached. Try again later.",
            )
        })?;
    let now = core.now();
    shared
        .repo
        .create_oauth_state(&PendingAuthorization {
            state: hash_token(&state),
            provider: provider_name.to_owned(),
            redirect_url: Some(target),
            code_verifier,
            nonce,
            link_user_id,
            expires_at: now + shared.config.state_ttl,
            created_at: now,
        })
        .await?;
    Ok((binding_cookie(core, state, shared.config.state_ttl), url))
}

/// Redirects the browser to the provider to sign in.
#[utoipa::path(get, path = "/oauth/{provider}/authorize", tag = "oauth",
    params(("provider" = String, Path, description = "Provider name"), AuthorizeQuery),
    responses((status = 303, description = "Redirect to the provider",
            headers(("location" = String, description = "The provider's authorization URL"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(super) async fn authorize(
    State(s): State<OauthState>,
    Path(provider_name): Path<String>,
    client: ClientInfo,
    jar: CookieJar,
    Query(query): Query<AuthorizeQuery>,
) -> ApiResult<Response> {
    let (cookie, url) = begin(
        &s,
        &provider_name,
        query.redirect_url.as_deref(),
        None,
        &client,
    )
    .await?;
    Ok((jar.add(cookie), no_store(Redirect::to(url.as_str()))).into_response())
}

/// The provider's answer, in the query (most providers).
#[utoipa::path(get, path = "/oauth/{provider}/callback", tag = "oauth",
    params(("provider" = String, Path, description = "Provider name"), CallbackParams),
    responses((status = 303, description = "Signed in, linked, or refused: redirect to the \
            request's target, with `error=<code>` when refused, or `#mfa_required=true&pending_session_id=…` \
            when a second factor is needed",
            headers(("location" = String, description = "The post-login target"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(super) async fn callback_get(
    State(s): State<OauthState>,
    Path(provider_name): Path<String>,
    client: ClientInfo,
    jar: CookieJar,
    Query(params): Query<CallbackParams>,
) -> ApiResult<Response> {
    callback(s, provider_name, params, client, jar).await
}

/// The provider's answer, as a form POSTed by the browser (`response_mode=form_post`).
#[utoipa::path(post, path = "/oauth/{provider}/callback", tag = "oauth",
    params(("provider" = String, Path, description = "Provider name")),
    request_body(content = CallbackParams, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "As for the GET callback",
            headers(("location" = String, description = "The post-login target"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(super) async fn callback_post(
    State(s): State<OauthState>,
    Path(provider_name): Path<String>,
    client: ClientInfo,
    jar: CookieJar,
    form: Result<axum::Form<CallbackParams>, FormRejection>,
) -> ApiResult<Response> {
    let axum::Form(params) = form.map_err(|rejection| {
        ApiError::bad_request(
            "invalid_callback",
            format!("The callback form is not valid: {}", rejection.body_text()),
        )
    })?;
    params.validate()?;
    callback(s, provider_name, params, client, jar).await
}

async fn callback(
    s: OauthState,
    provider_name: String,
    params: CallbackParams,
    client: ClientInfo,
    jar: CookieJar,
) -> ApiResult<Response> {
    let core = &s.core;
    let shared = &s.plugin.shared;
    provider(&s, &provider_name)?;
    core.rate_limit_client("oauth_callback", &client, shared.config.rate_limit)
        .await?;
    let state = params.state.as_deref().ok_or_else(invalid_state)?;
    let cookie_name = binding_cookie_name(core);
    let bound = jar
        .get(&cookie_name)
        .is_some_and(|c| constant_time_eq(c.value().as_bytes(), state.as_bytes()));
    if !bound {
        return Err(invalid_state());
    }
    let pending = shared
        .repo
        .consume_oauth_state(&hash_token(state), core.now())
        .await?
        .filter(|p| p.provider == provider_name)
        .ok_or_else(invalid_state)?;
    let jar = jar.remove(binding_cookie(core, String::new(), time::Duration::ZERO));
    let target = pending
        .redirect_url
        .clone()
        .unwrap_or_else(|| s.plugin.redirects.default_target().to_owned());
    match complete(&s, &pending, &params, &client, jar.clone()).await {
        Ok(Done::SignedIn(jar)) => Ok(redirect(jar, &target, &[], None)),
        Ok(Done::MfaRequired(pending_session_id)) => Ok(redirect(
            jar,
            &target,
            &[],
            Some(&format!(
                "mfa_required=true&pending_session_id={pending_session_id}"
            )),
        )),
        Ok(Done::Linked) => Ok(redirect(jar, &target, &[("linked", &provider_name)], None)),
        Err(Refusal::Code(code)) => {
            core.emit(
                AuthEvent::LoginFailed {
                    user_id: pending.link_user_id,
                    reason: code,
                },
                &client.event_context(),
            )
            .await;
            let mut pairs = vec![("error", code)];
            let provider_error = params.error.as_deref().filter(|e| is_error_code(e));
            if let Some(provider_error) = provider_error {
                pairs.push(("provider_error", provider_error));
            }
            Ok(redirect(jar, &target, &pairs, None))
        }
        Err(Refusal::Api(error)) => Err(error),
    }
}

enum Done {
    SignedIn(CookieJar),
    MfaRequired(String),
    Linked,
}

/// Everything after the state was consumed: each refusal becomes an error redirect.
async fn complete(
    s: &OauthState,
    pending: &PendingAuthorization,
    params: &CallbackParams,
    client: &ClientInfo,
    jar: CookieJar,
) -> Result<Done, Refusal> {
    let core = &s.core;
    let shared = &s.plugin.shared;
    let provider = provider(s, &pending.provider)?;
    if params.error.is_some() {
        return Err(Refusal::Code("provider_denied"));
    }
    if !provider.accepts_issuer(params.iss.as_deref()) {
        return Err(Refusal::Code("issuer_mismatch"));
    }
    let code = params
        .code
        .as_deref()
        .ok_or(Refusal::Code("invalid_callback"))?;
    let (identity, tokens) = provider
        .exchange(
            &shared.http,
            code,
            &pending.code_verifier,
            pending.nonce.as_deref(),
            core.now(),
        )
        .await
        .map_err(|error| {
            tracing::warn!(provider = %pending.provider, %error, "OAuth callback refused");
            Refusal::Code(error.code())
        })?;
    let ctx = client.event_context();
    match linking::resolve(s, pending, &identity, &tokens, &ctx).await? {
        Resolution::Linked => Ok(Done::Linked),
        Resolution::SignIn(user) => {
            let method = LoginMethod {
                name: "oauth",
                amr: vec!["fed"],
                remember_me: false,
                issue: Issue::SessionCookie,
            };
            match core.finish_login(&user, method, client, jar).await {
                Ok(LoginOutcome::SignedIn { jar, .. }) => Ok(Done::SignedIn(jar)),
                Ok(LoginOutcome::MfaRequired { pending_session_id }) => {
                    Ok(Done::MfaRequired(pending_session_id))
                }
                Err(error) if error.status().is_client_error() => Err(Refusal::Code(error.code())),
                Err(error) => Err(Refusal::Api(error)),
            }
        }
    }
}

/// An OAuth error code (RFC 6749 section 4.1.2.1: printable ASCII without `"` and `\`), short
/// enough to pass on.
fn is_error_code(value: &str) -> bool {
    value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// A 303 to `target` with query pairs added and an optional fragment, carrying the jar's
/// cookies. Not cached, and no Referer: the callback URL held a code.
fn redirect(
    jar: CookieJar,
    target: &str,
    pairs: &[(&str, &str)],
    fragment: Option<&str>,
) -> Response {
    let location = match Url::parse(target) {
        Ok(mut url) => {
            if !pairs.is_empty() {
                url.query_pairs_mut().extend_pairs(pairs);
            }
            url.set_fragment(fragment);
            url.to_string()
        }
        // Targets were checked to be absolute URLs when stored.
        Err(_) => target.to_owned(),
    };
    let mut response = (jar, no_store(Redirect::to(&location))).into_response();
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn no_store(redirect: Redirect) -> Response {
    let mut response = redirect.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
