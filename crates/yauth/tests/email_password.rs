//! The email-password plugin through the router: every route, success and failure, on every
//! database family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
mod common;
#[path = "common/families.rs"]
mod families;

use axum::http::{Method, StatusCode};
use backends::Family;
use common::*;
use serde_json::json;
use yauth::plugins::email_password::EmailPasswordConfig;

on_every_family!(
    register_verify_login_session_logout,
    wrong_password_and_unknown_email_answer_alike,
    registering_an_existing_email_answers_alike_and_notifies_the_owner,
    forgot_password_and_resend_answer_alike_for_unknown_emails,
    resend_verification_sends_a_new_working_link,
    reset_password_flow_signs_out_everywhere,
    reset_tokens_expire_after_thirty_minutes,
    sixteen_concurrent_resets_with_one_token_have_one_winner,
    sixteen_concurrent_verifications_with_one_link_verify_once,
    change_password_requires_the_current_one_and_revokes_other_sessions,
    password_policy_rejects_common_and_short_passwords_with_a_stable_code,
    password_history_refuses_recent_passwords,
    email_verification_can_be_turned_off,
    banned_users_cannot_sign_in_or_use_sessions,
    every_event_is_audited,
    a_reset_refused_by_history_or_the_email_rule_keeps_its_token,
    a_reset_proves_the_address_and_announces_the_change,
);

/// Asks for a password reset for `email` and answers the token from the email.
async fn reset_token(app: &TestApp, email: &str) -> String {
    app.mail.clear();
    let r = req(Method::POST, "/forgot-password")
        .json(json!({ "email": email }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    mail_to(app, email).await;
    token_from_mail(app, email)
}

/// The test app with the plugin configured as `ep`, on `family`.
async fn on(family: Family, ep: EmailPasswordConfig) -> Option<TestApp> {
    families::app_in("email_password", family, test_config(ORIGIN), ep, |b| b).await
}

async fn register_verify_login_session_logout(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let email = unique_email();
    let r = req(Method::POST, "/register")
        .json(json!({ "email": email.to_uppercase(), "password": PASSWORD, "display_name": "Ada" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    settle().await;

    // Unverified accounts cannot sign in.
    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "email_not_verified");

    mail_to(&app, &email).await;
    let token = token_from_mail(&app, &email);
    let r = req(Method::POST, "/verify-email")
        .json(json!({ "token": token }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // The token is single-use.
    let r = req(Method::POST, "/verify-email")
        .json(json!({ "token": token }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_token");

    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["user"]["email"], email);
    assert_eq!(r.body["user"]["display_name"], "Ada");
    assert_eq!(r.body["mfa_required"], false);
    let cookie = r.session_cookie().unwrap();

    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["email"], email);
    assert_eq!(r.body["auth_method"], "Session");
    assert_eq!(r.body["email_verified"], true);
    assert_eq!(r.body["role"], "user");

    let r = req(Method::POST, "/logout")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("yauth_session=;") || c.contains("Max-Age=0"))
    );
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "unauthorized");
}

async fn wrong_password_and_unknown_email_answer_alike(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let (email, _) = signed_in_user(&app).await;
    let wrong = login(&app, &email, "not-the-password-123").await;
    let unknown = login(&app, &unique_email(), "not-the-password-123").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.code(), "invalid_credentials");
}

async fn registering_an_existing_email_answers_alike_and_notifies_the_owner(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let (email, _) = signed_in_user(&app).await;
    app.mail.clear();
    let fresh = req(Method::POST, "/register")
        .json(json!({ "email": unique_email(), "password": PASSWORD }))
        .send(&app.router)
        .await;
    let taken = req(Method::POST, "/register")
        .json(json!({ "email": email.to_uppercase(), "password": PASSWORD }))
        .send(&app.router)
        .await;
    assert_eq!(fresh.status, StatusCode::ACCEPTED);
    assert_eq!(taken.status, fresh.status);
    assert_eq!(taken.body, fresh.body);
    // The owner is told (mail_to waits for the background send).
    let notice = mail_to(&app, &email).await;
    assert!(
        !notice.text.contains("token="),
        "no verification token for an existing account"
    );
    // The existing password still works: nothing was overwritten.
    assert_eq!(login(&app, &email, PASSWORD).await.status, StatusCode::OK);
}

async fn forgot_password_and_resend_answer_alike_for_unknown_emails(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let (email, _) = signed_in_user(&app).await;
    for path in ["/forgot-password", "/resend-verification"] {
        let known = req(Method::POST, path)
            .json(json!({ "email": email }))
            .send(&app.router)
            .await;
        let unknown = req(Method::POST, path)
            .json(json!({ "email": unique_email() }))
            .send(&app.router)
            .await;
        assert_eq!(known.status, StatusCode::ACCEPTED, "{path}");
        assert_eq!(known.status, unknown.status, "{path}");
        assert_eq!(known.body, unknown.body, "{path}");
    }
}

async fn resend_verification_sends_a_new_working_link(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let email = unique_email();
    req(Method::POST, "/register")
        .json(json!({ "email": email, "password": PASSWORD }))
        .send(&app.router)
        .await;
    mail_to(&app, &email).await;
    let first = token_from_mail(&app, &email);
    app.mail.clear();
    let r = req(Method::POST, "/resend-verification")
        .json(json!({ "email": email }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    mail_to(&app, &email).await;
    let second = token_from_mail(&app, &email);
    assert_ne!(first, second);
    let r = req(Method::POST, "/verify-email")
        .json(json!({ "token": first }))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "invalid_token", "the old link is replaced");
    let r = req(Method::POST, "/verify-email")
        .json(json!({ "token": second }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

async fn reset_password_flow_signs_out_everywhere(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let token = reset_token(&app, &email).await;

    // A weak password is refused without burning the token.
    let r = req(Method::POST, "/reset-password")
        .json(json!({ "token": token, "password": "password" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "weak_password");

    let new_password = "another-long-passphrase-77";
    let r = req(Method::POST, "/reset-password")
        .json(json!({ "token": token, "password": new_password }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = req(Method::POST, "/reset-password")
        .json(json!({ "token": token, "password": "yet-another-passphrase-88" }))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "invalid_token", "single use");

    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "old sessions are revoked"
    );
    assert_eq!(
        login(&app, &email, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, &email, new_password).await.status,
        StatusCode::OK
    );
}

async fn reset_tokens_expire_after_thirty_minutes(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let (email, _) = signed_in_user(&app).await;
    let token = reset_token(&app, &email).await;
    app.clock.advance(time::Duration::minutes(30));
    let r = req(Method::POST, "/reset-password")
        .json(json!({ "token": token, "password": "another-long-passphrase-77" }))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "invalid_token");
}

async fn sixteen_concurrent_resets_with_one_token_have_one_winner(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let (email, _) = signed_in_user(&app).await;
    let token = reset_token(&app, &email).await;
    let requests = (0..16)
        .map(|i| {
            req(Method::POST, "/reset-password")
                .ip(&format!("198.51.100.{i}"))
                .json(json!({ "token": token, "password": format!("race-passphrase-number-{i}") }))
        })
        .collect();
    let mut winners = Vec::new();
    for (i, r) in race(&app.router, requests).await.into_iter().enumerate() {
        match r.status {
            StatusCode::OK => winners.push(i),
            StatusCode::BAD_REQUEST => assert_eq!(r.code(), "invalid_token"),
            other => panic!("unexpected {other}: {:?}", r.body),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one reset wins");
    let winner = format!("race-passphrase-number-{}", winners[0]);
    assert_eq!(login(&app, &email, &winner).await.status, StatusCode::OK);
}

async fn sixteen_concurrent_verifications_with_one_link_verify_once(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let email = registered_user(&app).await;
    let token = token_from_mail(&app, &email);
    let requests = (0..16)
        .map(|i| {
            req(Method::POST, "/verify-email")
                .ip(&format!("198.51.100.{i}"))
                .json(json!({ "token": token }))
        })
        .collect();
    let mut verified = 0;
    for r in race(&app.router, requests).await {
        match r.status {
            StatusCode::OK => verified += 1,
            StatusCode::BAD_REQUEST => assert_eq!(r.code(), "invalid_token", "{:?}", r.body),
            other => panic!("unexpected {other}: {:?}", r.body),
        }
    }
    assert_eq!(verified, 1, "one link, one verification");
    let (events, _) = audit_of(&app, stored_user(&app, &email).await.id).await;
    let verifications = events.iter().filter(|e| *e == "email_verified").count();
    assert_eq!(verifications, 1, "{events:?}");
    assert!(stored_user(&app, &email).await.email_verified);
}

async fn change_password_requires_the_current_one_and_revokes_other_sessions(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let other = login(&app, &email, PASSWORD)
        .await
        .session_cookie()
        .unwrap();

    let r = req(Method::POST, "/change-password")
        .cookie(&cookie)
        .json(json!({ "current_password": "wrong-password-000", "new_password": "brand-new-passphrase-1" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_current_password");

    let r = req(Method::POST, "/change-password")
        .cookie(&cookie)
        .json(json!({ "current_password": PASSWORD, "new_password": "brand-new-passphrase-1" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        req(Method::GET, "/session")
            .cookie(&cookie)
            .send(&app.router)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        req(Method::GET, "/session")
            .cookie(&other)
            .send(&app.router)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let r = req(Method::POST, "/change-password")
        .json(json!({ "current_password": PASSWORD, "new_password": "x" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "protected route");
}

async fn password_policy_rejects_common_and_short_passwords_with_a_stable_code(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    for password in ["password", "123456789", "short"] {
        let r = req(Method::POST, "/register")
            .json(json!({ "email": unique_email(), "password": password }))
            .send(&app.router)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{password}");
        assert_eq!(r.code(), "weak_password");
    }
    let r = req(Method::POST, "/register")
        .json(json!({ "email": "not-an-email", "password": PASSWORD }))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "invalid_email");
}

async fn password_history_refuses_recent_passwords(family: Family) {
    let mut ep = ep_config();
    ep.policy.password_history_count = 3;
    let Some(app) = on(family, ep).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let change = |current: &str, new: &str| {
        req(Method::POST, "/change-password")
            .cookie(&cookie)
            .json(json!({ "current_password": current, "new_password": new }))
    };
    let r = change(PASSWORD, PASSWORD).send(&app.router).await;
    assert_eq!(r.code(), "password_reused", "the current password counts");
    let second = "second-long-passphrase-2";
    assert_eq!(
        change(PASSWORD, second).send(&app.router).await.status,
        StatusCode::OK
    );
    let r = change(second, PASSWORD).send(&app.router).await;
    assert_eq!(r.code(), "password_reused", "a previous password counts");
}

async fn email_verification_can_be_turned_off(family: Family) {
    let mut ep = ep_config();
    ep.require_email_verification = false;
    let Some(app) = on(family, ep).await else {
        return;
    };
    let email = unique_email();
    req(Method::POST, "/register")
        .json(json!({ "email": email, "password": PASSWORD }))
        .send(&app.router)
        .await;
    settle().await;
    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    // Nothing was verified, so the stored flag says so.
    assert_eq!(r.body["user"]["email_verified"], false);
    assert!(!stored_user(&app, &email).await.email_verified);
}

async fn banned_users_cannot_sign_in_or_use_sessions(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let user = stored_user(&app, &email).await;
    let ban = yauth::entity::UserUpdate {
        banned: Some(true),
        ..Default::default()
    };
    app.yauth
        .state()
        .repos()
        .users
        .update_user(user.id, &ban, app.clock.now_for_tests())
        .await
        .unwrap();
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "account_banned");
    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.code(), "account_banned");
}

trait NowForTests {
    fn now_for_tests(&self) -> time::OffsetDateTime;
}
impl NowForTests for yauth::store::ManualClock {
    fn now_for_tests(&self) -> time::OffsetDateTime {
        yauth::store::Clock::now(self)
    }
}

async fn every_event_is_audited(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let (email, _) = signed_in_user(&app).await;
    let user = stored_user(&app, &email).await;
    let (types, first_ip) = audit_of(&app, user.id).await;
    for expected in [
        "user_registered",
        "email_verified",
        "login_succeeded",
        "session_created",
    ] {
        assert!(
            types.iter().any(|t| t == expected),
            "{expected} missing from {types:?}"
        );
    }
    assert_eq!(first_ip.as_deref(), Some("203.0.113.10"));
}

async fn a_reset_refused_by_history_or_the_email_rule_keeps_its_token(family: Family) {
    let mut ep = ep_config();
    ep.policy.password_history_count = 3;
    let Some(app) = on(family, ep).await else {
        return;
    };
    let (email, _) = signed_in_user(&app).await;
    let token = reset_token(&app, &email).await;
    let reset = |password: String| {
        req(Method::POST, "/reset-password").json(json!({ "token": token, "password": password }))
    };
    // The current password is in the history: refused, and the link still works.
    let r = reset(PASSWORD.to_owned()).send(&app.router).await;
    assert_eq!(r.code(), "password_reused", "{:?}", r.body);
    // A password containing the address: refused, the link still works.
    let r = reset(format!("{email}-and-more")).send(&app.router).await;
    assert_eq!(r.code(), "weak_password", "{:?}", r.body);
    let r = reset("a-fresh-long-passphrase-31".to_owned())
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = reset("yet-another-passphrase-88".to_owned())
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "invalid_token", "consumed once it succeeded");
}

/// The reset link reached the mailbox, so a reset verifies an unverified address; the change is
/// audited and its owner told, as after `/change-password`. A control character in the new
/// password is refused before the token is touched.
async fn a_reset_proves_the_address_and_announces_the_change(family: Family) {
    let Some(app) = on(family, ep_config()).await else {
        return;
    };
    let email = registered_user(&app).await;
    assert_eq!(
        login(&app, &email, PASSWORD).await.code(),
        "email_not_verified"
    );
    let token = reset_token(&app, &email).await;

    let r = req(Method::POST, "/reset-password")
        .json(json!({ "token": token, "password": "new\u{0}password-123456" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_characters");

    app.mail.clear();
    let new_password = "a-reset-passphrase-for-42";
    let r = req(Method::POST, "/reset-password")
        .json(json!({ "token": token, "password": new_password }))
        .send(&app.router)
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the refused password kept the token: {:?}",
        r.body
    );
    let user = stored_user(&app, &email).await;
    assert!(user.email_verified, "the reset proved the address");
    assert_eq!(
        login(&app, &email, new_password).await.status,
        StatusCode::OK
    );

    let notice = mail_to(&app, &email).await;
    assert!(
        notice.subject.contains("password was changed"),
        "{}",
        notice.subject
    );
    let page = app
        .yauth
        .state()
        .repos()
        .audit
        .list_audit(&yauth::store::AuditQuery {
            user_id: Some(user.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        page.items
            .iter()
            .any(|e| e.event_type == "password_changed"),
        "{:?}",
        page.items.iter().map(|e| &e.event_type).collect::<Vec<_>>()
    );
}
