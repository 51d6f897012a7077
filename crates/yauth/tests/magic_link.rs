//! The magic-link plugin through HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
mod common;
#[path = "common/families.rs"]
mod families;
#[path = "common/magic_link.rs"]
mod magic_link_support;
#[path = "common/mfa.rs"]
mod mfa_support;

use axum::http::{Method, StatusCode};
use backends::Family;
use common::*;
use magic_link_support::*;
use serde_json::json;
use yauth::plugins::magic_link::MagicLinkConfig;

on_every_family!(
    a_link_signs_in_once,
    an_expired_link_is_refused,
    a_new_link_replaces_the_old_one,
    unknown_addresses_get_no_link_unless_sign_up_is_on,
    a_link_verifies_an_unverified_account,
    mfa_applies_to_links_too,
);

/// The app with the magic-link plugin on memory, with the plugin's own rate limits.
async fn ml_app(config: MagicLinkConfig) -> TestApp {
    app_with(test_config(ORIGIN), ep_config(), with_magic_link(config)).await
}

/// The app with the magic-link plugin on `family`, its rate limits on but high (a database
/// outlives one run, and its counters with it).
async fn ml_app_on(family: Family, config: MagicLinkConfig) -> Option<TestApp> {
    ml_app_with(family, config, |b| b).await
}

/// [`ml_app_on`] with more plugins, added by `also`.
async fn ml_app_with(
    family: Family,
    config: MagicLinkConfig,
    also: fn(yauth::YAuthBuilder) -> yauth::YAuthBuilder,
) -> Option<TestApp> {
    let magic_link = with_magic_link(generous(config));
    let extra = move |b| also(magic_link(b));
    families::app_in(
        "magic_link",
        family,
        test_config(ORIGIN),
        ep_config(),
        extra,
    )
    .await
}

/// `config` with its rate limits on but high.
fn generous(mut config: MagicLinkConfig) -> MagicLinkConfig {
    let generous = yauth::RateLimit::new(100_000, time::Duration::minutes(1));
    config.send_rate_limit = generous;
    config.verify_rate_limit = generous;
    config
}

async fn a_link_signs_in_once(family: Family) {
    let Some(app) = ml_app_on(family, MagicLinkConfig::default()).await else {
        return;
    };
    let email = verified_user(&app).await;
    let token = link_for(&app, &email).await;
    let r = verify_link(&app, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["email"], json!(email));
    assert_eq!(r.body["user"]["amr"], json!(["email"]));
    let cookie = r.session_cookie().expect("a session");
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = verify_link(&app, &token).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_token", "a spent link is refused");
}

async fn an_expired_link_is_refused(family: Family) {
    let Some(app) = ml_app_on(family, MagicLinkConfig::default()).await else {
        return;
    };
    let email = verified_user(&app).await;
    let token = link_for(&app, &email).await;
    app.clock.advance(time::Duration::minutes(15));
    assert_eq!(verify_link(&app, &token).await.code(), "invalid_token");
}

async fn a_new_link_replaces_the_old_one(family: Family) {
    let Some(app) = ml_app_on(family, MagicLinkConfig::default()).await else {
        return;
    };
    let email = verified_user(&app).await;
    let old = link_for(&app, &email).await;
    let new = link_for(&app, &email).await;
    assert_ne!(old, new);
    assert_eq!(verify_link(&app, &old).await.code(), "invalid_token");
    assert_eq!(verify_link(&app, &new).await.status, StatusCode::OK);
}

async fn unknown_addresses_get_no_link_unless_sign_up_is_on(family: Family) {
    let Some(app) = ml_app_on(family, MagicLinkConfig::default()).await else {
        return;
    };
    let stranger = unique_email();
    let r = req(Method::POST, "/magic-link/send")
        .json(json!({ "email": stranger }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    settle().await;
    assert!(app.mail.last_to(&stranger).is_none());

    let open = ml_app(MagicLinkConfig {
        allow_sign_up: true,
        ..MagicLinkConfig::default()
    })
    .await;
    let token = link_for(&open, &stranger).await;
    let r = verify_link(&open, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let user = stored_user(&open, &stranger).await;
    assert!(user.email_verified, "the link proved the address");
}

async fn a_link_verifies_an_unverified_account(family: Family) {
    let Some(app) = ml_app_on(family, MagicLinkConfig::default()).await else {
        return;
    };
    let email = unique_email();
    let r = req(Method::POST, "/register")
        .json(json!({ "email": email, "password": PASSWORD }))
        .send(&app.router)
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    mail_to(&app, &email.to_lowercase()).await;
    assert!(!stored_user(&app, &email).await.email_verified);
    let token = link_for(&app, &email).await;
    assert_eq!(verify_link(&app, &token).await.status, StatusCode::OK);
    assert!(stored_user(&app, &email).await.email_verified);
}

async fn mfa_applies_to_links_too(family: Family) {
    let config = MagicLinkConfig::default();
    let Some(app) = ml_app_with(family, config, mfa_support::with_mfa).await else {
        return;
    };
    let user = mfa_support::enrolled(&app).await;
    let token = link_for(&app, &user.email).await;
    let r = verify_link(&app, &token).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["mfa_required"], json!(true), "{:?}", r.body);
    assert!(r.session_cookie().is_none());
    let pending = r.body["pending_session_id"].as_str().unwrap().to_owned();
    let code = mfa_support::code_now(&app, &user.secret);
    let r = mfa_support::verify(&app, &pending, &code).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["amr"], json!(["email", "otp", "mfa"]));
}

#[tokio::test]
async fn sending_is_rate_limited_per_address() {
    let app = ml_app(MagicLinkConfig {
        send_rate_limit: yauth::RateLimit::new(2, time::Duration::minutes(15)),
        ..MagicLinkConfig::default()
    })
    .await;
    let email = verified_user(&app).await;
    for i in 0..3 {
        let r = req(Method::POST, "/magic-link/send")
            .ip(&format!("198.51.100.{i}"))
            .json(json!({ "email": email }))
            .send(&app.router)
            .await;
        let expected = if i < 2 {
            StatusCode::ACCEPTED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(r.status, expected, "request {i} from its own address");
    }
}
