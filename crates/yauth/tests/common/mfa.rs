//! Shared by the mfa tests: an app with the mfa plugin, enrolment, and codes from `oathtool`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use yauth::YAuthBuilder;
use yauth::plugins::mfa::MfaConfig;

use crate::common::*;

pub const KEY: [u8; 32] = [42; 32];

pub fn with_mfa(b: YAuthBuilder) -> YAuthBuilder {
    b.with_secret_key("k1", &KEY).with_mfa(MfaConfig::default())
}

pub async fn mfa_app() -> TestApp {
    app_with(test_config(ORIGIN), ep_config(), with_mfa).await
}

/// The code `oathtool` computes for `secret` (base32) at the app's current time.
pub fn code_now(app: &TestApp, secret: &str) -> String {
    let unix = app.yauth.state().now().unix_timestamp();
    let out = std::process::Command::new("oathtool")
        .args(["--totp", "-b", &format!("--now=@{unix}"), secret])
        .output()
        .expect("oathtool is installed (Debian package oathtool)");
    assert!(out.status.success(), "oathtool: {:?}", out);
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The next time step, so a fresh code exists (each step is accepted once).
pub fn next_step(app: &TestApp) {
    app.clock.advance(time::Duration::seconds(30));
}

pub struct Enrolled {
    pub email: String,
    pub cookie: String,
    pub secret: String,
    pub backup_codes: Vec<String>,
}

/// A verified user who set up and confirmed TOTP.
pub async fn enrolled(app: &TestApp) -> Enrolled {
    let (email, cookie) = signed_in_user(app).await;
    let r = req(Method::POST, "/mfa/totp/setup")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    let uri = r.body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    let backup_codes: Vec<String> = serde_json::from_value(r.body["backup_codes"].clone()).unwrap();
    assert_eq!(backup_codes.len(), 10);
    let r = req(Method::POST, "/mfa/totp/confirm")
        .cookie(&cookie)
        .json(json!({ "code": code_now(app, &secret) }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    next_step(app);
    Enrolled {
        email,
        cookie,
        secret,
        backup_codes,
    }
}

/// Logs in with the password and returns the pending login id (asserting no session yet).
pub async fn pending_login(app: &TestApp, email: &str) -> String {
    let r = login(app, email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["mfa_required"], json!(true), "{:?}", r.body);
    assert_eq!(r.body["user"], Value::Null);
    assert!(
        r.session_cookie().is_none(),
        "no session before the second factor"
    );
    r.body["pending_session_id"].as_str().unwrap().to_owned()
}

pub async fn verify(app: &TestApp, pending: &str, code: &str) -> Res {
    req(Method::POST, "/mfa/verify")
        .json(json!({ "pending_session_id": pending, "code": code }))
        .send(&app.router)
        .await
}
