//! The one way every sign-in ends, whichever plugin checked the credential: password, passkey,
//! magic link, OAuth callback, MFA verification.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yauth_entity::User;

use crate::auth::{AuthMethod, AuthUser};
use crate::error::ApiError;
use crate::events::{AuthEvent, EventResponse};
use crate::extract::ClientInfo;
use crate::state::YAuthState;

/// The outcome of a login.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// The signed-in user; absent when MFA is still required.
    pub user: Option<AuthUser>,
    /// Whether a second factor must be verified (at `/mfa/verify`) before a session exists.
    pub mfa_required: bool,
    /// The pending login to complete with MFA.
    pub pending_session_id: Option<String>,
    /// The tokens, for a sign-in at `/token` (or its MFA step); absent for cookie sign-ins.
    #[cfg(feature = "bearer")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<crate::plugins::bearer::TokenPair>,
}

impl LoginResponse {
    fn new(user: Option<AuthUser>, pending_session_id: Option<String>) -> Self {
        Self {
            user,
            mfa_required: pending_session_id.is_some(),
            pending_session_id,
            #[cfg(feature = "bearer")]
            tokens: None,
        }
    }
}

/// What a completed sign-in hands the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Issue {
    /// A session, in a cookie (browsers).
    #[default]
    SessionCookie,
    /// An access and a refresh token in the body (API clients; the bearer plugin).
    BearerTokens,
}

/// How a sign-in was proven, for [`YAuthState::complete_login`].
#[derive(Debug, Clone)]
pub struct LoginMethod {
    /// The event's `method` (`password`, `passkey`, `magic_link`, `oauth`, `mfa`).
    pub name: &'static str,
    /// What was proven, as authentication method references (RFC 8176), recorded on the
    /// session: `["pwd"]` for a password, `["pwd", "otp", "mfa"]` after a TOTP second factor,
    /// `["hwk", "user"]` for a user-verified passkey.
    pub amr: Vec<&'static str>,
    /// Keep the session for `remember_me_ttl` with a persistent cookie.
    pub remember_me: bool,
    /// A session cookie, or tokens.
    pub issue: Issue,
}

/// A finished sign-in, before it becomes a response: the JSON routes answer it as JSON, the
/// OAuth callback as a redirect.
pub(crate) enum LoginOutcome {
    /// Signed in. For a cookie sign-in the jar carries the new session cookie.
    SignedIn {
        /// The request's jar, with the session cookie added.
        jar: CookieJar,
        /// The answer's body.
        answer: Box<LoginResponse>,
    },
    /// A plugin asked for a second factor; no session exists yet.
    MfaRequired {
        /// The pending login to complete at `/mfa/verify`.
        pending_session_id: String,
    },
}

impl IntoResponse for LoginOutcome {
    fn into_response(self) -> Response {
        match self {
            Self::SignedIn { jar, answer } => (jar, axum::Json(*answer)).into_response(),
            Self::MfaRequired { pending_session_id } => {
                axum::Json(LoginResponse::new(None, Some(pending_session_id))).into_response()
            }
        }
    }
}

impl YAuthState {
    /// Finishes a sign-in whose credential the calling plugin has checked: refuses banned
    /// accounts, emits `LoginSucceeded` and honours a plugin's `RequireMfa` or `Block`, creates
    /// the session (recording the client for binding), emits `SessionCreated`, sets the cookie
    /// and answers with the user. No plugin creates sessions any other way.
    pub async fn complete_login(
        &self,
        user: &User,
        method: LoginMethod,
        client: &ClientInfo,
        jar: CookieJar,
    ) -> Result<Response, ApiError> {
        Ok(self
            .finish_login(user, method, client, jar)
            .await?
            .into_response())
    }

    /// [`complete_login`](Self::complete_login), answering the outcome instead of a response.
    pub(crate) async fn finish_login(
        &self,
        user: &User,
        method: LoginMethod,
        client: &ClientInfo,
        jar: CookieJar,
    ) -> Result<LoginOutcome, ApiError> {
        if user.is_banned_at(self.now()) {
            #[cfg(feature = "telemetry")]
            self.metrics().login_failed("account_banned");
            return Err(ApiError::forbidden(
                "account_banned",
                "This account is banned.",
            ));
        }
        let ctx = client.event_context();
        let answer = self
            .emit(
                AuthEvent::LoginSucceeded {
                    user_id: user.id,
                    method: method.name,
                    amr: method.amr.clone(),
                    remember_me: method.remember_me,
                    issue: method.issue,
                },
                &ctx,
            )
            .await;
        match answer {
            EventResponse::Continue => {}
            EventResponse::RequireMfa { pending_session_id } => {
                return Ok(LoginOutcome::MfaRequired { pending_session_id });
            }
            EventResponse::Block {
                status,
                code,
                message,
            } => {
                return Err(ApiError::new(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN),
                    code,
                    message,
                ));
            }
        }
        if method.issue == Issue::BearerTokens {
            let answer = self.issue_tokens(user, &method).await?;
            return Ok(LoginOutcome::SignedIn {
                jar,
                answer: Box::new(answer),
            });
        }
        let (token, session) = self
            .create_session(user, client, method.remember_me, None, &method.amr)
            .await?;
        self.emit(
            AuthEvent::SessionCreated {
                user_id: user.id,
                session_id: session.id,
            },
            &ctx,
        )
        .await;
        let cookie = self.session_cookie(token, self.cookie_max_age(method.remember_me));
        let mut me = AuthUser::from_user(user, AuthMethod::Session, None);
        me.session_id = Some(session.id);
        me.authenticated_at = Some(session.created_at);
        me.amr = session.amr_values().map(str::to_owned).collect();
        Ok(LoginOutcome::SignedIn {
            jar: jar.add(cookie),
            answer: Box::new(LoginResponse::new(Some(me), None)),
        })
    }

    /// The token ending of a sign-in: a new refresh family and its first pair.
    #[cfg(feature = "bearer")]
    async fn issue_tokens(
        &self,
        user: &User,
        method: &LoginMethod,
    ) -> Result<LoginResponse, ApiError> {
        let tokens = self
            .tokens()
            .ok_or_else(|| ApiError::internal("token sign-in without the bearer plugin"))?;
        let now = self.now();
        let pair = tokens.issue_for_sign_in(user, &method.amr, now).await?;
        let mut me = AuthUser::from_user(user, AuthMethod::Bearer, None);
        me.authenticated_at = Some(now);
        me.amr = method.amr.iter().map(|v| (*v).to_owned()).collect();
        let mut answer = LoginResponse::new(Some(me), None);
        answer.tokens = Some(pair);
        Ok(answer)
    }

    #[cfg(not(feature = "bearer"))]
    async fn issue_tokens(&self, _: &User, _: &LoginMethod) -> Result<LoginResponse, ApiError> {
        Err(ApiError::internal(
            "token sign-in without the bearer plugin",
        ))
    }
}

/// The registered authentication method reference values (RFC 8176, section 2), plus yauth's
/// `email` (a single-use link sent by email) and `fed` (a sign-in at an external identity
/// provider), so that a value read back from storage becomes one
/// of these constants again; unknown values are `None`.
pub fn amr_value(value: &str) -> Option<&'static str> {
    const REGISTERED: [&str; 23] = [
        "email", "fed", "face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin",
        "pop", "pwd", "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia",
    ];
    REGISTERED.into_iter().find(|v| *v == value)
}
