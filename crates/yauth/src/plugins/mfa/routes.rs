//! The mfa routes: setup, confirm, disable, backup codes, and the second step of a login.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use yauth_entity::{TotpSecret, new_id};
use zeroize::Zeroizing;

use super::{MfaState, backup_codes, pending, totp};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Json};
use crate::input::{self, Validate};
use crate::keyring::{SealedColumn, SealedPlace};
use crate::login::{LoginMethod, LoginResponse};
use crate::routes::core::MessageResponse;

pub(crate) fn public(state: MfaState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(verify))
        .with_state(state)
}

pub(crate) fn protected(state: MfaState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(setup))
        .routes(routes!(confirm))
        .routes(routes!(disable))
        .routes(routes!(backup_code_count))
        .routes(routes!(regenerate_backup_codes))
        .with_state(state)
}

/// A new TOTP secret, its URI, and the backup codes, each shown only in this answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MfaSetupResponse {
    /// The secret in base32, for typing into an authenticator app.
    pub secret: String,
    /// The `otpauth://totp/...` URI, for a QR code.
    pub otpauth_uri: String,
    /// One-time backup codes; store them somewhere safe.
    pub backup_codes: Vec<String>,
}

/// Fresh backup codes, shown only in this answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BackupCodes {
    /// One-time backup codes; the previous ones no longer work.
    pub backup_codes: Vec<String>,
}

/// How many backup codes are left.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BackupCodeCount {
    /// Unused backup codes.
    pub remaining: u64,
}

/// A code from the authenticator app (6 digits) or a backup code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaCodeRequest {
    /// The code.
    #[schema(max_length = 32, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub code: String,
}

impl Validate for MfaCodeRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_text("code", &self.code, 32)
    }
}

/// The second step of a login that answered `mfa_required`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaVerifyRequest {
    /// The `pending_session_id` of the login answer.
    #[schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub pending_session_id: String,
    /// A code from the authenticator app (6 digits) or a backup code.
    #[schema(max_length = 32, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub code: String,
}

impl Validate for MfaVerifyRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_token("pending_session_id", &self.pending_session_id)?;
        input::check_text("code", &self.code, 32)
    }
}

fn invalid_code() -> ApiError {
    ApiError::unauthorized_with("invalid_mfa_code", "The code is wrong or was already used.")
}

fn not_enabled() -> ApiError {
    ApiError::not_found("Two-factor authentication is not enabled.")
}

/// The plaintext of a stored TOTP secret.
fn open_secret(s: &MfaState, secret: &TotpSecret) -> Result<Zeroizing<Vec<u8>>, ApiError> {
    let ring = s
        .core
        .key_ring()
        .ok_or_else(|| ApiError::internal("mfa runs without a key ring"))?;
    let row = secret.id.to_string();
    ring.open(
        &SealedPlace::new(SealedColumn::TotpSecret, &row),
        &secret.encrypted_secret,
    )
    .map_err(|error| ApiError::internal(format!("TOTP secret of {}: {error}", secret.user_id)))
}

/// Whether `code` is the user's current TOTP code, spending its time step so that it is
/// accepted once only.
async fn check_totp(s: &MfaState, secret: &TotpSecret, code: &str) -> Result<bool, ApiError> {
    let key = open_secret(s, secret)?;
    let step = totp::step_at(s.core.now().unix_timestamp());
    let Some(matched) = totp::matching_step(&key, code, step, s.plugin.config.skew_steps) else {
        return Ok(false);
    };
    Ok(s.plugin
        .repo
        .accept_totp_step(secret.user_id, matched)
        .await?)
}

/// Whether `code` is a TOTP code or an unused backup code of the user (spending it). A user
/// without confirmed TOTP has no second factor to pass.
async fn check_second_factor(s: &MfaState, user_id: Uuid, code: &str) -> Result<bool, ApiError> {
    let Some(secret) = s.plugin.repo.find_totp_secret(user_id).await? else {
        return Ok(false);
    };
    if !secret.verified {
        return Ok(false);
    }
    if code.len() == totp::DIGITS {
        return check_totp(s, &secret, code).await;
    }
    match backup_codes::hash_of(code) {
        Some(hash) => {
            let now = s.core.now();
            Ok(s.plugin
                .repo
                .consume_backup_code(user_id, &hash, now)
                .await?)
        }
        None => Ok(false),
    }
}

/// Replaces the user's backup codes with fresh ones and returns them for display.
async fn issue_backup_codes(s: &MfaState, user_id: Uuid) -> Result<Vec<String>, ApiError> {
    let count = s.plugin.config.backup_code_count;
    let (shown, rows) = backup_codes::generate(user_id, count, s.core.now());
    s.plugin.repo.replace_backup_codes(user_id, &rows).await?;
    Ok(shown)
}

/// Starts TOTP setup: a new secret (sealed at rest) and backup codes. MFA stays off until
/// `/mfa/totp/confirm`. Needs a recent sign-in.
#[utoipa::path(post, path = "/mfa/totp/setup", tag = "mfa",
    responses((status = 200, body = MfaSetupResponse), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn setup(State(s): State<MfaState>, me: AuthUser) -> ApiResult<axum::Json<MfaSetupResponse>> {
    s.core.require_recent_authentication(&me)?;
    let repo = &s.plugin.repo;
    if repo
        .find_totp_secret(me.id)
        .await?
        .is_some_and(|t| t.verified)
    {
        return Err(ApiError::conflict(
            "mfa_already_enabled",
            "Two-factor authentication is already on; turn it off first to set up a new app.",
        ));
    }
    let ring = s
        .core
        .key_ring()
        .ok_or_else(|| ApiError::internal("mfa runs without a key ring"))?;
    let key = Zeroizing::new(rand::random::<[u8; totp::SECRET_LEN]>());
    let id = new_id();
    let row = id.to_string();
    let sealed = ring.seal(
        &SealedPlace::new(SealedColumn::TotpSecret, &row),
        key.as_slice(),
    );
    // An unconfirmed secret from an earlier setup is replaced, row id included (the id is
    // part of what the seal authenticates).
    repo.delete_totp_secret(me.id).await?;
    repo.upsert_totp_secret(&TotpSecret {
        id,
        user_id: me.id,
        encrypted_secret: sealed,
        verified: false,
        last_used_step: None,
        created_at: s.core.now(),
    })
    .await?;
    let backup_codes = issue_backup_codes(&s, me.id).await?;
    let secret = totp::base32(key.as_slice());
    let issuer = s
        .plugin
        .config
        .issuer
        .clone()
        .unwrap_or_else(|| s.core.config().app_name.replace(':', " "));
    Ok(axum::Json(MfaSetupResponse {
        otpauth_uri: totp::otpauth_uri(&issuer, &me.email, &secret),
        secret,
        backup_codes,
    }))
}

/// Turns MFA on with a first code from the authenticator app.
#[utoipa::path(post, path = "/mfa/totp/confirm", tag = "mfa", request_body = MfaCodeRequest,
    responses((status = 200, body = MessageResponse), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn confirm(
    State(s): State<MfaState>,
    client: ClientInfo,
    me: AuthUser,
    Json(body): Json<MfaCodeRequest>,
) -> ApiResult<axum::Json<MessageResponse>> {
    let limit = s.plugin.config.verify_rate_limit;
    s.core
        .rate_limit("mfa_confirm", &format!("user:{}", me.id), limit)
        .await?;
    let Some(secret) = s.plugin.repo.find_totp_secret(me.id).await? else {
        return Err(ApiError::not_found("Start with /mfa/totp/setup."));
    };
    if secret.verified {
        return Err(ApiError::conflict(
            "mfa_already_enabled",
            "Two-factor authentication is already on.",
        ));
    }
    if !check_totp(&s, &secret, body.code.trim()).await? {
        return Err(invalid_code());
    }
    s.plugin.repo.confirm_totp_secret(me.id).await?;
    s.core
        .emit(
            AuthEvent::MfaEnabled { user_id: me.id },
            &client.event_context(),
        )
        .await;
    Ok(MessageResponse::new("Two-factor authentication is on."))
}

/// Turns MFA off. Needs a recent sign-in and a current code (TOTP or backup).
#[utoipa::path(delete, path = "/mfa/totp", tag = "mfa", request_body = MfaCodeRequest,
    responses((status = 200, body = MessageResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn disable(
    State(s): State<MfaState>,
    client: ClientInfo,
    me: AuthUser,
    Json(body): Json<MfaCodeRequest>,
) -> ApiResult<axum::Json<MessageResponse>> {
    s.core.require_recent_authentication(&me)?;
    let limit = s.plugin.config.verify_rate_limit;
    s.core
        .rate_limit("mfa_disable", &format!("user:{}", me.id), limit)
        .await?;
    let repo = &s.plugin.repo;
    if !repo
        .find_totp_secret(me.id)
        .await?
        .is_some_and(|t| t.verified)
    {
        return Err(not_enabled());
    }
    if !check_second_factor(&s, me.id, body.code.trim()).await? {
        return Err(invalid_code());
    }
    repo.delete_totp_secret(me.id).await?;
    repo.replace_backup_codes(me.id, &[]).await?;
    s.core
        .emit(
            AuthEvent::MfaDisabled { user_id: me.id },
            &client.event_context(),
        )
        .await;
    Ok(MessageResponse::new("Two-factor authentication is off."))
}

/// How many backup codes are left.
#[utoipa::path(get, path = "/mfa/backup-codes", tag = "mfa",
    responses((status = 200, body = BackupCodeCount), (status = 404, body = ErrorBody)))]
async fn backup_code_count(
    State(s): State<MfaState>,
    me: AuthUser,
) -> ApiResult<axum::Json<BackupCodeCount>> {
    let repo = &s.plugin.repo;
    if !repo
        .find_totp_secret(me.id)
        .await?
        .is_some_and(|t| t.verified)
    {
        return Err(not_enabled());
    }
    let remaining = repo.count_unused_backup_codes(me.id).await?;
    Ok(axum::Json(BackupCodeCount { remaining }))
}

/// Replaces every backup code with fresh ones. Needs a recent sign-in.
#[utoipa::path(post, path = "/mfa/backup-codes/regenerate", tag = "mfa",
    responses((status = 200, body = BackupCodes), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn regenerate_backup_codes(
    State(s): State<MfaState>,
    me: AuthUser,
) -> ApiResult<axum::Json<BackupCodes>> {
    s.core.require_recent_authentication(&me)?;
    if !s
        .plugin
        .repo
        .find_totp_secret(me.id)
        .await?
        .is_some_and(|t| t.verified)
    {
        return Err(not_enabled());
    }
    let backup_codes = issue_backup_codes(&s, me.id).await?;
    Ok(axum::Json(BackupCodes { backup_codes }))
}

/// Finishes a login that answered `mfa_required`, with a TOTP code or a backup code, and sets
/// the session cookie.
#[utoipa::path(post, path = "/mfa/verify", tag = "mfa", request_body = MfaVerifyRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn verify(
    State(s): State<MfaState>,
    client: ClientInfo,
    headers: HeaderMap,
    jar: CookieJar,
    Json(body): Json<MfaVerifyRequest>,
) -> ApiResult<Response> {
    let core = &s.core;
    crate::auth::check_origin_if_present(core, &headers)?;
    core.rate_limit_client("mfa_verify", &client, s.plugin.config.verify_rate_limit)
        .await?;
    let pending = pending::attempt(&s.core, &body.pending_session_id).await?;
    if !check_second_factor(&s, pending.user_id, body.code.trim()).await? {
        core.emit(
            AuthEvent::LoginFailed {
                user_id: Some(pending.user_id),
                reason: "invalid_mfa_code",
            },
            &client.event_context(),
        )
        .await;
        return Err(invalid_code());
    }
    let expired = || {
        ApiError::unauthorized_with(
            "invalid_mfa_session",
            "This sign-in has expired or does not exist; sign in again.",
        )
    };
    if !pending::finish(&s.core, &pending).await? {
        return Err(expired());
    }
    let user = core
        .repos()
        .users
        .find_user(pending.user_id)
        .await?
        .ok_or_else(expired)?;
    let mut amr = pending.amr.clone();
    for value in ["otp", "mfa"] {
        if !amr.contains(&value) {
            amr.push(value);
        }
    }
    let method = LoginMethod {
        name: "mfa",
        amr,
        remember_me: pending.remember_me,
        issue: pending.issue,
    };
    core.complete_login(&user, method, &client, jar).await
}
