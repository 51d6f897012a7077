//! The routes of the email-password plugin: accounts (registration and address verification),
//! login, and passwords (forgotten, reset, changed).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yauth_entity::{
    EmailVerification, PasswordCredential, PasswordReset, User, UserUpdate, new_id, normalize_email,
};
use yauth_store::constraint;

use super::plugin::{EpState, validate_email};
use super::templates::{
    AccountExistsContext, PasswordChangedContext, PasswordResetContext, VerifyEmailContext,
};
use crate::auth::AuthUser;
use crate::crypto::{dummy_verify, hash_password, hash_token, random_token, verify_password};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::{AuthEvent, EventContext, EventResponse};
use crate::extract::{ClientInfo, Json};
use crate::input::{self, Validate, limits};
use crate::login::{Issue, LoginMethod, LoginResponse};
use crate::routes::core::MessageResponse;

mod account;
mod login;
mod password;

use account::*;
use login::*;
use password::*;

pub use account::RegisterRequest;
pub use login::LoginRequest;
#[cfg(feature = "bearer")]
pub use login::PasswordTokenRequest;
pub use password::{ChangePasswordRequest, ResetPasswordRequest};

pub(crate) fn public(state: EpState) -> OpenApiRouter {
    let router = OpenApiRouter::new();
    // With the bearer plugin, the same password check can end in tokens instead of a cookie.
    #[cfg(feature = "bearer")]
    let router = match state.core.tokens() {
        Some(_) => router.routes(routes!(token)),
        None => router,
    };
    router
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .with_state(state)
}

pub(crate) fn protected(state: EpState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(change_password))
        .with_state(state)
}

pub(super) const REGISTER_ANSWER: &str =
    "Registration received. Check your email for what to do next.";
pub(super) const EMAIL_SENT_ANSWER: &str =
    "If an account exists for this address, we have sent it an email.";

/// A token from an email link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The token.
    #[schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub token: String,
}

impl Validate for TokenRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_token("token", &self.token)
    }
}

/// An email address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    /// Email address.
    #[schema(max_length = 254, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub email: String,
}

impl Validate for EmailRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_email("email", &self.email)
    }
}

pub(super) fn invalid_token() -> ApiError {
    ApiError::bad_request("invalid_token", "This link is invalid, used or expired.")
}

/// [`YAuthState::spawn_follow_up`](crate::YAuthState::spawn_follow_up) with this plugin's state.
pub(super) fn spawn_follow_up<F, Fut>(s: &EpState, route: &'static str, work: F)
where
    F: FnOnce(EpState) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>> + Send + 'static,
{
    s.core.spawn_follow_up(route, work(s.clone()));
}
