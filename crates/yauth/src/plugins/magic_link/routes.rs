//! `POST /magic-link/send` and `POST /magic-link/verify`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yauth_entity::{MagicLink, User, UserUpdate, new_id, normalize_email};

use super::MagicLinkState;
use super::templates::MagicLinkContext;
use crate::crypto::{hash_token, random_token};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Json};
use crate::input::{self, Validate};
use crate::login::{Issue, LoginMethod, LoginResponse};
use crate::routes::core::MessageResponse;

pub(crate) fn public(state: MagicLinkState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(send))
        .routes(routes!(verify))
        .with_state(state)
}

const SENT_ANSWER: &str = "If this address can sign in, we have sent it a link.";

/// Where to send a sign-in link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkSendRequest {
    /// Email address.
    #[schema(max_length = 254, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub email: String,
}

impl Validate for MagicLinkSendRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_email("email", &self.email)
    }
}

/// The token of a sign-in link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkVerifyRequest {
    /// The `token` query parameter of the link.
    #[schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub token: String,
    /// Keep the session for `remember_me_ttl` with a persistent cookie.
    #[serde(default)]
    pub remember_me: bool,
}

impl Validate for MagicLinkVerifyRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_token("token", &self.token)
    }
}

fn invalid_token() -> ApiError {
    ApiError::bad_request("invalid_token", "This link is invalid, used or expired.")
}

/// Emails a single-use sign-in link. Answers the same whether or not the address has an
/// account.
#[utoipa::path(post, path = "/magic-link/send", tag = "magic-link", request_body = MagicLinkSendRequest,
    responses((status = 202, body = MessageResponse), (status = 400, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn send(
    State(s): State<MagicLinkState>,
    client: ClientInfo,
    Json(body): Json<MagicLinkSendRequest>,
) -> ApiResult<(StatusCode, axum::Json<MessageResponse>)> {
    let core = &s.core;
    input::check_email_syntax(&body.email)?;
    let email = normalize_email(&body.email);
    let limit = s.plugin.config.send_rate_limit;
    core.rate_limit_client("magic_link", &client, limit).await?;
    core.rate_limit("magic_link", &format!("email:{email}"), limit)
        .await?;
    let ctx = client.event_context();
    let task = s.clone();
    core.spawn_follow_up("magic-link/send", async move {
        let (core, config) = (&task.core, &task.plugin.config);
        let user = core.repos().users.find_user_by_email(&email).await?;
        if user.is_none() && !config.allow_sign_up {
            return Ok(());
        }
        let repo = &task.plugin.repo;
        let now = core.now();
        let token = random_token();
        // One live link per address: a new request invalidates the older ones.
        repo.delete_magic_links(&email).await?;
        repo.create_magic_link(&MagicLink {
            id: new_id(),
            email: email.clone(),
            token_hash: hash_token(&token),
            expires_at: now + config.ttl,
            used: false,
            created_at: now,
        })
        .await?;
        core.emit(
            AuthEvent::MagicLinkSent {
                user_id: user.map(|u| u.id),
            },
            &ctx,
        )
        .await;
        let message = config.templates.magic_link(&MagicLinkContext {
            app_name: core.config().app_name.clone(),
            email,
            link: core.email_link("magic-link", &token),
            expires_in_minutes: u64::try_from(config.ttl.whole_minutes()).unwrap_or(0),
        });
        core.send_email_in_background(message);
        Ok(())
    });
    Ok((StatusCode::ACCEPTED, MessageResponse::new(SENT_ANSWER)))
}

/// Signs in with a link's token (once; the link is spent) and sets the session cookie, or
/// answers `mfa_required` when the account has a second factor.
#[utoipa::path(post, path = "/magic-link/verify", tag = "magic-link", request_body = MagicLinkVerifyRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn verify(
    State(s): State<MagicLinkState>,
    client: ClientInfo,
    headers: HeaderMap,
    jar: CookieJar,
    Json(body): Json<MagicLinkVerifyRequest>,
) -> ApiResult<Response> {
    let core = &s.core;
    crate::auth::check_origin_if_present(core, &headers)?;
    core.rate_limit_client(
        "magic_link_verify",
        &client,
        s.plugin.config.verify_rate_limit,
    )
    .await?;
    let now = core.now();
    let link = s
        .plugin
        .repo
        .consume_magic_link(&hash_token(&body.token), now)
        .await?
        .ok_or_else(invalid_token)?;
    let ctx = client.event_context();
    let users = &core.repos().users;
    let user = match users.find_user_by_email(&link.email).await? {
        Some(user) if user.email_verified => user,
        // The link reached the inbox, which is what verification proves.
        Some(user) => {
            let update = UserUpdate {
                email_verified: Some(true),
                ..UserUpdate::default()
            };
            let user = users.update_user(user.id, &update, now).await?;
            core.emit(AuthEvent::EmailVerified { user_id: user.id }, &ctx)
                .await;
            user
        }
        None if s.plugin.config.allow_sign_up => {
            let mut user = User::new(new_id(), &link.email, now);
            user.email_verified = true;
            users.create_user(&user).await?;
            core.emit(AuthEvent::UserRegistered { user_id: user.id }, &ctx)
                .await;
            user
        }
        None => return Err(invalid_token()),
    };
    core.emit(AuthEvent::MagicLinkVerified { user_id: user.id }, &ctx)
        .await;
    let method = LoginMethod {
        name: "magic_link",
        amr: vec!["email"],
        remember_me: body.remember_me,
        issue: Issue::SessionCookie,
    };
    core.complete_login(&user, method, &client, jar).await
}
