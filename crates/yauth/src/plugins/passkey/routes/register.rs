//! Adding a passkey to the signed-in account.

use super::*;

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

/// Starts adding a passkey to the signed-in account. Needs a recent sign-in.
#[utoipa::path(post, path = "/passkeys/register/begin", tag = "passkey",
    responses((status = 200, body = PasskeyChallenge), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(super) async fn register_begin(
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
pub(super) async fn register_finish(
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
