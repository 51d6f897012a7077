//! Enumeration safety, proven deterministically: for every route that must not reveal whether an
//! account exists, a known and an unknown email get the same status, the same body, and the same
//! storage calls inside the request (a recording decorator tells the request's calls from those
//! of the background tasks that do the account-dependent work).
//!
//! Every later enumeration-safe route adds a case here with [`same_inside_request`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/recording.rs"]
mod recording;

use axum::http::{Method, StatusCode};
use common::*;
use recording::Recording;
use serde_json::{Value, json};
use yauth_store::InMemoryBackend;

async fn recorded_app() -> (TestApp, Recording) {
    let recording = Recording::new(InMemoryBackend::new());
    let app = app_on(recording.clone(), test_config(ORIGIN), ep_config(), |b| {
        b.with_magic_link(Default::default())
    })
    .await;
    (app, recording)
}

/// Sends `body` to `path` in a task of its own and returns the answer and the storage calls that
/// task made.
async fn request_calls(
    app: &TestApp,
    recording: &Recording,
    path: &str,
    body: Value,
) -> (Res, Vec<&'static str>) {
    let router = app.router.clone();
    let request = req(Method::POST, path).json(body);
    let task = tokio::spawn(async move { request.send(&router).await });
    let id = task.id();
    let res = task.await.unwrap();
    (res, recording.calls_of(id))
}

/// Asserts that `known` and `unknown` bodies answer alike and make the same calls in the request.
async fn same_inside_request(
    app: &TestApp,
    recording: &Recording,
    path: &str,
    known: Value,
    unknown: Value,
) -> Vec<&'static str> {
    let (known_res, known_calls) = request_calls(app, recording, path, known).await;
    let (unknown_res, unknown_calls) = request_calls(app, recording, path, unknown).await;
    assert_eq!(known_res.status, unknown_res.status, "{path}: status");
    assert_eq!(known_res.body, unknown_res.body, "{path}: body");
    assert_eq!(
        known_calls, unknown_calls,
        "{path}: storage calls inside the request"
    );
    assert!(
        !known_calls.is_empty(),
        "{path}: the recorder saw the request"
    );
    known_calls
}

#[tokio::test]
async fn login_with_a_wrong_password_looks_like_an_unknown_account() {
    let (app, recording) = recorded_app().await;
    let email = verified_user(&app).await;
    let calls = same_inside_request(
        &app,
        &recording,
        "/login",
        json!({"email": email, "password": "wrong-password-123"}),
        json!({"email": unique_email(), "password": "wrong-password-123"}),
    )
    .await;
    assert!(calls.contains(&"EmailPasswordRepository::find_password"));
}

#[tokio::test]
async fn register_with_a_taken_email_looks_like_a_new_one() {
    let (app, recording) = recorded_app().await;
    let taken = verified_user(&app).await;
    let fresh = unique_email();
    same_inside_request(
        &app,
        &recording,
        "/register",
        json!({"email": taken, "password": PASSWORD}),
        json!({"email": fresh, "password": PASSWORD}),
    )
    .await;
    settle().await;
    // The account-dependent work did happen, outside the request: the owner of the taken address
    // was told, and the new account got its verification email.
    assert!(
        app.mail
            .last_to(&taken)
            .unwrap()
            .text
            .contains("forgot-password")
    );
    assert!(
        app.mail
            .last_to(&fresh)
            .unwrap()
            .text
            .contains("verify-email")
    );
}

#[tokio::test]
async fn forgot_password_answers_alike_and_mails_only_the_known_account() {
    let (app, recording) = recorded_app().await;
    let email = verified_user(&app).await;
    let unknown = unique_email();
    app.mail.clear();
    same_inside_request(
        &app,
        &recording,
        "/forgot-password",
        json!({"email": email}),
        json!({"email": unknown}),
    )
    .await;
    settle().await;
    assert!(
        app.mail
            .last_to(&email)
            .unwrap()
            .text
            .contains("reset-password")
    );
    assert!(app.mail.last_to(&unknown).is_none());
}

#[tokio::test]
async fn resend_verification_answers_alike_for_unverified_verified_and_unknown() {
    let (app, recording) = recorded_app().await;
    let unverified = unique_email();
    let r = req(Method::POST, "/register")
        .json(json!({"email": unverified, "password": PASSWORD}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let verified = verified_user(&app).await;
    settle().await;
    app.mail.clear();
    same_inside_request(
        &app,
        &recording,
        "/resend-verification",
        json!({"email": unverified}),
        json!({"email": unique_email()}),
    )
    .await;
    same_inside_request(
        &app,
        &recording,
        "/resend-verification",
        json!({"email": verified}),
        json!({"email": unique_email()}),
    )
    .await;
    settle().await;
    assert!(
        app.mail
            .last_to(&unverified)
            .unwrap()
            .text
            .contains("verify-email")
    );
    assert!(app.mail.last_to(&verified).is_none());
}

#[tokio::test]
async fn magic_link_send_answers_alike_and_mails_only_the_known_account() {
    let (app, recording) = recorded_app().await;
    let email = verified_user(&app).await;
    let unknown = unique_email();
    app.mail.clear();
    same_inside_request(
        &app,
        &recording,
        "/magic-link/send",
        json!({"email": email}),
        json!({"email": unknown}),
    )
    .await;
    settle().await;
    let message = mail_to(&app, &email).await;
    assert!(message.text.contains("magic-link?token="));
    assert!(app.mail.last_to(&unknown).is_none());
}

/// Registration answers alike for a new and a taken address, but a storage outage is neither:
/// it answers 503 and sends no email, so a client can retry.
#[tokio::test]
async fn registering_during_an_outage_is_a_503_and_no_mail() {
    let (app, recording) = recorded_app().await;
    recording.fail("EmailPasswordRepository::create_user_with_password");
    app.mail.clear();
    let email = unique_email();
    let r = req(Method::POST, "/register")
        .json(json!({"email": email, "password": PASSWORD}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", r.body);
    assert_eq!(r.code(), "service_unavailable");
    settle().await;
    assert!(app.mail.last_to(&email).is_none());
}
