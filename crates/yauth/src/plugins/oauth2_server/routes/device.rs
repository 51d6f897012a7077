//! The device authorization grant (RFC 8628): `POST /oauth/device/code` for the device,
//! `GET` and `POST /oauth/device` for the verification page where the user approves it, and
//! the `urn:ietf:params:oauth:grant-type:device_code` grant the token endpoint polls.
//!
//! The device code is a 256-bit secret kept as a SHA-256 hash; the user code is short
//! ([`user_code`](super::super::user_code)), so the verification routes are rate-limited per
//! user and only a signed-in browser session may use them. A decision and the approval's
//! redemption are each one atomic storage operation: one winner under concurrency.

use axum::extract::rejection::FormRejection;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yauth_entity::{DeviceCode, DeviceCodeStatus, new_id};
use yauth_store::{DevicePoll, constraint};

use super::token::{TokenRequest, TokenResponse, scope_refused, user_tokens};
use super::{check_lengths, json_or_form, malformed, no_store};
use crate::auth::{AuthMethod, AuthUser};
use crate::crypto::{hash_token, random_token};
use crate::error::{ApiError, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Query};
use crate::input::{Validate, check_text};
use crate::plugins::oauth2_server::authorization::json_strings;
use crate::plugins::oauth2_server::client_auth::client_credentials;
use crate::plugins::oauth2_server::clients::{self, Client, GrantType};
use crate::plugins::oauth2_server::config::DeviceFlowConfig;
use crate::plugins::oauth2_server::error::{OAuthError, OAuthErrorBody};
use crate::plugins::oauth2_server::user_code;
use crate::plugins::oauth2_server::{Server, ServerState};

/// A device authorization request (RFC 8628 §3.1). A confidential client authenticates as
/// at the token endpoint; a public one names itself with `client_id`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeviceAuthorizationRequest {
    /// The client, when it does not use HTTP Basic.
    pub client_id: Option<String>,
    /// The client's secret, when it does not use HTTP Basic.
    pub client_secret: Option<String>,
    /// The scopes asked for, space-separated; default the client's.
    pub scope: Option<String>,
}

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceAuthorization {
    /// The secret the device polls the token endpoint with.
    pub device_code: String,
    /// The code the user types on the verification page, e.g. `BCDF-GHJK`.
    pub user_code: String,
    /// The verification page.
    pub verification_uri: String,
    /// The verification page with the user code filled in (for a QR code or a link).
    pub verification_uri_complete: String,
    /// Seconds until the codes expire.
    pub expires_in: i64,
    /// The least seconds between two polls.
    pub interval: i64,
}

/// How often a new user code is drawn when it collides with a pending one: at 20^8 codes,
/// a second collision in a row means something is wrong rather than unlucky.
const USER_CODE_ATTEMPTS: usize = 3;

/// The device authorization endpoint (RFC 8628 §3.1): a device code for the device to poll
/// with, and a user code for the user to approve on the verification page. Errors follow
/// RFC 6749 §5.2.
#[utoipa::path(post, path = "/oauth/device/code", tag = "oauth2-server",
    request_body(content = DeviceAuthorizationRequest,
        content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = DeviceAuthorization), (status = 400, body = OAuthErrorBody),
        (status = 401, body = OAuthErrorBody), (status = 429, body = OAuthErrorBody),
        (status = 503, body = OAuthErrorBody)))]
pub(super) async fn device_authorization(
    State(s): State<ServerState>,
    client_info: ClientInfo,
    headers: HeaderMap,
    form: Result<axum::Form<DeviceAuthorizationRequest>, FormRejection>,
) -> Result<Response, OAuthError> {
    let device = device_config(&s.plugin)?;
    s.core
        .rate_limit_client(
            "oauth_device_code",
            &client_info,
            s.plugin.config.token_rate_limit,
        )
        .await?;
    let axum::Form(request) = form.map_err(malformed)?;
    check_lengths([
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
        request.scope.as_deref(),
    ])?;
    let credentials = client_credentials(
        &headers,
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
    )?;
    let client = clients::authenticate(&s.plugin.repo, &credentials).await?;
    if !client.allows(GrantType::DeviceCode) {
        return Err(OAuthError::unauthorized_client(
            "the client is not registered for the device grant",
        ));
    }
    let scopes = client
        .scopes_for(request.scope.as_deref(), &s.plugin.config.scopes_supported)
        .map_err(scope_refused)?;
    let device_code = random_token();
    let now = s.core.now();
    let mut row = DeviceCode {
        id: new_id(),
        device_code_hash: hash_token(&device_code),
        user_code: user_code::generate(),
        client_id: client.id().to_owned(),
        scopes: Some(serde_json::json!(scopes)),
        user_id: None,
        status: DeviceCodeStatus::Pending,
        interval: i32::try_from(device.interval.whole_seconds()).unwrap_or(i32::MAX),
        expires_at: now + device.code_ttl,
        last_polled_at: None,
        created_at: now,
    };
    let mut attempt = 1;
    loop {
        match s.plugin.repo.create_device_code(&row).await {
            Ok(()) => break,
            Err(e)
                if e.is_conflict_on(constraint::DEVICE_CODES_USER_CODE)
                    && attempt < USER_CODE_ATTEMPTS =>
            {
                attempt += 1;
                row.user_code = user_code::generate();
            }
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(client_id = client.id(), "device authorization started");
    let verification_uri = s.plugin.page_url(&s.core, &device.verification_page);
    let shown_code = user_code::display(&row.user_code);
    let separator = if verification_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    let verification_uri_complete = format!(
        "{verification_uri}{separator}{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("user_code", &shown_code)
            .finish()
    );
    let body = DeviceAuthorization {
        device_code,
        user_code: shown_code,
        verification_uri,
        verification_uri_complete,
        expires_in: device.code_ttl.whole_seconds(),
        interval: i64::from(row.interval),
    };
    Ok((no_store(), axum::Json(body)).into_response())
}

/// The device code grant at the token endpoint (RFC 8628 §3.4, §3.5): the state of the
/// user's decision, or, once approved, the tokens; exactly one poll redeems an approval.
pub(super) async fn exchange_device_code(
    s: &ServerState,
    client: &Client,
    request: &TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    let device_code = request
        .device_code
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("device_code is required"))?;
    let poll = s
        .plugin
        .repo
        .poll_device_code(&hash_token(device_code), s.core.now())
        .await?;
    let approved = match poll {
        DevicePoll::Approved(approved) => approved,
        DevicePoll::Pending => return Err(OAuthError::authorization_pending()),
        DevicePoll::SlowDown => return Err(OAuthError::slow_down()),
        DevicePoll::Denied => return Err(OAuthError::access_denied()),
        DevicePoll::Expired => return Err(OAuthError::expired_token()),
        DevicePoll::Invalid => {
            return Err(OAuthError::invalid_grant(
                "the device code is invalid or already used",
            ));
        }
    };
    // A device code presented by another client is spent all the same: it leaked.
    if approved.client_id != client.id() {
        return Err(OAuthError::invalid_grant(
            "the device code was issued to another client",
        ));
    }
    let Some(user_id) = approved.user_id else {
        tracing::error!(device_code_id = %approved.id, "an approved device code names no user");
        return Err(OAuthError::invalid_grant("the device code names no user"));
    };
    let scopes = approved
        .scopes
        .as_ref()
        .map(json_strings)
        .unwrap_or_default();
    let response = user_tokens(s, client, user_id, scopes, None, approved.id).await?;
    tracing::info!(client_id = client.id(), %user_id, "device code redeemed");
    Ok(response)
}

/// `GET /oauth/device`'s query: the code the user typed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceLookup {
    /// The user code, in any case, with or without its dash.
    pub user_code: String,
}

impl Validate for DeviceLookup {
    fn validate(&self) -> Result<(), ApiError> {
        check_text("user_code", &self.user_code, 32)
    }
}

/// What the verification page shows before the user decides.
#[derive(Debug, Serialize, ToSchema)]
pub struct DevicePrompt {
    /// The user code, as the device shows it.
    pub user_code: String,
    /// The client asking.
    pub client_id: String,
    /// Its registered name.
    pub client_name: Option<String>,
    /// The scopes it asks for.
    pub scopes: Vec<String>,
    /// Seconds left to decide.
    pub expires_in: i64,
}

/// The verification page's look-up: the pending device request with this user code, for the
/// signed-in user to check against the device before deciding. 404 `device_code_not_found`
/// when no such request is pending (unknown, expired, or decided).
#[utoipa::path(get, path = "/oauth/device", tag = "oauth2-server", params(DeviceLookup),
    responses((status = 200, body = DevicePrompt), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(super) async fn device_prompt(
    State(s): State<ServerState>,
    user: AuthUser,
    Query(lookup): Query<DeviceLookup>,
) -> Result<axum::Json<DevicePrompt>, ApiError> {
    let code = verification_attempt(&s, &user, &lookup.user_code).await?;
    let now = s.core.now();
    let pending = s.plugin.repo.find_pending_device_code(&code, now).await?;
    let Some(pending) = pending else {
        return Err(not_pending());
    };
    let client = clients::find(&s.plugin.repo, &pending.client_id)
        .await
        .map_err(OAuthError::into_api_error)?
        .ok_or_else(not_pending)?;
    Ok(axum::Json(DevicePrompt {
        user_code: user_code::display(&pending.user_code),
        client_id: pending.client_id,
        client_name: client.row.client_name,
        scopes: pending
            .scopes
            .as_ref()
            .map(json_strings)
            .unwrap_or_default(),
        expires_in: (pending.expires_at - now).whole_seconds().max(0),
    }))
}

/// The user's decision on a device request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeviceDecision {
    /// The user code.
    pub user_code: String,
    /// `approve` or `deny`.
    pub decision: String,
}

impl Validate for DeviceDecision {
    fn validate(&self) -> Result<(), ApiError> {
        check_text("user_code", &self.user_code, 32)?;
        check_text("decision", &self.decision, 16)
    }
}

/// The outcome of a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceDecided {
    /// `approved` (the device's next poll gets the tokens) or `denied`.
    pub status: &'static str,
}

/// Submits the signed-in user's decision on a device request, as JSON or as a form. Only one
/// decision counts: a second, or a concurrent one, answers 404 `device_code_not_found`.
#[utoipa::path(post, path = "/oauth/device", tag = "oauth2-server",
    request_body(content(
        (DeviceDecision = "application/json"),
        (DeviceDecision = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = DeviceDecided), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(super) async fn device_decide(
    State(s): State<ServerState>,
    user: AuthUser,
    client: ClientInfo,
    request: Request,
) -> Result<axum::Json<DeviceDecided>, ApiError> {
    let decision = json_or_form::<DeviceDecision>(request)
        .await
        .map_err(|text| {
            ApiError::bad_request("invalid_body", format!("malformed decision: {text}"))
        })?;
    decision.validate()?;
    let approve = match decision.decision.as_str() {
        "approve" => true,
        "deny" => false,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_decision",
                "decision must be approve or deny",
            ));
        }
    };
    let code = verification_attempt(&s, &user, &decision.user_code).await?;
    let decided = s
        .plugin
        .repo
        .decide_device_code(&code, user.id, approve, s.core.now())
        .await?
        .ok_or_else(not_pending)?;
    tracing::info!(client_id = %decided.client_id, user_id = %user.id, approve,
        "device request decided");
    if approve {
        let granted = AuthEvent::OauthConsentGranted {
            user_id: user.id,
            client_id: decided.client_id.clone(),
            scopes: decided
                .scopes
                .as_ref()
                .map(json_strings)
                .unwrap_or_default(),
        };
        s.core.emit(granted, &client.event_context()).await;
    }
    Ok(axum::Json(DeviceDecided {
        status: if approve { "approved" } else { "denied" },
    }))
}

/// Checks that a verification attempt may go on: a browser session (a token of another
/// application must not approve devices for its user), within the user's guess budget, and
/// a user code that can exist. Answers the code in its stored form.
async fn verification_attempt(
    s: &ServerState,
    user: &AuthUser,
    typed: &str,
) -> Result<String, ApiError> {
    let device = device_config(&s.plugin).map_err(OAuthError::into_api_error)?;
    if user.auth_method != AuthMethod::Session {
        return Err(ApiError::unauthorized_with(
            "login_required",
            "device requests are decided from a signed-in browser session",
        ));
    }
    s.core
        .rate_limit(
            "oauth_device_verify",
            &format!("user:{}", user.id),
            device.verification_rate_limit,
        )
        .await?;
    user_code::normalise(typed).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_user_code",
            "a user code is eight letters, such as BCDF-GHJK",
        )
    })
}

fn not_pending() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "device_code_not_found",
        "no pending device request has this code; it may have expired or been decided",
    )
}

/// The device settings; the routes are mounted only when they are set.
fn device_config(server: &Server) -> Result<&DeviceFlowConfig, OAuthError> {
    server
        .config
        .device
        .as_ref()
        .ok_or_else(OAuthError::unsupported_grant_type)
}
