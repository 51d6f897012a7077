//! Pending logins: a first factor passed, the second is awaited. Each is a challenge with a TTL,
//! found by the SHA-256 of an opaque id the client holds, with an atomic attempt counter.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yauth_entity::Challenge;
use yauth_store::StoreResult;

use super::MfaState;
use crate::crypto::{hash_token, random_token};
use crate::error::ApiError;

/// What the challenge keeps of the first factor.
#[derive(Serialize, Deserialize)]
struct Stored {
    user_id: Uuid,
    amr: Vec<String>,
    remember_me: bool,
}

/// A pending login read back for `/mfa/verify`.
pub(crate) struct PendingLogin {
    key: String,
    pub user_id: Uuid,
    /// The first factor's method references (registered values only).
    pub amr: Vec<&'static str>,
    pub remember_me: bool,
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
) -> StoreResult<Option<String>> {
    let secret = s.plugin.repo.find_totp_secret(user_id).await?;
    if !secret.is_some_and(|secret| secret.verified) {
        return Ok(None);
    }
    let id = random_token();
    let now = s.core.now();
    let value = Stored {
        user_id,
        amr: amr.iter().map(|v| (*v).to_owned()).collect(),
        remember_me,
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

/// The unexpired pending login `id`, after counting this attempt: past `max_attempts` the
/// pending login is deleted and the client must sign in again.
pub(crate) async fn attempt(s: &MfaState, id: &str) -> Result<PendingLogin, ApiError> {
    let key = key_of(id);
    let now = s.core.now();
    let challenges = &s.core.repos().challenges;
    let challenge = challenges
        .get_challenge(&key, now)
        .await?
        .ok_or_else(unknown)?;
    let stored: Stored = serde_json::from_value(challenge.value).map_err(|_| unknown())?;
    let config = &s.plugin.config;
    // The counter lives as long as the pending login; its key is fixed-length like the others.
    let counter = format!("mfa_attempts:{}", hash_token(&key));
    let decision = s
        .core
        .repos()
        .rate_limits
        .hit_rate_limit(&counter, config.max_attempts, config.pending_login_ttl, now)
        .await?;
    if !decision.allowed {
        challenges.delete_challenge(&key).await?;
        return Err(ApiError::unauthorized_with(
            "mfa_attempts_exhausted",
            "Too many wrong codes; sign in again.",
        ));
    }
    Ok(PendingLogin {
        key,
        user_id: stored.user_id,
        amr: stored
            .amr
            .iter()
            .filter_map(|v| crate::login::amr_value(v))
            .collect(),
        remember_me: stored.remember_me,
    })
}

/// Ends the pending login for the one caller that finishes it; `false` when another request
/// already did (or it expired meanwhile).
pub(crate) async fn finish(s: &MfaState, pending: &PendingLogin) -> StoreResult<bool> {
    let now = s.core.now();
    let taken = s
        .core
        .repos()
        .challenges
        .take_challenge(&pending.key, now)
        .await?;
    Ok(taken.is_some())
}
