//! A passkey as the second factor of a login that answered `mfa_required`.

use super::*;

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
pub(super) async fn mfa_begin(
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
pub(super) async fn mfa_finish(
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
        issue: pending.issue,
    };
    core.complete_login(&asserted.user, method, &client, jar)
        .await
}
