//! Authentication of requests: the middleware that guards protected routes, and the extractors
//! handlers use (`AuthUser`, `RequireAdmin`, `RequireScope`).

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{Session, User};

use crate::config::BindingAction;
use crate::crypto::TokenHash;
use crate::error::ApiError;
use crate::extract::ClientInfo;
use crate::session::cookie_value;
use crate::state::YAuthState;

#[cfg(any(feature = "bearer", feature = "api-key"))]
/// Every API key starts with this, so it is told apart from a JWT in `Authorization: Bearer`
/// (and found by secret scanners).
pub(crate) const API_KEY_PREFIX: &str = "yauth_";

/// The credential of `Authorization: Bearer <credential>`, if the header has that scheme.
#[cfg(any(feature = "bearer", feature = "api-key"))]
pub(crate) fn bearer_credential(parts: &Parts) -> Option<&str> {
    bearer_credential_from(&parts.headers)
}

/// The credential of an `Authorization: Bearer` header.
#[cfg(any(feature = "bearer", feature = "api-key"))]
pub(crate) fn bearer_credential_from(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credential) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| credential.trim())
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum AuthMethod {
    /// Session cookie.
    Session,
    /// `Authorization: Bearer` JWT.
    Bearer,
    /// API key.
    ApiKey,
}

/// The authenticated user, put in the request extensions by the auth middleware.
///
/// Use it as an extractor in handlers behind the middleware. `Option<AuthUser>` gives the same
/// user there, and `None` in a handler mounted outside it (the middleware is what
/// authenticates; without it nobody is signed in):
///
/// ```
/// use yauth::AuthUser;
///
/// async fn whoami(user: AuthUser) -> String {
///     format!("hello {}", user.email)
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthUser {
    /// User id.
    pub id: Uuid,
    /// Email.
    pub email: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Whether the email is verified.
    pub email_verified: bool,
    /// Role, e.g. `user` or `admin`.
    pub role: String,
    /// Whether the user is banned (always false on an authenticated request).
    pub banned: bool,
    /// How the request was authenticated.
    pub auth_method: AuthMethod,
    /// Scopes granted to the credential (API keys, tokens); `None` means the user's full rights.
    pub scopes: Option<Vec<String>>,
    /// The session, for cookie authentication.
    #[serde(skip)]
    pub session_id: Option<Uuid>,
    /// The administrator impersonating this user, if this is an impersonation session (so a
    /// UI can say so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonator_id: Option<Uuid>,
    /// When the user last proved who they are (signed in) for this credential; `None` when the
    /// credential carries no such time. Step-up checks read it.
    #[serde(skip)]
    pub authenticated_at: Option<OffsetDateTime>,
    /// How the user authenticated the session (RFC 8176 method references such as `pwd`,
    /// `otp`, `mfa`, `hwk`); empty for credentials that do not record it.
    #[serde(default)]
    pub amr: Vec<String>,
}

impl AuthUser {
    /// The authenticated view of a user.
    pub fn from_user(user: &User, auth_method: AuthMethod, scopes: Option<Vec<String>>) -> Self {
        Self::from_owned_user(user.clone(), auth_method, scopes)
    }

    /// [`from_user`](Self::from_user) taking the user, whose strings move instead of being
    /// copied (the session check of every request).
    pub(crate) fn from_owned_user(
        user: User,
        auth_method: AuthMethod,
        scopes: Option<Vec<String>>,
    ) -> Self {
        let User {
            id,
            email,
            display_name,
            email_verified,
            role,
            banned,
            ..
        } = user;
        Self {
            id,
            email,
            display_name,
            email_verified,
            role,
            banned,
            auth_method,
            scopes,
            session_id: None,
            impersonator_id: None,
            authenticated_at: None,
            amr: Vec::new(),
        }
    }

    /// Whether the credential carries `scope` (full-rights credentials carry every scope).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|scopes| scopes.iter().any(|s| s == scope))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<AuthUser>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<AuthUser>().cloned())
    }
}

/// Extractor that admits only users with role `admin` (403 otherwise).
#[derive(Debug, Clone)]
pub struct RequireAdmin(pub AuthUser);

impl<S: Send + Sync> FromRequestParts<S> for RequireAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = <AuthUser as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        if user.role == yauth_entity::ADMIN_ROLE {
            Ok(Self(user))
        } else {
            Err(ApiError::forbidden("forbidden", "Administrators only."))
        }
    }
}

/// Names a scope for [`RequireScope`].
pub trait Scope: Send + Sync + 'static {
    /// The scope string.
    const NAME: &'static str;
}

/// Extractor that admits only credentials carrying scope `S` (403 otherwise).
///
/// ```
/// use yauth::{RequireScope, Scope};
///
/// struct ReadReports;
/// impl Scope for ReadReports {
///     const NAME: &'static str = "reports:read";
/// }
///
/// async fn reports(RequireScope(user, ..): RequireScope<ReadReports>) -> String {
///     user.email
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RequireScope<S: Scope>(pub AuthUser, pub PhantomData<S>);

impl<St: Send + Sync, S: Scope> FromRequestParts<St> for RequireScope<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let user = <AuthUser as FromRequestParts<St>>::from_request_parts(parts, state).await?;
        if user.has_scope(S::NAME) {
            Ok(Self(user, PhantomData))
        } else {
            Err(ApiError::forbidden(
                "insufficient_scope",
                format!("This credential lacks the {} scope.", S::NAME),
            ))
        }
    }
}

impl YAuthState {
    /// Step-up for sensitive operations (password or email change, disabling MFA, deleting a
    /// passkey, creating an API key, impersonation): the user must have signed in within
    /// [`SessionConfig::reauthentication_age`](crate::SessionConfig::reauthentication_age).
    /// Otherwise `403 reauthentication_required`: the client signs in again through the normal
    /// login routes and retries with the new session.
    ///
    /// An impersonation session never passes (`403 impersonation_restricted`): an administrator
    /// acting as a user cannot change the user's password, factors or keys.
    pub fn require_recent_authentication(&self, user: &AuthUser) -> Result<(), ApiError> {
        if user.impersonator_id.is_some() {
            return Err(ApiError::forbidden(
                "impersonation_restricted",
                "Not while impersonating: this operation needs the user's own sign-in.",
            ));
        }
        let max_age = self.config().session.reauthentication_age;
        match user.authenticated_at {
            Some(at) if self.now() - at <= max_age => Ok(()),
            _ => Err(ApiError::forbidden(
                "reauthentication_required",
                "This operation needs a recent sign-in: sign in again, then retry.",
            )),
        }
    }
}

/// The auth middleware: session cookie first, then each plugin's authenticator (bearer, API
/// key) in plugin order. On success the request gets an [`AuthUser`] extension; otherwise 401.
pub async fn require_auth(State(state): State<YAuthState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    #[cfg(feature = "telemetry")]
    let started = std::time::Instant::now();
    let outcome = authenticate(&state, &parts).await;
    #[cfg(feature = "telemetry")]
    state
        .metrics()
        .session_check(started.elapsed(), check_outcome(&outcome));
    match outcome {
        Ok(Some(Authenticated {
            user,
            renewed_cookie,
        })) => {
            parts.extensions.insert(user);
            let mut response = next.run(Request::from_parts(parts, body)).await;
            if let Some(cookie) = renewed_cookie
                && let Ok(value) = HeaderValue::from_str(&cookie)
            {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Ok(None) => ApiError::unauthorized().into_response(),
        Err(Rejected {
            error,
            clear_cookie,
        }) => {
            let mut response = error.into_response();
            if clear_cookie
                && let Ok(value) = HeaderValue::from_str(&state.removal_cookie().to_string())
            {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
    }
}

#[cfg(feature = "telemetry")]
fn check_outcome(
    outcome: &Result<Option<Authenticated>, Rejected>,
) -> crate::telemetry::CheckOutcome {
    use crate::telemetry::CheckOutcome;
    match outcome {
        Ok(Some(found)) => CheckOutcome::Authenticated(found.user.auth_method),
        Ok(None) => CheckOutcome::Anonymous,
        Err(rejected) if rejected.error.status().is_server_error() => CheckOutcome::Error,
        Err(_) => CheckOutcome::Refused,
    }
}

struct Authenticated {
    user: AuthUser,
    renewed_cookie: Option<String>,
}

struct Rejected {
    error: ApiError,
    clear_cookie: bool,
}

impl From<ApiError> for Rejected {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            clear_cookie: false,
        }
    }
}

async fn authenticate(
    state: &YAuthState,
    parts: &Parts,
) -> Result<Option<Authenticated>, Rejected> {
    if let Some(token) = cookie_value(&parts.headers, &state.derived().cookie_name)
        && let Some(found) =
            authenticate_session(state, parts, token, OriginCheck::Enforced).await?
    {
        return Ok(Some(found));
    }
    for authenticator in state.authenticators() {
        if let Some(user) = authenticator.authenticate(parts, state).await? {
            return Ok(Some(Authenticated {
                user,
                renewed_cookie: None,
            }));
        }
    }
    Ok(None)
}

/// Validates the session cookie (one storage call), then enforces ban, binding and CSRF, and
/// renews the session when half of its idle window has passed.
/// The user of the request's session cookie, when it is valid, for a public route that
/// behaves differently for a signed-in browser (the authorization endpoint). Only the cookie
/// counts; a refused session (expired, banned, moved) is no user; the session is not renewed.
#[cfg(feature = "oauth2-server")]
pub(crate) async fn session_user(
    state: &YAuthState,
    parts: &Parts,
) -> Result<Option<AuthUser>, ApiError> {
    lookup_session_user(state, parts, OriginCheck::Enforced).await
}

/// [`session_user`] without the CSRF check of unsafe methods, for a route whose request
/// proves its intent otherwise: RP-initiated logout, posted from the relying party's origin
/// with an id_token only that party holds.
#[cfg(feature = "oidc")]
pub(crate) async fn session_user_proven_otherwise(
    state: &YAuthState,
    parts: &Parts,
) -> Result<Option<AuthUser>, ApiError> {
    lookup_session_user(state, parts, OriginCheck::ProvenOtherwise).await
}

#[cfg(feature = "oauth2-server")]
async fn lookup_session_user(
    state: &YAuthState,
    parts: &Parts,
    origin: OriginCheck,
) -> Result<Option<AuthUser>, ApiError> {
    let Some(token) = cookie_value(&parts.headers, &state.derived().cookie_name) else {
        return Ok(None);
    };
    match authenticate_session(state, parts, token, origin).await {
        Ok(found) => Ok(found.map(|a| a.user)),
        Err(Rejected { error, .. })
            if error.status() == axum::http::StatusCode::SERVICE_UNAVAILABLE =>
        {
            Err(error)
        }
        Err(_) => Ok(None),
    }
}

/// Whether a cookie-authenticated unsafe request must come from a trusted origin.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OriginCheck {
    Enforced,
    /// The route checks the request's intent itself.
    #[cfg(feature = "oidc")]
    ProvenOtherwise,
}

async fn authenticate_session(
    state: &YAuthState,
    parts: &Parts,
    token: &str,
    origin: OriginCheck,
) -> Result<Option<Authenticated>, Rejected> {
    let now = state.now();
    let sessions = &state.repos().sessions;
    let Some((session, user)) = sessions
        .validate_session(TokenHash::of(token).as_str(), now)
        .await
        .map_err(ApiError::from)?
    else {
        return Ok(None);
    };
    if user.is_banned_at(now) {
        sessions
            .delete_session(session.id)
            .await
            .map_err(ApiError::from)?;
        return Err(Rejected {
            error: ApiError::forbidden("account_banned", "This account is banned."),
            clear_cookie: true,
        });
    }
    check_binding(state, parts, &session).await?;
    if origin == OriginCheck::Enforced {
        check_origin(state, parts)?;
    }
    let renewed_cookie = renew_if_due(state, &session, token, now).await?;
    let mut auth = AuthUser::from_owned_user(user, AuthMethod::Session, None);
    auth.session_id = Some(session.id);
    auth.impersonator_id = session.impersonator_id;
    // A session is created only by signing in, so its creation is the authentication time.
    auth.authenticated_at = Some(session.created_at);
    auth.amr = session.amr_values().map(str::to_owned).collect();
    Ok(Some(Authenticated {
        user: auth,
        renewed_cookie,
    }))
}

async fn check_binding(
    state: &YAuthState,
    parts: &Parts,
    session: &Session,
) -> Result<(), Rejected> {
    let cfg = &state.config().session;
    if !cfg.bind_ip && !cfg.bind_user_agent {
        return Ok(());
    }
    let client = ClientInfo::from_parts(parts, state);
    let ip_changed = cfg.bind_ip && session.ip_address != client.ip.map(|ip| ip.to_string());
    let ua_changed = cfg.bind_user_agent && session.user_agent != client.user_agent;
    if !ip_changed && !ua_changed {
        return Ok(());
    }
    match cfg.binding_action {
        BindingAction::Warn => {
            tracing::warn!(
                session_id = %session.id,
                user_id = %session.user_id,
                ip_changed,
                user_agent_changed = ua_changed,
                "session used from a different client"
            );
            Ok(())
        }
        BindingAction::Invalidate => {
            tracing::warn!(session_id = %session.id, user_id = %session.user_id, "session binding mismatch: session invalidated");
            state
                .repos()
                .sessions
                .delete_session(session.id)
                .await
                .map_err(ApiError::from)?;
            Err(Rejected {
                error: ApiError::unauthorized_with(
                    "session_binding_mismatch",
                    "This session was created on another device or network; sign in again.",
                ),
                clear_cookie: true,
            })
        }
    }
}

/// CSRF defence for cookie-authenticated requests: unsafe methods must come from a trusted
/// origin, shown by `Origin` or, failing that, `Referer`.
fn check_origin(state: &YAuthState, parts: &Parts) -> Result<(), Rejected> {
    if matches!(
        parts.method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return Ok(());
    }
    match request_origin(&parts.headers) {
        Some(origin) if state.derived().trusted_origins.contains(&origin) => Ok(()),
        _ => Err(ApiError::forbidden(
            "csrf_rejected",
            "Cross-site request refused: send the Origin header of a trusted origin.",
        )
        .into()),
    }
}

/// For public routes that create sessions (login): an `Origin` that is present must be trusted;
/// requests without one (non-browser clients) pass.
#[cfg_attr(
    not(any(
        feature = "email-password",
        feature = "magic-link",
        feature = "mfa",
        feature = "passkey"
    )),
    allow(dead_code)
)]
pub(crate) fn check_origin_if_present(
    state: &YAuthState,
    headers: &axum::http::HeaderMap,
) -> Result<(), ApiError> {
    match request_origin(headers) {
        Some(origin) if !state.derived().trusted_origins.contains(&origin) => {
            Err(ApiError::forbidden(
                "csrf_rejected",
                "Cross-site request refused: this origin is not trusted.",
            ))
        }
        _ => Ok(()),
    }
}

/// The origin a request claims, from `Origin`, or failing that `Referer`, in the serialised form
/// the trusted list uses. `Origin: null` (sandboxed frames, cross-origin redirects, `file:`) is
/// kept as the literal `null`, which no configured origin serialises to, so it is never trusted.
fn request_origin(headers: &axum::http::HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("null").trim();
        return Some(
            url::Url::parse(origin)
                .ok()
                .and_then(|u| crate::config::serialized_origin(&u))
                .unwrap_or_else(|| "null".to_owned()),
        );
    }
    headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .and_then(|u| crate::config::serialized_origin(&u))
}

/// Sliding renewal: the idle window a session was created with (`expires_at - last_seen_at`) is
/// kept; once less than half of it remains, the session is extended (never past its absolute
/// end). Persistent (remember-me) cookies are re-issued with the new lifetime.
async fn renew_if_due(
    state: &YAuthState,
    session: &Session,
    token: &str,
    now: OffsetDateTime,
) -> Result<Option<String>, Rejected> {
    let window = session.expires_at - session.last_seen_at;
    if session.expires_at - now >= window / 2 || session.expires_at >= session.absolute_expires_at {
        return Ok(None);
    }
    let new_expiry = (now + window).min(session.absolute_expires_at);
    state
        .repos()
        .sessions
        .extend_session(session.id, new_expiry, now)
        .await
        .map_err(ApiError::from)?;
    let persistent = window > state.config().session.ttl;
    Ok(persistent.then(|| {
        state
            .session_cookie(token.to_owned(), Some(new_expiry - now))
            .to_string()
    }))
}
