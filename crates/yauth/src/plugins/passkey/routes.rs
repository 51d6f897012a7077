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
use crate::login::{LoginMethod, LoginResponse};

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

/// Starts a passkey sign-in.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginBeginRequest {
    /// Optional email hint: the browser is offered that account's passkeys. Without it the
    /// browser offers any passkey it holds for this site (usernameless).
    #[serde(default)]
    #[schema(max_length = 254, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub email: Option<String>,
    /// Ask for conditional mediation (passkeys offered in the username field's autofill);
    /// ignored with an email hint.
    #[serde(default)]
    pub conditional: bool,
}

impl Validate for PasskeyLoginBeginRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_optional_text("email", self.email.as_deref(), limits::EMAIL)
    }
}

/// Finishes a passkey sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginFinishRequest {
    /// The `challenge_id` of the start.
    #[schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub challenge_id: String,
    /// The `PublicKeyCredential` from `navigator.credentials.get()`, in its JSON form
    /// (`toJSON()`: binary fields in base64url).
    #[schema(value_type = Object)]
    pub credential: PublicKeyCredential,
    /// Keep the session for `remember_me_ttl` with a persistent cookie.
    #[serde(default)]
    pub remember_me: bool,
}

impl Validate for PasskeyLoginFinishRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_token("challenge_id", &self.challenge_id)?;
        check_credential_id(&self.credential.id, &self.credential.raw_id)
    }
}

/// Finishes a passkey registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyRegisterFinishRequest {
    /// The `challenge_id` of the start.
    #[schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub challenge_id: String,
    /// A label for the passkey; defaults to the authenticator's name, or "Passkey".
    #[serde(default)]
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub name: Option<String>,
    /// The `PublicKeyCredential` from `navigator.credentials.create()`, in its JSON form
    /// (`toJSON()`: binary fields in base64url).
    #[schema(value_type = Object)]
    pub credential: RegisterPublicKeyCredential,
}

impl Validate for PasskeyRegisterFinishRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_token("challenge_id", &self.challenge_id)?;
        input::check_optional_text("name", self.name.as_deref(), limits::NAME)?;
        check_credential_id(&self.credential.id, &self.credential.raw_id)
    }
}

/// A new label for a passkey.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyRenameRequest {
    /// The label.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub name: String,
}

impl Validate for PasskeyRenameRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_text("name", &self.name, limits::NAME)?;
        if self.name.trim().is_empty() {
            return Err(ApiError::bad_request(
                "invalid_name",
                "The name must not be empty.",
            ));
        }
        Ok(())
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

/// Starts adding a passkey to the signed-in account. Needs a recent sign-in.
#[utoipa::path(post, path = "/passkeys/register/begin", tag = "passkey",
    responses((status = 200, body = PasskeyChallenge), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn register_begin(
    State(s): State<PasskeyState>,
    me: AuthUser,
) -> ApiResult<axum::Json<PasskeyChallenge>> {
    s.core.require_recent_authentication(&me)?;
    let existing = s.plugin.repo.list_webauthn_credentials(me.id).await?;
    if existing.len() >= s.plugin.config.max_passkeys_per_user {
        return Err(ApiError::conflict(
            "passkey_limit_reached",
            "This account has as many passkeys as it may hold; remove one first.",
        ));
    }
    let exclude: Vec<Vec<u8>> = existing
        .iter()
        .filter_map(|c| URL_SAFE_NO_PAD.decode(&c.credential_id).ok())
        .collect();
    let display_name = me.display_name.as_deref().unwrap_or(&me.email);
    let (options, state) = s
        .plugin
        .webauthn
        .start_passkey_registration(me.id, &me.email, display_name, Some(exclude))
        .map_err(|e| ApiError::internal(format!("passkey registration start: {e}")))?;
    let registration = Registration {
        user_id: me.id,
        state,
    };
    let challenge_id = ceremony::put(&s, Kind::Registration, &registration).await?;
    let options = serde_json::to_value(&options)
        .map_err(|e| ApiError::internal(format!("passkey options: {e}")))?;
    Ok(axum::Json(PasskeyChallenge {
        challenge_id,
        options,
    }))
}

/// Finishes adding a passkey with the browser's answer. Needs a recent sign-in.
#[utoipa::path(post, path = "/passkeys/register/finish", tag = "passkey",
    request_body = PasskeyRegisterFinishRequest,
    responses((status = 201, body = PasskeyInfo), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn register_finish(
    State(s): State<PasskeyState>,
    client: ClientInfo,
    me: AuthUser,
    Json(body): Json<PasskeyRegisterFinishRequest>,
) -> ApiResult<(StatusCode, axum::Json<PasskeyInfo>)> {
    s.core.require_recent_authentication(&me)?;
    let registration: Registration =
        ceremony::take(&s, Kind::Registration, &body.challenge_id).await?;
    // Another account's ceremony id is as good as none.
    if registration.user_id != me.id {
        return Err(ceremony::expired());
    }
    let passkey = s
        .plugin
        .webauthn
        .finish_passkey_registration(&body.credential, &registration.state)
        .map_err(|e| {
            tracing::debug!(error = %e, "passkey registration refused");
            ApiError::bad_request("invalid_passkey", "The passkey could not be verified.")
        })?;
    let aaguid = authenticators::aaguid_of(&body.credential.response.attestation_object);
    let allowed = &s.plugin.config.allowed_aaguids;
    if !allowed.is_empty() && !aaguid.is_some_and(|a| allowed.contains(&a)) {
        return Err(ApiError::forbidden(
            "authenticator_not_allowed",
            "This kind of authenticator is not accepted here.",
        ));
    }
    let device_name = aaguid.and_then(authenticators::authenticator_name);
    let name = body
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .or(device_name)
        .unwrap_or("Passkey")
        .to_owned();
    let row = WebauthnCredential {
        id: new_id(),
        user_id: me.id,
        credential_id: b64(passkey.cred_id()),
        name,
        aaguid: aaguid.map(|a| a.to_string()),
        device_name: device_name.map(str::to_owned),
        credential: serde_json::to_value(&passkey)
            .map_err(|e| ApiError::internal(format!("passkey serialisation: {e}")))?,
        created_at: s.core.now(),
        last_used_at: None,
    };
    match s.plugin.repo.create_webauthn_credential(&row).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. }) => {
            return Err(ApiError::conflict(
                "passkey_already_registered",
                "This passkey is already registered.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    s.core
        .emit(
            AuthEvent::PasskeyRegistered {
                user_id: me.id,
                passkey_id: row.id,
            },
            &client.event_context(),
        )
        .await;
    Ok((StatusCode::CREATED, axum::Json(PasskeyInfo::from(&row))))
}

/// Starts a passkey sign-in: usernameless, or with an email hint. An email without passkeys
/// (or without an account) answers the same shape, so the answer tells nothing about accounts.
#[utoipa::path(post, path = "/passkey/login/begin", tag = "passkey",
    request_body = PasskeyLoginBeginRequest,
    responses((status = 200, body = PasskeyChallenge), (status = 400, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn login_begin(
    State(s): State<PasskeyState>,
    client: ClientInfo,
    headers: HeaderMap,
    Json(body): Json<PasskeyLoginBeginRequest>,
) -> ApiResult<axum::Json<PasskeyChallenge>> {
    let core = &s.core;
    crate::auth::check_origin_if_present(core, &headers)?;
    core.rate_limit_client(
        "passkey_login_begin",
        &client,
        s.plugin.config.login_start_rate_limit,
    )
    .await?;
    let allowed = match body.email.as_deref() {
        Some(email) => {
            input::check_email_syntax(email)?;
            Some(offered_credentials(&s, &normalize_email(email)).await?)
        }
        None => None,
    };
    let conditional = body.conditional && allowed.is_none();
    let (options, state) = s
        .plugin
        .webauthn
        .start_discoverable_authentication()
        .map_err(|e| ApiError::internal(format!("passkey sign-in start: {e}")))?;
    let options = sign_in_options(&options, allowed.as_deref(), conditional)?;
    let authentication = Authentication {
        state,
        allowed,
        second_factor_of: None,
    };
    let challenge_id = ceremony::put(&s, Kind::Authentication, &authentication).await?;
    Ok(axum::Json(PasskeyChallenge {
        challenge_id,
        options,
    }))
}

/// The credential ids (base64url) offered for an email hint: the account's passkeys, or decoys
/// derived from the address when it has none (or no account). The same storage calls are made
/// either way.
async fn offered_credentials(s: &PasskeyState, email: &str) -> Result<Vec<String>, ApiError> {
    let user = s.core.repos().users.find_user_by_email(email).await?;
    let owner = user.as_ref().map_or(Uuid::nil(), |u| u.id);
    let mine = s.plugin.repo.list_webauthn_credentials(owner).await?;
    if user.is_some() && !mine.is_empty() {
        return Ok(mine.into_iter().map(|c| c.credential_id).collect());
    }
    let decoys = s
        .plugin
        .decoys
        .generate(email.as_bytes())
        .map_err(|e| ApiError::internal(format!("decoy credential ids: {e}")))?;
    Ok(decoys.iter().map(|id| b64(id)).collect())
}

/// A verified assertion.
struct Asserted {
    user: User,
    user_verified: bool,
}

/// Verifies `assertion` against the ceremony `auth`: a registered passkey, offered by the
/// ceremony (when it named any), of the user the authenticator claims (when it claims one),
/// with a valid signature over this challenge from the relying party's origin, and a counter
/// the policy accepts. Stores the passkey's new counter and backup state, then returns its
/// owner.
async fn verify_assertion(
    s: &PasskeyState,
    auth: Authentication,
    assertion: &PublicKeyCredential,
    ctx: &EventContext,
) -> Result<Asserted, ApiError> {
    let core = &s.core;
    let failed = |user_id: Option<Uuid>, reason: &'static str| async move {
        core.emit(AuthEvent::LoginFailed { user_id, reason }, ctx)
            .await;
    };
    let credential_id = b64(assertion.get_credential_id());
    let Some(row) = s
        .plugin
        .repo
        .find_webauthn_credential(&credential_id)
        .await?
    else {
        failed(None, "unknown_passkey").await;
        return Err(invalid_passkey());
    };
    let offered = auth
        .allowed
        .as_ref()
        .is_none_or(|allowed| allowed.contains(&credential_id));
    let claimed_user_matches = assertion
        .get_user_unique_id()
        .is_none_or(|handle| handle == row.user_id.as_bytes());
    let expected_user = auth.second_factor_of.is_none_or(|u| u == row.user_id);
    if !offered || !claimed_user_matches || !expected_user {
        failed(Some(row.user_id), "invalid_passkey").await;
        return Err(invalid_passkey());
    }
    let policy = s.plugin.config.counter_policy;
    let loaded = credential::load(&row.credential, policy)?;
    let result: AuthenticationResult = match s
        .plugin
        .webauthn
        .finish_discoverable_authentication_v2(assertion, auth.state, &loaded.passkey)
    {
        Ok(result) => result,
        Err(WebauthnError::CredentialPossibleCompromise) => {
            tracing::warn!(user_id = %row.user_id, passkey_id = %row.id,
                "passkey counter did not advance: possible cloned authenticator, refused");
            failed(Some(row.user_id), "passkey_possibly_cloned").await;
            return Err(possibly_cloned());
        }
        Err(error) => {
            tracing::debug!(%error, "passkey assertion refused");
            failed(Some(row.user_id), "invalid_passkey").await;
            return Err(invalid_passkey());
        }
    };
    let used = credential::after_use(loaded, &result)?;
    if used.counter_regressed {
        tracing::warn!(user_id = %row.user_id, passkey_id = %row.id, ?policy,
            "passkey counter did not advance: possible cloned authenticator");
        if policy == CounterPolicy::Refuse {
            failed(Some(row.user_id), "passkey_possibly_cloned").await;
            return Err(possibly_cloned());
        }
    }
    match s
        .plugin
        .repo
        .update_webauthn_credential_use(row.id, &used.json, core.now())
        .await
    {
        Ok(()) => {}
        // Deleted meanwhile.
        Err(StoreError::NotFound) => return Err(invalid_passkey()),
        Err(e) => return Err(e.into()),
    }
    let user = core
        .repos()
        .users
        .find_user(row.user_id)
        .await?
        .ok_or_else(invalid_passkey)?;
    Ok(Asserted {
        user,
        user_verified: result.user_verified(),
    })
}

/// What a verified passkey proves (RFC 8176): possession of a hardware-bound key, and the
/// user's verification (PIN, biometrics) when the authenticator performed it.
fn passkey_amr(user_verified: bool) -> Vec<&'static str> {
    if user_verified {
        vec!["hwk", "user"]
    } else {
        vec!["hwk"]
    }
}

/// Finishes a passkey sign-in and sets the session cookie, or answers `mfa_required` when the
/// account has a second factor.
#[utoipa::path(post, path = "/passkey/login/finish", tag = "passkey",
    request_body = PasskeyLoginFinishRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn login_finish(
    State(s): State<PasskeyState>,
    client: ClientInfo,
    headers: HeaderMap,
    jar: CookieJar,
    Json(body): Json<PasskeyLoginFinishRequest>,
) -> ApiResult<Response> {
    let core = &s.core;
    crate::auth::check_origin_if_present(core, &headers)?;
    core.rate_limit_client(
        "passkey_login_finish",
        &client,
        s.plugin.config.login_finish_rate_limit,
    )
    .await?;
    let auth: Authentication = ceremony::take(&s, Kind::Authentication, &body.challenge_id).await?;
    if auth.second_factor_of.is_some() {
        return Err(ceremony::expired());
    }
    let ctx = client.event_context();
    let asserted = verify_assertion(&s, auth, &body.credential, &ctx).await?;
    let method = LoginMethod {
        name: "passkey",
        amr: passkey_amr(asserted.user_verified),
        remember_me: body.remember_me,
    };
    core.complete_login(&asserted.user, method, &client, jar)
        .await
}

/// The signed-in user's passkeys, oldest first.
#[utoipa::path(get, path = "/passkeys", tag = "passkey",
    responses((status = 200, body = Vec<PasskeyInfo>)))]
async fn list(
    State(s): State<PasskeyState>,
    me: AuthUser,
) -> ApiResult<axum::Json<Vec<PasskeyInfo>>> {
    let rows = s.plugin.repo.list_webauthn_credentials(me.id).await?;
    Ok(axum::Json(rows.iter().map(PasskeyInfo::from).collect()))
}

/// Renames one of the user's passkeys.
#[utoipa::path(patch, path = "/passkeys/{id}", tag = "passkey",
    params(("id" = Uuid, Path, description = "Passkey id")),
    request_body = PasskeyRenameRequest,
    responses((status = 200, body = PasskeyInfo), (status = 404, body = ErrorBody)))]
async fn rename(
    State(s): State<PasskeyState>,
    me: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<PasskeyRenameRequest>,
) -> ApiResult<axum::Json<PasskeyInfo>> {
    let repo = &s.plugin.repo;
    let mut row = repo
        .list_webauthn_credentials(me.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(not_found)?;
    row.name = body.name.trim().to_owned();
    // The repository has no rename: the row is written again, id and all. Of concurrent
    // renames, the one whose delete wins writes it back.
    if !repo.delete_webauthn_credential(me.id, id).await? {
        return Err(not_found());
    }
    if let Err(error) = repo.create_webauthn_credential(&row).await {
        tracing::error!(%error, passkey_id = %id, user_id = %me.id,
            "passkey rename could not write the passkey back");
        return Err(error.into());
    }
    Ok(axum::Json(PasskeyInfo::from(&row)))
}

/// Removes one of the user's passkeys. Needs a recent sign-in.
#[utoipa::path(delete, path = "/passkeys/{id}", tag = "passkey",
    params(("id" = Uuid, Path, description = "Passkey id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete(
    State(s): State<PasskeyState>,
    client: ClientInfo,
    me: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    s.core.require_recent_authentication(&me)?;
    if !s.plugin.repo.delete_webauthn_credential(me.id, id).await? {
        return Err(not_found());
    }
    s.core
        .emit(
            AuthEvent::PasskeyDeleted {
                user_id: me.id,
                passkey_id: id,
            },
            &client.event_context(),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a passkey as the second factor of a login that answered `mfa_required`.
#[cfg(feature = "mfa")]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyMfaBeginRequest {
    /// The `pending_session_id` of the login answer.
    #[schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub pending_session_id: String,
}

#[cfg(feature = "mfa")]
impl Validate for PasskeyMfaBeginRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_token("pending_session_id", &self.pending_session_id)
    }
}

/// Finishes a login that answered `mfa_required` with a passkey.
#[cfg(feature = "mfa")]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyMfaFinishRequest {
    /// The `pending_session_id` of the login answer.
    #[schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub pending_session_id: String,
    /// The `challenge_id` of `/passkey/mfa/begin`.
    #[schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub challenge_id: String,
    /// The `PublicKeyCredential` from `navigator.credentials.get()`, in its JSON form.
    #[schema(value_type = Object)]
    pub credential: PublicKeyCredential,
}

#[cfg(feature = "mfa")]
impl Validate for PasskeyMfaFinishRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_token("pending_session_id", &self.pending_session_id)?;
        input::check_token("challenge_id", &self.challenge_id)?;
        check_credential_id(&self.credential.id, &self.credential.raw_id)
    }
}

/// Starts a passkey as the second factor of a pending login: the browser is offered that
/// user's passkeys. Spends none of the pending login's attempts.
#[cfg(feature = "mfa")]
#[utoipa::path(post, path = "/passkey/mfa/begin", tag = "passkey",
    request_body = PasskeyMfaBeginRequest,
    responses((status = 200, body = PasskeyChallenge), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn mfa_begin(
    State(s): State<PasskeyState>,
    client: ClientInfo,
    headers: HeaderMap,
    Json(body): Json<PasskeyMfaBeginRequest>,
) -> ApiResult<axum::Json<PasskeyChallenge>> {
    let core = &s.core;
    crate::auth::check_origin_if_present(core, &headers)?;
    core.rate_limit_client(
        "passkey_mfa_begin",
        &client,
        s.plugin.config.login_start_rate_limit,
    )
    .await?;
    let pending = crate::plugins::mfa::pending::peek(core, &body.pending_session_id).await?;
    let allowed: Vec<String> = s
        .plugin
        .repo
        .list_webauthn_credentials(pending.user_id)
        .await?
        .into_iter()
        .map(|c| c.credential_id)
        .collect();
    if allowed.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_passkeys",
            "This account has no passkey; use another second factor.",
        ));
    }
    let (options, state) = s
        .plugin
        .webauthn
        .start_discoverable_authentication()
        .map_err(|e| ApiError::internal(format!("passkey second factor start: {e}")))?;
    let options = sign_in_options(&options, Some(&allowed), false)?;
    let authentication = Authentication {
        state,
        allowed: Some(allowed),
        second_factor_of: Some(pending.user_id),
    };
    let challenge_id = ceremony::put(&s, Kind::Authentication, &authentication).await?;
    Ok(axum::Json(PasskeyChallenge {
        challenge_id,
        options,
    }))
}

/// Finishes a login that answered `mfa_required` with one of the user's passkeys and sets the
/// session cookie. Each try spends one of the pending login's attempts.
#[cfg(feature = "mfa")]
#[utoipa::path(post, path = "/passkey/mfa/finish", tag = "passkey",
    request_body = PasskeyMfaFinishRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn mfa_finish(
    State(s): State<PasskeyState>,
    client: ClientInfo,
    headers: HeaderMap,
    jar: CookieJar,
    Json(body): Json<PasskeyMfaFinishRequest>,
) -> ApiResult<Response> {
    use crate::plugins::mfa::pending;
    let core = &s.core;
    crate::auth::check_origin_if_present(core, &headers)?;
    core.rate_limit_client(
        "passkey_mfa_finish",
        &client,
        s.plugin.config.login_finish_rate_limit,
    )
    .await?;
    let pending = pending::attempt(core, &body.pending_session_id).await?;
    let auth: Authentication = ceremony::take(&s, Kind::Authentication, &body.challenge_id).await?;
    if auth.second_factor_of != Some(pending.user_id) {
        return Err(ceremony::expired());
    }
    let ctx = client.event_context();
    let asserted = verify_assertion(&s, auth, &body.credential, &ctx).await?;
    if !pending::finish(core, &pending).await? {
        return Err(ApiError::unauthorized_with(
            "invalid_mfa_session",
            "This sign-in has expired or does not exist; sign in again.",
        ));
    }
    let mut amr = pending.amr.clone();
    for value in passkey_amr(asserted.user_verified)
        .into_iter()
        .chain(["mfa"])
    {
        if !amr.contains(&value) {
            amr.push(value);
        }
    }
    let method = LoginMethod {
        name: "mfa",
        amr,
        remember_me: pending.remember_me,
    };
    core.complete_login(&asserted.user, method, &client, jar)
        .await
}
