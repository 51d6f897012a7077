//! The routes of the email-password plugin.

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
use crate::login::{LoginMethod, LoginResponse};
use crate::routes::core::MessageResponse;

pub(crate) fn public(state: EpState) -> OpenApiRouter {
    OpenApiRouter::new()
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

const REGISTER_ANSWER: &str = "Registration received. Check your email for what to do next.";
const EMAIL_SENT_ANSWER: &str = "If an account exists for this address, we have sent it an email.";

/// Registration form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Email address (case-insensitive).
    #[schema(max_length = 254, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub email: String,
    /// Password, checked against the password policy and known breaches.
    #[schema(max_length = 1024, pattern = r"^[^\x00-\x08\x0A-\x1F\x7F-\x9F]*$")]
    pub password: String,
    /// Optional display name.
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub display_name: Option<String>,
}

impl Validate for RegisterRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_email("email", &self.email)?;
        input::check_password("password", &self.password)?;
        input::check_optional_text("display_name", self.display_name.as_deref(), limits::NAME)
    }
}

/// Registers an account. Answers identically whether or not the email is taken; the owner of an
/// existing account is told by email instead.
#[utoipa::path(post, path = "/register", tag = "email-password", request_body = RegisterRequest,
    responses((status = 202, body = MessageResponse), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn register(
    State(s): State<EpState>,
    client: ClientInfo,
    Json(body): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, axum::Json<MessageResponse>)> {
    let core = &s.core;
    let limit = s.plugin.config.rate_limits.register;
    core.rate_limit_client("register", &client, limit).await?;
    let email = normalize_email(&body.email);
    validate_email(&email)?;
    core.rate_limit("register", &format!("email:{email}"), limit)
        .await?;
    s.check_new_password(&body.password, &email).await?;
    let display_name = body
        .display_name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    // Hash before touching the store, so both outcomes cost the same.
    let password_hash = hash_password(&body.password).await?;
    let now = core.now();
    let mut user = User::new(new_id(), &email, now);
    user.display_name = display_name;
    // Nothing is verified yet, whatever the policy: features that trust the flag (linking
    // accounts by verified email) must not be pre-hijackable by registering someone's address.
    user.email_verified = false;
    // One atomic storage call writes the account and its password (both or neither), whether
    // or not the address is taken; what follows differs between the two cases, so it runs in
    // a task of its own, which also finishes when the client goes away.
    let credential = PasswordCredential {
        user_id: user.id,
        password_hash,
        updated_at: now,
    };
    let outcome = match s.repo().create_user_with_password(&user, &credential).await {
        Ok(()) => Registration::Created,
        Err(e) if e.is_conflict_on(constraint::USERS_EMAIL) => Registration::Taken,
        Err(e) => return Err(e.into()),
    };
    let task_state = s.clone();
    let ctx = client.event_context();
    tokio::spawn(async move {
        let s = task_state;
        let result = match outcome {
            Registration::Created => finish_registration(&s, &user, &ctx).await,
            Registration::Taken => notify_existing_owner(&s, &user.email, &ctx).await,
        };
        if let Err(error) = result {
            tracing::error!(%error, "registration follow-up failed");
        }
    });
    Ok((StatusCode::ACCEPTED, MessageResponse::new(REGISTER_ANSWER)))
}

/// What `create_user` said, decided inside the request.
enum Registration {
    Created,
    Taken,
}

/// A new account: announce it, then send the verification.
async fn finish_registration(s: &EpState, user: &User, ctx: &EventContext) -> Result<(), ApiError> {
    s.core
        .emit(AuthEvent::UserRegistered { user_id: user.id }, ctx)
        .await;
    if s.plugin.config.require_email_verification {
        send_verification(s, user).await?;
    }
    Ok(())
}

/// The address is taken: tell its owner by email (they may have forgotten they have an account).
async fn notify_existing_owner(
    s: &EpState,
    email: &str,
    ctx: &EventContext,
) -> Result<(), ApiError> {
    let core = &s.core;
    if let Some(existing) = core.repos().users.find_user_by_email(email).await? {
        core.emit(
            AuthEvent::DuplicateRegistration {
                user_id: existing.id,
            },
            ctx,
        )
        .await;
        let message = s
            .plugin
            .config
            .templates
            .account_exists(&AccountExistsContext {
                app_name: core.config().app_name.clone(),
                email: existing.email.clone(),
                login_link: core.page_link("login"),
                reset_link: core.page_link("forgot-password"),
            });
        core.send_email_in_background(message);
    }
    Ok(())
}

async fn send_verification(s: &EpState, user: &User) -> Result<(), ApiError> {
    let core = &s.core;
    let now = core.now();
    let token = random_token();
    let ttl = s.plugin.config.verification_ttl;
    s.repo()
        .create_email_verification(&EmailVerification {
            id: new_id(),
            user_id: user.id,
            token_hash: hash_token(&token),
            expires_at: now + ttl,
            created_at: now,
        })
        .await?;
    let message = s.plugin.config.templates.verify_email(&VerifyEmailContext {
        app_name: core.config().app_name.clone(),
        email: user.email.clone(),
        link: core.email_link("verify-email", &token),
        expires_in_minutes: u64::try_from(ttl.whole_minutes()).unwrap_or(0),
    });
    core.send_email_in_background(message);
    Ok(())
}

/// Login form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Email address.
    #[schema(max_length = 254, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub email: String,
    /// Password.
    #[schema(max_length = 1024, pattern = r"^[^\x00-\x08\x0A-\x1F\x7F-\x9F]*$")]
    pub password: String,
    /// Keep the session for `remember_me_ttl` with a persistent cookie.
    #[serde(default)]
    pub remember_me: bool,
}

impl Validate for LoginRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_email("email", &self.email)?;
        input::check_password("password", &self.password)
    }
}

/// Signs in with email and password and sets the session cookie.
#[utoipa::path(post, path = "/login", tag = "email-password", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(s): State<EpState>,
    client: ClientInfo,
    headers: HeaderMap,
    jar: CookieJar,
    Json(body): Json<LoginRequest>,
) -> ApiResult<Response> {
    let core = &s.core;
    crate::auth::check_origin_if_present(core, &headers)?;
    let limit = s.plugin.config.rate_limits.login;
    core.rate_limit_client("login", &client, limit).await?;
    let email = normalize_email(&body.email);
    core.rate_limit("login", &format!("email:{email}"), limit)
        .await?;
    let ctx = client.event_context();
    let invalid =
        || ApiError::unauthorized_with("invalid_credentials", "Invalid email or password.");

    let user = core.repos().users.find_user_by_email(&email).await?;
    // The password lookup runs for unknown addresses too (for an id no user has), so both cases
    // make the same storage calls and take the same time.
    let stored = s
        .repo()
        .find_password(user.as_ref().map_or(uuid::Uuid::nil(), |u| u.id))
        .await?;
    let (Some(user), Some(stored)) = (user, stored) else {
        dummy_verify(&body.password).await?;
        core.emit(
            AuthEvent::LoginFailed {
                user_id: None,
                reason: "unknown_account",
            },
            &ctx,
        )
        .await;
        return Err(invalid());
    };
    if !verify_password(&stored.password_hash, &body.password).await? {
        let answer = core
            .emit(
                AuthEvent::LoginFailed {
                    user_id: Some(user.id),
                    reason: "invalid_password",
                },
                &ctx,
            )
            .await;
        return Err(blocked(answer).unwrap_or_else(invalid));
    }
    if s.plugin.config.require_email_verification && !user.email_verified {
        return Err(ApiError::forbidden(
            "email_not_verified",
            "Verify your email address before signing in.",
        ));
    }
    let method = LoginMethod {
        name: "password",
        amr: vec!["pwd"],
        remember_me: body.remember_me,
    };
    core.complete_login(&user, method, &client, jar).await
}

/// A plugin's `Block` as an error.
fn blocked(answer: EventResponse) -> Option<ApiError> {
    match answer {
        EventResponse::Block {
            status,
            code,
            message,
        } => Some(ApiError::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN),
            code,
            message,
        )),
        _ => None,
    }
}

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

/// Verifies the email address with the token from the verification email.
#[utoipa::path(post, path = "/verify-email", tag = "email-password", request_body = TokenRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn verify_email(
    State(s): State<EpState>,
    client: ClientInfo,
    Json(body): Json<TokenRequest>,
) -> ApiResult<axum::Json<MessageResponse>> {
    let core = &s.core;
    let limit = s.plugin.config.rate_limits.token_submit;
    core.rate_limit_client("token", &client, limit).await?;
    let now = core.now();
    let Some(verification) = s
        .repo()
        .consume_email_verification(&hash_token(&body.token), now)
        .await?
    else {
        return Err(invalid_token());
    };
    let update = UserUpdate {
        email_verified: Some(true),
        ..UserUpdate::default()
    };
    core.repos()
        .users
        .update_user(verification.user_id, &update, now)
        .await?;
    core.emit(
        AuthEvent::EmailVerified {
            user_id: verification.user_id,
        },
        &client.event_context(),
    )
    .await;
    Ok(MessageResponse::new("Email verified. You can sign in now."))
}

fn invalid_token() -> ApiError {
    ApiError::bad_request("invalid_token", "This link is invalid, used or expired.")
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

/// Sends a new verification email, if the account exists and is unverified. Answers the same
/// either way.
#[utoipa::path(post, path = "/resend-verification", tag = "email-password", request_body = EmailRequest,
    responses((status = 202, body = MessageResponse), (status = 429, body = ErrorBody)))]
async fn resend_verification(
    State(s): State<EpState>,
    client: ClientInfo,
    Json(body): Json<EmailRequest>,
) -> ApiResult<(StatusCode, axum::Json<MessageResponse>)> {
    let core = &s.core;
    let limit = s.plugin.config.rate_limits.resend_verification;
    let email = normalize_email(&body.email);
    core.rate_limit_client("resend", &client, limit).await?;
    core.rate_limit("resend", &format!("email:{email}"), limit)
        .await?;
    // Whether the account exists decides everything after this point, so none of it runs in
    // the request: known and unknown addresses make the same storage calls and answer alike.
    spawn_follow_up(&s, "resend-verification", move |s| async move {
        if let Some(user) = s.core.repos().users.find_user_by_email(&email).await?
            && !user.email_verified
        {
            s.repo().delete_email_verifications(user.id).await?;
            send_verification(&s, &user).await?;
        }
        Ok(())
    });
    Ok((
        StatusCode::ACCEPTED,
        MessageResponse::new(EMAIL_SENT_ANSWER),
    ))
}

/// [`YAuthState::spawn_follow_up`](crate::YAuthState::spawn_follow_up) with this plugin's state.
fn spawn_follow_up<F, Fut>(s: &EpState, route: &'static str, work: F)
where
    F: FnOnce(EpState) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>> + Send + 'static,
{
    s.core.spawn_follow_up(route, work(s.clone()));
}

/// Emails a password-reset link, if the account exists. Answers the same either way.
#[utoipa::path(post, path = "/forgot-password", tag = "email-password", request_body = EmailRequest,
    responses((status = 202, body = MessageResponse), (status = 429, body = ErrorBody)))]
async fn forgot_password(
    State(s): State<EpState>,
    client: ClientInfo,
    Json(body): Json<EmailRequest>,
) -> ApiResult<(StatusCode, axum::Json<MessageResponse>)> {
    let core = &s.core;
    let limit = s.plugin.config.rate_limits.forgot_password;
    let email = normalize_email(&body.email);
    core.rate_limit_client("forgot", &client, limit).await?;
    core.rate_limit("forgot", &format!("email:{email}"), limit)
        .await?;
    let ctx = client.event_context();
    // As for resend-verification: the account lookup and everything after it run off the
    // request path.
    spawn_follow_up(&s, "forgot-password", move |s| async move {
        let core = &s.core;
        let Some(user) = core.repos().users.find_user_by_email(&email).await? else {
            return Ok(());
        };
        let repo = s.repo();
        let now = core.now();
        let token = random_token();
        let ttl = s.plugin.config.reset_ttl;
        // One live reset link at a time: a new request invalidates the older ones.
        repo.delete_password_resets(user.id).await?;
        repo.create_password_reset(&PasswordReset {
            id: new_id(),
            user_id: user.id,
            token_hash: hash_token(&token),
            expires_at: now + ttl,
            used_at: None,
            created_at: now,
        })
        .await?;
        core.emit(AuthEvent::PasswordResetRequested { user_id: user.id }, &ctx)
            .await;
        let message = s
            .plugin
            .config
            .templates
            .password_reset(&PasswordResetContext {
                app_name: core.config().app_name.clone(),
                email: user.email.clone(),
                link: core.email_link("reset-password", &token),
                expires_in_minutes: u64::try_from(ttl.whole_minutes()).unwrap_or(0),
            });
        core.send_email_in_background(message);
        Ok(())
    });
    Ok((
        StatusCode::ACCEPTED,
        MessageResponse::new(EMAIL_SENT_ANSWER),
    ))
}

/// A new password with the reset token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// The token from the reset email (single use).
    #[schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub token: String,
    /// The new password.
    #[schema(max_length = 1024, pattern = r"^[^\x00-\x08\x0A-\x1F\x7F-\x9F]*$")]
    pub password: String,
}

impl Validate for ResetPasswordRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_token("token", &self.token)?;
        input::check_password("password", &self.password)
    }
}

/// Sets a new password with a reset token; signs the user out everywhere.
#[utoipa::path(post, path = "/reset-password", tag = "email-password", request_body = ResetPasswordRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn reset_password(
    State(s): State<EpState>,
    client: ClientInfo,
    Json(body): Json<ResetPasswordRequest>,
) -> ApiResult<axum::Json<MessageResponse>> {
    let core = &s.core;
    let limit = s.plugin.config.rate_limits.token_submit;
    core.rate_limit_client("token", &client, limit).await?;
    // Every rule is checked before the single-use token is consumed, so a refused password
    // (too weak, containing the email, reused) never burns the link. The find reserves
    // nothing: the atomic consume below still decides which concurrent request wins.
    let token_hash = hash_token(&body.token);
    let now = core.now();
    let Some(pending) = s.repo().find_password_reset(&token_hash, now).await? else {
        return Err(invalid_token());
    };
    let Some(user) = core.repos().users.find_user(pending.user_id).await? else {
        return Err(invalid_token());
    };
    s.check_new_password(&body.password, &user.email).await?;
    s.check_history(user.id, &body.password).await?;
    let hash = hash_password(&body.password).await?;
    match s.repo().consume_password_reset(&token_hash, now).await? {
        Some(reset) if reset.user_id == user.id => {}
        _ => return Err(invalid_token()),
    }
    s.replace_password(user.id, hash).await?;
    // The link reached the mailbox, which proves the address.
    if !user.email_verified {
        let update = UserUpdate {
            email_verified: Some(true),
            ..UserUpdate::default()
        };
        core.repos()
            .users
            .update_user(user.id, &update, now)
            .await?;
    }
    core.repos()
        .sessions
        .delete_user_sessions(user.id, None)
        .await?;
    finish_password_change(&s, &user, &client).await;
    Ok(MessageResponse::new(
        "Password reset. Sign in with your new password.",
    ))
}

async fn finish_password_change(s: &EpState, user: &User, client: &ClientInfo) {
    let core = &s.core;
    core.emit(
        AuthEvent::PasswordChanged { user_id: user.id },
        &client.event_context(),
    )
    .await;
    let message = s
        .plugin
        .config
        .templates
        .password_changed(&PasswordChangedContext {
            app_name: core.config().app_name.clone(),
            email: user.email.clone(),
        });
    core.send_email_in_background(message);
}

/// Current and new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The current password.
    #[schema(max_length = 1024, pattern = r"^[^\x00-\x08\x0A-\x1F\x7F-\x9F]*$")]
    pub current_password: String,
    /// The new password.
    #[schema(max_length = 1024, pattern = r"^[^\x00-\x08\x0A-\x1F\x7F-\x9F]*$")]
    pub new_password: String,
}

impl Validate for ChangePasswordRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_password("current_password", &self.current_password)?;
        input::check_password("new_password", &self.new_password)
    }
}

/// Changes the password; every other session of the user ends.
#[utoipa::path(post, path = "/change-password", tag = "email-password", request_body = ChangePasswordRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn change_password(
    State(s): State<EpState>,
    client: ClientInfo,
    me: AuthUser,
    Json(body): Json<ChangePasswordRequest>,
) -> ApiResult<axum::Json<MessageResponse>> {
    let core = &s.core;
    core.require_recent_authentication(&me)?;
    let limit = s.plugin.config.rate_limits.login;
    core.rate_limit("change-password", &format!("user:{}", me.id), limit)
        .await?;
    let Some(user) = core.repos().users.find_user(me.id).await? else {
        return Err(ApiError::unauthorized());
    };
    let current = s.repo().find_password(user.id).await?;
    let current_ok = match &current {
        Some(c) => verify_password(&c.password_hash, &body.current_password).await?,
        None => dummy_verify(&body.current_password).await?,
    };
    if !current_ok {
        return Err(ApiError::bad_request(
            "invalid_current_password",
            "The current password is not correct.",
        ));
    }
    s.check_new_password(&body.new_password, &user.email)
        .await?;
    s.check_history(user.id, &body.new_password).await?;
    let hash = hash_password(&body.new_password).await?;
    s.replace_password(user.id, hash).await?;
    core.repos()
        .sessions
        .delete_user_sessions(user.id, me.session_id)
        .await?;
    finish_password_change(&s, &user, &client).await;
    Ok(MessageResponse::new(
        "Password changed. Your other sessions were signed out.",
    ))
}
