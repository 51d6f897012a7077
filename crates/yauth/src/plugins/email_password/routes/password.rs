//! Forgotten, reset and changed passwords.

use super::*;

/// Emails a password-reset link, if the account exists. Answers the same either way.
#[utoipa::path(post, path = "/forgot-password", tag = "email-password", request_body = EmailRequest,
    responses((status = 202, body = MessageResponse), (status = 429, body = ErrorBody)))]
pub(super) async fn forgot_password(
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
pub(super) async fn reset_password(
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

pub(super) async fn finish_password_change(s: &EpState, user: &User, client: &ClientInfo) {
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
pub(super) async fn change_password(
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
