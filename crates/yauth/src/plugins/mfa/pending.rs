//! Pending logins: a first factor passed, the second is awaited. Each is a challenge with a TTL,
//! found by the SHA-256 of an opaque id the client holds, with an atomic attempt counter.
//!
//! A pending login carries its own attempt limit, so any second factor (TOTP here, a passkey in
//! the passkey plugin) spends the same attempts and finishes it the same way.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yauth_entity::Challenge;
use yauth_store::StoreResult;

use super::MfaState;
use crate::crypto::{hash_token, random_token};
use crate::error::ApiError;
use crate::login::Issue;
use crate::state::YAuthState;

/// What the challenge keeps of the first factor, and the limits it was created with.
#[derive(Serialize, Deserialize)]
struct Stored {
    user_id: Uuid,
    amr: Vec<String>,
    remember_me: bool,
    #[serde(default)]
    issue: Issue,
    #[serde(default = "default_max_attempts")]
    max_attempts: u32,
    #[serde(default = "default_ttl_secs")]
    ttl_secs: i64,
}

fn default_max_attempts() -> u32 {
    super::MfaConfig::default().max_attempts
}

fn default_ttl_secs() -> i64 {
    super::MfaConfig::default()
        .pending_login_ttl
        .whole_seconds()
}

/// A pending login read back for `/mfa/verify`.
pub(crate) struct PendingLogin {
    key: String,
    pub user_id: Uuid,
    /// The first factor's method references (registered values only).
    pub amr: Vec<&'static str>,
    pub remember_me: bool,
    /// What the finished sign-in hands out.
    pub issue: Issue,
}

fn key_of(id: &str) -> String {
    format!("mfa_pending:{}", hash_token(id))
}

/// Starts a pending login when `user_id` has confirmed TOTP; returns the id to hand the client.
pub(crate) async fn require_second_factor(
    s: &MfaState,
    user_id: Uuid,
    amr: &[&'static str],
    remember_me: bool,
    issue: Issue,
) -> StoreResult<Option<String>> {
    let secret = s.plugin.repo.find_totp_secret(user_id).await?;
    if !secret.is_some_and(|secret| secret.verified) {
        return Ok(None);
    }
    let id = random_token();
    let now = s.core.now();
    let config = &s.plugin.config;
    let value = Stored {
        user_id,
        amr: amr.iter().map(|v| (*v).to_owned()).collect(),
        remember_me,
        issue,
        max_attempts: config.max_attempts,
        ttl_secs: config.pending_login_ttl.whole_seconds(),
    };
    let challenge = Challenge {
        key: key_of(&id),
        // A struct of a UUID, strings and a bool always serialises.
        value: serde_json::to_value(value).unwrap_or_default(),
        expires_at: now + s.plugin.config.pending_login_ttl,
        created_at: now,
    };
    s.core.repos().challenges.put_challenge(&challenge).await?;
    Ok(Some(id))
}

fn unknown() -> ApiError {
    ApiError::unauthorized_with(
        "invalid_mfa_session",
        "This sign-in has expired or does not exist; sign in again.",
    )
}

/// The unexpired pending login `id`, without counting an attempt (to prepare a second factor,
/// e.g. a passkey challenge for its user).
pub(crate) async fn peek(core: &YAuthState, id: &str) -> Result<PendingLogin, ApiError> {
    let key = key_of(id);
    let challenge = core
        .repos()
        .challenges
        .get_challenge(&key, core.now())
        .await?
        .ok_or_else(unknown)?;
    let stored: Stored = serde_json::from_value(challenge.value).map_err(|_| unknown())?;
    Ok(pending_login(key, stored))
}

fn pending_login(key: String, stored: Stored) -> PendingLogin {
    PendingLogin {
        key,
        user_id: stored.user_id,
        amr: stored
            .amr
            .iter()
            .filter_map(|v| crate::login::amr_value(v))
            .collect(),
        remember_me: stored.remember_me,
        issue: stored.issue,
    }
}

/// The unexpired pending login `id`, after counting this attempt: past `max_attempts` the
/// pending login is deleted and the client must sign in again.
pub(crate) async fn attempt(core: &YAuthState, id: &str) -> Result<PendingLogin, ApiError> {
    let key = key_of(id);
    let now = core.now();
    let challenges = &core.repos().challenges;
    let challenge = challenges
        .get_challenge(&key, now)
        .await?
        .ok_or_else(unknown)?;
    let stored: Stored = serde_json::from_value(challenge.value).map_err(|_| unknown())?;
    // The counter lives as long as the pending login; its key is fixed-length like the others.
    let counter = format!("mfa_attempts:{}", hash_token(&key));
    let ttl = time::Duration::seconds(stored.ttl_secs.max(1));
    let decision = core
        .repos()
        .rate_limits
        .hit_rate_limit(&counter, stored.max_attempts.max(1), ttl, now)
        .await?;
    if !decision.allowed {
        challenges.delete_challenge(&key).await?;
        return Err(ApiError::unauthorized_with(
            "mfa_attempts_exhausted",
            "Too many wrong codes; sign in again.",
        ));
    }
    Ok(pending_login(key, stored))
}

/// Ends the pending login for the one caller that finishes it; `false` when another request
/// already did (or it expired meanwhile).
pub(crate) async fn finish(core: &YAuthState, pending: &PendingLogin) -> StoreResult<bool> {
    let now = core.now();
    let taken = core
        .repos()
        .challenges
        .take_challenge(&pending.key, now)
        .await?;
    Ok(taken.is_some())
}
