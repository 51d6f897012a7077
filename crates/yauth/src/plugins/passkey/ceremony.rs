//! Ceremony state between a start and its finish: stored as a challenge with the plugin's TTL,
//! found by the SHA-256 of an opaque id the client holds, and taken (removed) atomically by the
//! finish, so a ceremony completes at most once.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{DiscoverableAuthentication, PasskeyRegistration};
use yauth_entity::Challenge;

use super::PasskeyState;
use crate::crypto::{hash_token, random_token};
use crate::error::ApiError;

/// A registration in progress: whose, and the library's state.
#[derive(Serialize, Deserialize)]
pub(crate) struct Registration {
    pub user_id: Uuid,
    pub state: PasskeyRegistration,
}

/// A sign-in in progress.
#[derive(Serialize, Deserialize)]
pub(crate) struct Authentication {
    pub state: DiscoverableAuthentication,
    /// With an email hint: the credential ids (base64url) offered to the browser; the assertion
    /// must use one of them. `None` for a usernameless sign-in (any registered passkey).
    pub allowed: Option<Vec<String>>,
    /// Set when the ceremony is the second factor of a pending login (`/passkey/mfa/*`): the
    /// user whose passkey must answer.
    #[serde(default)]
    pub second_factor_of: Option<Uuid>,
}

/// Which ceremony a challenge belongs to; part of its key, so an id of one kind never finishes
/// another.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Registration,
    Authentication,
}

fn key_of(kind: Kind, id: &str) -> String {
    let prefix = match kind {
        Kind::Registration => "passkey_reg",
        Kind::Authentication => "passkey_auth",
    };
    format!("{prefix}:{}", hash_token(id))
}

pub(crate) fn expired() -> ApiError {
    ApiError::bad_request(
        "challenge_expired",
        "This passkey ceremony has expired or was already used; start again.",
    )
}

/// Stores `value` for the plugin's TTL and returns the id to hand the client.
pub(crate) async fn put<T: Serialize>(
    s: &PasskeyState,
    kind: Kind,
    value: &T,
) -> Result<String, ApiError> {
    let id = random_token();
    let now = s.core.now();
    let value = serde_json::to_value(value)
        .map_err(|e| ApiError::internal(format!("passkey ceremony state: {e}")))?;
    let challenge = Challenge {
        key: key_of(kind, &id),
        value,
        expires_at: now + s.plugin.config.challenge_ttl,
        created_at: now,
    };
    s.core.repos().challenges.put_challenge(&challenge).await?;
    Ok(id)
}

/// Removes and returns the unexpired ceremony `id`: of concurrent finishes only one gets it;
/// every other (and any replay) gets `challenge_expired`.
pub(crate) async fn take<T: DeserializeOwned>(
    s: &PasskeyState,
    kind: Kind,
    id: &str,
) -> Result<T, ApiError> {
    let now = s.core.now();
    let challenge = s
        .core
        .repos()
        .challenges
        .take_challenge(&key_of(kind, id), now)
        .await?
        .ok_or_else(expired)?;
    serde_json::from_value(challenge.value).map_err(|_| expired())
}
