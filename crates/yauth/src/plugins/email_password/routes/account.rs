//! Registration and address verification.

use super::*;

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
pub(super) async fn register(
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
pub(super) async fn finish_registration(
    s: &EpState,
    user: &User,
    ctx: &EventContext,
) -> Result<(), ApiError> {
    s.core
        .emit(AuthEvent::UserRegistered { user_id: user.id }, ctx)
        .await;
    if s.plugin.config.require_email_verification {
        send_verification(s, user).await?;
    }
    Ok(())
}

/// The address is taken: tell its owner by email (they may have forgotten they have an account).
pub(super) async fn notify_existing_owner(
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

pub(super) async fn send_verification(s: &EpState, user: &User) -> Result<(), ApiError> {
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

/// Verifies the email address with the token from the verification email.
#[utoipa::path(post, path = "/verify-email", tag = "email-password", request_body = TokenRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(super) async fn verify_email(
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

/// Sends a new verification email, if the account exists and is unverified. Answers the same
/// either way.
#[utoipa::path(post, path = "/resend-verification", tag = "email-password", request_body = EmailRequest,
    responses((status = 202, body = MessageResponse), (status = 429, body = ErrorBody)))]
pub(super) async fn resend_verification(
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
