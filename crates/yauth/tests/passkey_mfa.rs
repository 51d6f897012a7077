//! The passkey as a second factor: a login that requires MFA finished at
//! `/passkey/mfa/begin|finish` with a real WebAuthn assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/mfa.rs"]
mod mfa_support;
#[path = "common/passkey.rs"]
mod passkey_support;

use axum::http::{Method, StatusCode};
use common::*;
use mfa_support::*;
use passkey_support::*;
use serde_json::json;
use yauth::plugins::passkey::PasskeyConfig;

async fn app() -> TestApp {
    app_with(test_config(ORIGIN), ep_config(), |b| {
        with_mfa(b).with_passkey(PasskeyConfig::default())
    })
    .await
}

#[tokio::test]
async fn a_passkey_finishes_a_login_that_requires_mfa() {
    let app = app().await;
    let enrolled = enrolled(&app).await;
    let mut authenticator = soft_passkey();
    register(&app, &enrolled.cookie, &mut authenticator).await;

    let pending = pending_login(&app, &enrolled.email).await;
    let r = req(Method::POST, "/passkey/mfa/begin")
        .json(json!({ "pending_session_id": pending }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let challenge_id = r.body["challenge_id"].as_str().unwrap().to_owned();
    let options = r.body["options"].clone();
    assert_eq!(
        options["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let assertion = assert_with(&mut authenticator, &options, None, origin());
    let finish = |pending: &str, challenge_id: &str| {
        req(Method::POST, "/passkey/mfa/finish").json(json!({
            "pending_session_id": pending,
            "challenge_id": challenge_id,
            "credential": assertion,
        }))
    };
    let r = finish(&pending, &challenge_id).send(&app.router).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["amr"], json!(["pwd", "hwk", "user", "mfa"]));
    assert!(r.session_cookie().is_some());
    // The pending login is spent.
    let r = finish(&pending, &challenge_id).send(&app.router).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_mfa_session");
}

#[tokio::test]
async fn a_passkey_sign_in_of_a_user_with_totp_still_asks_for_the_second_factor() {
    let app = app().await;
    let enrolled = enrolled(&app).await;
    let mut authenticator = soft_passkey();
    register(&app, &enrolled.cookie, &mut authenticator).await;
    let r = usernameless_login(&app, &enrolled.email, &mut authenticator).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["mfa_required"], json!(true));
    assert!(r.session_cookie().is_none());
    let pending = r.body["pending_session_id"].as_str().unwrap().to_owned();
    // The TOTP code finishes it.
    let r = verify(&app, &pending, &code_now(&app, &enrolled.secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["amr"], json!(["hwk", "user", "otp", "mfa"]));
}

#[tokio::test]
async fn another_users_passkey_does_not_finish_a_pending_login() {
    let app = app().await;
    let victim = enrolled(&app).await;
    let mut victims_key = soft_passkey();
    register(&app, &victim.cookie, &mut victims_key).await;
    let (attacker, attacker_cookie) = signed_in_user(&app).await;
    let mut attackers_key = soft_passkey();
    register(&app, &attacker_cookie, &mut attackers_key).await;

    let pending = pending_login(&app, &victim.email).await;
    let r = req(Method::POST, "/passkey/mfa/begin")
        .json(json!({ "pending_session_id": pending }))
        .send(&app.router)
        .await;
    let challenge_id = r.body["challenge_id"].as_str().unwrap().to_owned();
    let (id, user_id) = credential_id_of(&app, &attacker).await;
    let assertion = assert_with(
        &mut attackers_key,
        &r.body["options"],
        Some((&id, user_id)),
        origin(),
    );
    let r = req(Method::POST, "/passkey/mfa/finish")
        .json(json!({
            "pending_session_id": pending,
            "challenge_id": challenge_id,
            "credential": assertion,
        }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_passkey");
    assert!(r.session_cookie().is_none());
    // A sign-in ceremony is no second-factor ceremony.
    let (challenge_id, options) = login_begin(&app, Some(&victim.email)).await;
    let assertion = assert_with(&mut victims_key, &options, None, origin());
    let r = req(Method::POST, "/passkey/mfa/finish")
        .json(json!({
            "pending_session_id": pending,
            "challenge_id": challenge_id,
            "credential": assertion,
        }))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "challenge_expired", "{:?}", r.body);
}

#[tokio::test]
async fn a_user_without_passkeys_is_told_to_use_another_factor() {
    let app = app().await;
    let enrolled = enrolled(&app).await;
    let pending = pending_login(&app, &enrolled.email).await;
    let r = req(Method::POST, "/passkey/mfa/begin")
        .json(json!({ "pending_session_id": pending }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(r.code(), "no_passkeys");
    let r = req(Method::POST, "/passkey/mfa/begin")
        .json(json!({ "pending_session_id": "unknown" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_mfa_session");
}
