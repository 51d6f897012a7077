//! Signing in with email and password.

use super::*;

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
pub(super) async fn login(
    State(s): State<EpState>,
    client: ClientInfo,
    headers: HeaderMap,
    jar: CookieJar,
    Json(body): Json<LoginRequest>,
) -> ApiResult<Response> {
    crate::auth::check_origin_if_present(&s.core, &headers)?;
    let user = check_password_login(&s, &client, &body.email, &body.password).await?;
    let method = LoginMethod {
        name: "password",
        amr: vec!["pwd"],
        remember_me: body.remember_me,
        issue: Issue::SessionCookie,
    };
    s.core.complete_login(&user, method, &client, jar).await
}

/// Email and password, for tokens.
#[cfg(feature = "bearer")]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordTokenRequest {
    /// Email address.
    #[schema(max_length = 254, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub email: String,
    /// Password.
    #[schema(max_length = 1024, pattern = r"^[^\x00-\x08\x0A-\x1F\x7F-\x9F]*$")]
    pub password: String,
}

#[cfg(feature = "bearer")]
impl Validate for PasswordTokenRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_email("email", &self.email)?;
        input::check_password("password", &self.password)
    }
}

/// Signs in with email and password and answers an access and a refresh token (no cookie).
/// An account with MFA gets `mfa_required`, as at `/login`; `/mfa/verify` then answers the
/// tokens.
#[cfg(feature = "bearer")]
#[utoipa::path(post, path = "/token", tag = "bearer", request_body = PasswordTokenRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(super) async fn token(
    State(s): State<EpState>,
    client: ClientInfo,
    Json(body): Json<PasswordTokenRequest>,
) -> ApiResult<Response> {
    let user = check_password_login(&s, &client, &body.email, &body.password).await?;
    let method = LoginMethod {
        name: "password",
        amr: vec!["pwd"],
        remember_me: false,
        issue: Issue::BearerTokens,
    };
    s.core
        .complete_login(&user, method, &client, CookieJar::new())
        .await
}

/// The password check of every password sign-in: rate limits per client and per account, the
/// same storage calls and hashing work for unknown accounts, `LoginFailed` events, and the
/// email-verification requirement.
async fn check_password_login(
    s: &EpState,
    client: &ClientInfo,
    email: &str,
    password: &str,
) -> ApiResult<User> {
    let core = &s.core;
    let limit = s.plugin.config.rate_limits.login;
    core.rate_limit_client("login", client, limit).await?;
    let email = normalize_email(email);
    core.rate_limit("login", &format!("email:{email}"), limit)
        .await?;
    #[cfg(feature = "account-lockout")]
    let lockout = core.lockout();
    #[cfg(feature = "account-lockout")]
    if let Some(lockout) = lockout {
        lockout.check(core, &email).await?;
    }
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
        dummy_verify(password).await?;
        core.emit(
            AuthEvent::LoginFailed {
                user_id: None,
                reason: "unknown_account",
            },
            &ctx,
        )
        .await;
        #[cfg(feature = "account-lockout")]
        if let Some(lockout) = lockout {
            lockout.record_failure(core, &email, None, &ctx).await?;
        }
        return Err(invalid());
    };
    if !verify_password(&stored.password_hash, password).await? {
        let answer = core
            .emit(
                AuthEvent::LoginFailed {
                    user_id: Some(user.id),
                    reason: "invalid_password",
                },
                &ctx,
            )
            .await;
        // In the same order as for an unknown address: the same storage calls, one by one.
        #[cfg(feature = "account-lockout")]
        if let Some(lockout) = lockout {
            lockout
                .record_failure(core, &email, Some(&user), &ctx)
                .await?;
        }
        return Err(blocked(answer).unwrap_or_else(invalid));
    }
    #[cfg(feature = "account-lockout")]
    if let Some(lockout) = lockout {
        lockout.record_success(core, &email).await?;
    }
    if s.plugin.config.require_email_verification && !user.email_verified {
        return Err(ApiError::forbidden(
            "email_not_verified",
            "Verify your email address before signing in.",
        ));
    }
    Ok(user)
}

/// A plugin's `Block` as an error.
pub(super) fn blocked(answer: EventResponse) -> Option<ApiError> {
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
