//! Signing in with a passkey: usernameless, or with an email hint.

use super::*;

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

/// Starts a passkey sign-in: usernameless, or with an email hint. An email without passkeys
/// (or without an account) answers the same shape, so the answer tells nothing about accounts.
#[utoipa::path(post, path = "/passkey/login/begin", tag = "passkey",
    request_body = PasskeyLoginBeginRequest,
    responses((status = 200, body = PasskeyChallenge), (status = 400, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(super) async fn login_begin(
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
pub(super) async fn offered_credentials(
    s: &PasskeyState,
    email: &str,
) -> Result<Vec<String>, ApiError> {
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
pub(super) struct Asserted {
    pub(super) user: User,
    pub(super) user_verified: bool,
}

/// Verifies `assertion` against the ceremony `auth`: a registered passkey, offered by the
/// ceremony (when it named any), of the user the authenticator claims (when it claims one),
/// with a valid signature over this challenge from the relying party's origin, and a counter
/// the policy accepts. Stores the passkey's new counter and backup state, then returns its
/// owner.
pub(super) async fn verify_assertion(
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
pub(super) fn passkey_amr(user_verified: bool) -> Vec<&'static str> {
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
pub(super) async fn login_finish(
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
        issue: Issue::SessionCookie,
    };
    core.complete_login(&asserted.user, method, &client, jar)
        .await
}
