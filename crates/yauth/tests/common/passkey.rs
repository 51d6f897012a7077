//! Shared by the passkey tests: an app with the passkey plugin, software authenticators, and
//! the registration and sign-in ceremonies driven through HTTP.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use webauthn_authenticator_rs::AuthenticatorBackend;
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, RequestChallengeResponse, Url, WebauthnAuthenticator,
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::softtoken::SoftToken;
use yauth::plugins::passkey::PasskeyConfig;

use crate::common::*;

pub fn origin() -> Url {
    Url::parse(ORIGIN).unwrap()
}

pub async fn pk_app_with(config: PasskeyConfig) -> TestApp {
    app_with(test_config(ORIGIN), ep_config(), move |b| {
        b.with_passkey(config)
    })
    .await
}

pub async fn pk_app() -> TestApp {
    pk_app_with(PasskeyConfig::default()).await
}

/// A software authenticator that performs (claims) user verification.
pub fn soft_passkey() -> SoftPasskey {
    SoftPasskey::new(true)
}

pub fn soft_token() -> SoftToken {
    SoftToken::new(true).unwrap().0
}

/// Starts a registration; returns the challenge id and the options.
pub async fn register_begin(app: &TestApp, cookie: &str) -> (String, Value) {
    let r = req(Method::POST, "/passkeys/register/begin")
        .cookie(cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    (
        r.body["challenge_id"].as_str().unwrap().to_owned(),
        r.body["options"].clone(),
    )
}

/// The authenticator's answer to registration options.
pub fn create(authenticator: &mut impl AuthenticatorBackend, options: &Value) -> Value {
    let options: CreationChallengeResponse = serde_json::from_value(options.clone()).unwrap();
    let credential = authenticator.do_registration(origin(), options).unwrap();
    serde_json::to_value(credential).unwrap()
}

pub async fn register_finish(
    app: &TestApp,
    cookie: &str,
    challenge_id: &str,
    credential: Value,
) -> Res {
    req(Method::POST, "/passkeys/register/finish")
        .cookie(cookie)
        .json(json!({ "challenge_id": challenge_id, "name": "My key", "credential": credential }))
        .send(&app.router)
        .await
}

/// Registers a passkey for the signed-in user; returns its stored info.
pub async fn register(
    app: &TestApp,
    cookie: &str,
    authenticator: &mut impl AuthenticatorBackend,
) -> Value {
    let (challenge_id, options) = register_begin(app, cookie).await;
    let credential = create(authenticator, &options);
    let r = register_finish(app, cookie, &challenge_id, credential).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

/// Starts a sign-in, optionally with an email hint.
pub async fn login_begin(app: &TestApp, email: Option<&str>) -> (String, Value) {
    let body = match email {
        Some(email) => json!({ "email": email }),
        None => json!({}),
    };
    let r = req(Method::POST, "/passkey/login/begin")
        .json(body)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    (
        r.body["challenge_id"].as_str().unwrap().to_owned(),
        r.body["options"].clone(),
    )
}

/// What a browser with a discoverable credential answers to sign-in options: it picks its own
/// credential (the software authenticators only sign for ids they are offered, so the "browser"
/// offers the one it holds) and returns the user handle stored with it (not covered by the
/// signature, so adding it is exactly what a discoverable authenticator's answer looks like).
pub fn assert_with(
    authenticator: &mut impl AuthenticatorBackend,
    options: &Value,
    pick: Option<(&str, uuid::Uuid)>,
    from: Url,
) -> Value {
    let mut options = options.clone();
    if let Some((credential_id, _)) = pick {
        options["publicKey"]["allowCredentials"] =
            json!([{ "type": "public-key", "id": credential_id }]);
    }
    let options: RequestChallengeResponse = serde_json::from_value(options).unwrap();
    let assertion = authenticator.do_authentication(from, options).unwrap();
    let mut assertion = serde_json::to_value(assertion).unwrap();
    if let Some((_, user_id)) = pick {
        assertion["response"]["userHandle"] = json!(URL_SAFE_NO_PAD.encode(user_id.as_bytes()));
    }
    assertion
}

pub async fn login_finish(app: &TestApp, challenge_id: &str, credential: &Value) -> Res {
    req(Method::POST, "/passkey/login/finish")
        .json(json!({ "challenge_id": challenge_id, "credential": credential }))
        .send(&app.router)
        .await
}

/// The stored credential id (base64url) of the user's only passkey.
pub async fn credential_id_of(app: &TestApp, email: &str) -> (String, uuid::Uuid) {
    let user = stored_user(app, email).await;
    let repo = app.yauth.state().repos().passkey.clone().unwrap();
    let rows = repo.list_webauthn_credentials(user.id).await.unwrap();
    assert_eq!(rows.len(), 1);
    (rows[0].credential_id.clone(), user.id)
}

/// A usernameless sign-in with the user's passkey.
pub async fn usernameless_login(
    app: &TestApp,
    email: &str,
    authenticator: &mut impl AuthenticatorBackend,
) -> Res {
    let (id, user_id) = credential_id_of(app, email).await;
    let (challenge_id, options) = login_begin(app, None).await;
    let assertion = assert_with(authenticator, &options, Some((&id, user_id)), origin());
    login_finish(app, &challenge_id, &assertion).await
}
