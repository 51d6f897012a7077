//! The passkey routes: registration, sign-in (usernameless or with an email hint), the user's
//! list of passkeys, and, with the mfa plugin, a passkey as the second factor.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use webauthn_rs::prelude::{
    AuthenticationResult, PublicKeyCredential, RegisterPublicKeyCredential, WebauthnError,
};
use yauth_entity::{User, WebauthnCredential, new_id, normalize_email};
use yauth_store::StoreError;

use super::ceremony::{self, Authentication, Kind, Registration};
use super::config::CounterPolicy;
use super::{PasskeyState, authenticators, credential};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::{AuthEvent, EventContext};
use crate::extract::{ClientInfo, Json, Path};
use crate::input::{self, Validate, limits};
use crate::login::{Issue, LoginMethod, LoginResponse};

mod login;
mod manage;
mod register;
#[cfg(feature = "mfa")]
mod second_factor;

use login::*;
pub use login::{PasskeyLoginBeginRequest, PasskeyLoginFinishRequest};
pub use manage::PasskeyRenameRequest;
use manage::*;
pub use register::PasskeyRegisterFinishRequest;
use register::*;
#[cfg(feature = "mfa")]
use second_factor::*;
#[cfg(feature = "mfa")]
pub use second_factor::{PasskeyMfaBeginRequest, PasskeyMfaFinishRequest};

pub(crate) fn public(state: PasskeyState) -> OpenApiRouter {
    let router = OpenApiRouter::new()
        .routes(routes!(login_begin))
        .routes(routes!(login_finish));
    #[cfg(feature = "mfa")]
    let router = if state.core.plugin_names().contains(&"mfa") {
        router
            .routes(routes!(mfa_begin))
            .routes(routes!(mfa_finish))
    } else {
        router
    };
    router.with_state(state)
}

pub(crate) fn protected(state: PasskeyState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(register_begin))
        .routes(routes!(register_finish))
        .routes(routes!(list))
        .routes(routes!(rename, delete))
        .with_state(state)
}

/// The start of a ceremony: what to hand `navigator.credentials.create()` or `.get()`, and the
/// id to send back with its finish.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PasskeyChallenge {
    /// Opaque id of this ceremony; it expires after the challenge TTL and finishes once.
    pub challenge_id: String,
    /// The WebAuthn options (JSON form, binary fields in base64url): `{"publicKey": {...}}`,
    /// plus `"mediation": "conditional"` for a conditional-UI sign-in.
    #[schema(value_type = Object)]
    pub options: Value,
}

/// One of the user's passkeys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PasskeyInfo {
    /// Passkey id (for rename and delete).
    pub id: Uuid,
    /// The user's label.
    pub name: String,
    /// Authenticator model, when the authenticator disclosed it.
    pub aaguid: Option<String>,
    /// Name of the authenticator model, when it is a well-known one.
    pub device_name: Option<String>,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Its last successful sign-in.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

impl From<&WebauthnCredential> for PasskeyInfo {
    fn from(c: &WebauthnCredential) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            aaguid: c.aaguid.clone(),
            device_name: c.device_name.clone(),
            created_at: c.created_at,
            last_used_at: c.last_used_at,
        }
    }
}

/// WebAuthn caps credential ids at 1023 bytes.
const MAX_CREDENTIAL_ID: usize = 1023;

fn check_credential_id(id: &str, raw_id: &[u8]) -> Result<(), ApiError> {
    // base64url of 1023 bytes is 1364 characters.
    input::check_text("credential.id", id, 1364)?;
    if raw_id.is_empty() || raw_id.len() > MAX_CREDENTIAL_ID {
        return Err(ApiError::bad_request(
            "invalid_passkey",
            "The credential id must be 1 to 1023 bytes.",
        ));
    }
    Ok(())
}

fn invalid_passkey() -> ApiError {
    ApiError::unauthorized_with("invalid_passkey", "The passkey could not be verified.")
}

fn possibly_cloned() -> ApiError {
    ApiError::unauthorized_with(
        "passkey_possibly_cloned",
        "This passkey's signature counter went backwards, which suggests a cloned \
         authenticator; it was refused. Use another passkey or sign in another way.",
    )
}

fn not_found() -> ApiError {
    ApiError::not_found("No such passkey.")
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The options JSON of a sign-in, offering exactly `allowed` (base64url ids) when given.
fn sign_in_options(
    options: &impl Serialize,
    allowed: Option<&[String]>,
    conditional: bool,
) -> Result<Value, ApiError> {
    let mut options = serde_json::to_value(options)
        .map_err(|e| ApiError::internal(format!("passkey options: {e}")))?;
    if let Some(allowed) = allowed {
        let list: Vec<Value> = allowed
            .iter()
            .map(|id| json!({ "type": "public-key", "id": id }))
            .collect();
        options["publicKey"]["allowCredentials"] = Value::Array(list);
    }
    if !conditional && let Some(map) = options.as_object_mut() {
        map.remove("mediation");
    }
    Ok(options)
}
