//! Hostile input through HTTP, on every database family: control characters, over-long fields,
//! Unicode spellings of one address. Nothing a client sends may come back as a 5xx.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::{Method, StatusCode};
use backends::Family;
use common::*;
use serde_json::{Value, json};

on_every_family!(
    control_characters_are_refused_before_storage,
    over_long_fields_are_refused_and_long_valid_emails_work,
    unicode_spellings_of_one_address_are_one_account,
    no_client_value_produces_a_server_error,
    admin_and_lockout_routes_take_hostile_values_without_a_server_error,
);

/// The app on `family` with rate limits on (their keys must survive hostile subjects too).
async fn app_for(family: Family) -> Option<TestApp> {
    let backend = backends::backend("hostile", family).await?;
    Some(app_on(backend, test_config(ORIGIN), generous_ep_config(), |b| b).await)
}

/// A fresh client address per request, so the rate limits never mask what a case checks.
fn next_ip() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("198.18.{}.{}", (n >> 8) & 0xff, n & 0xff)
}

async fn post(app: &TestApp, path: &str, body: Value) -> Res {
    req(Method::POST, path)
        .ip(&next_ip())
        .json(body)
        .send(&app.router)
        .await
}

fn assert_refused(r: &Res, code: &str, what: &str) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {:?}", r.body);
    assert_eq!(r.code(), code, "{what}: {:?}", r.body);
}

async fn control_characters_are_refused_before_storage(family: Family) {
    let Some(app) = app_for(family).await else {
        return;
    };
    let nul_email = "a\u{0}b@example.com";
    let r = post(&app, "/login", json!({"email": nul_email, "password": "x"})).await;
    assert_refused(&r, "invalid_characters", "NUL in the login email");
    let r = post(&app, "/forgot-password", json!({"email": nul_email})).await;
    assert_refused(&r, "invalid_characters", "NUL in the forgot-password email");
    let r = post(&app, "/resend-verification", json!({"email": nul_email})).await;
    assert_refused(&r, "invalid_characters", "NUL in the resend email");
    let r = post(
        &app,
        "/register",
        json!({"email": unique_email(), "password": PASSWORD, "display_name": "Eve\u{0}"}),
    )
    .await;
    assert_refused(&r, "invalid_characters", "NUL in the display name");
    let r = post(
        &app,
        "/register",
        json!({"email": unique_email(), "password": PASSWORD, "display_name": "\u{1b}[31mred"}),
    )
    .await;
    assert_refused(
        &r,
        "invalid_characters",
        "an escape sequence in the display name",
    );
    let r = post(&app, "/verify-email", json!({"token": "abc\u{0}"})).await;
    assert_refused(&r, "invalid_characters", "NUL in a token");

    // And on the authenticated side.
    let (_, cookie) = signed_in_user(&app).await;
    let r = req(Method::PATCH, "/me")
        .cookie(&cookie)
        .json(json!({"display_name": "Mallory\u{0}"}))
        .send(&app.router)
        .await;
    assert_refused(&r, "invalid_characters", "NUL in PATCH /me");
    let r = req(Method::POST, "/change-password")
        .cookie(&cookie)
        .json(json!({"current_password": PASSWORD, "new_password": "new\u{0}password-123456"}))
        .send(&app.router)
        .await;
    assert_refused(&r, "invalid_characters", "NUL in a new password");
}

async fn over_long_fields_are_refused_and_long_valid_emails_work(family: Family) {
    let Some(app) = app_for(family).await else {
        return;
    };
    let too_long = format!("{}@example.com", "a".repeat(300));
    let r = post(&app, "/login", json!({"email": too_long, "password": "x"})).await;
    assert_refused(&r, "input_too_long", "a 312-character login email");
    let r = post(&app, "/forgot-password", json!({"email": too_long})).await;
    assert_refused(
        &r,
        "input_too_long",
        "a 312-character forgot-password email",
    );
    let r = post(
        &app,
        "/register",
        json!({"email": unique_email(), "password": PASSWORD, "display_name": "n".repeat(101)}),
    )
    .await;
    assert_refused(&r, "input_too_long", "a 101-character display name");
    let r = post(
        &app,
        "/login",
        json!({"email": "a@b.co", "password": "p".repeat(5000)}),
    )
    .await;
    assert_refused(&r, "input_too_long", "a 5000-character password");
    let r = post(&app, "/verify-email", json!({"token": "t".repeat(600)})).await;
    assert_refused(&r, "input_too_long", "a 600-character token");

    // A valid address of 250 characters is longer than the rate-limit key column once prefixed:
    // the keys are hashed, so it works like any other.
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let local = format!("{unique}{}", "l".repeat(64 - unique.len()));
    let domain = format!(
        "{}.{}.{}.example.com",
        "d".repeat(61),
        "e".repeat(61),
        "f".repeat(50)
    );
    let email = format!("{local}@{domain}");
    assert!(email.len() > 240 && email.len() <= 254, "{}", email.len());
    let r = post(
        &app,
        "/register",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let r = post(
        &app,
        "/login",
        json!({"email": email, "password": "wrong-password-123"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    let r = post(&app, "/forgot-password", json!({"email": email})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
}

async fn unicode_spellings_of_one_address_are_one_account(family: Family) {
    let Some(app) = app_for(family).await else {
        return;
    };
    let tag = uuid::Uuid::new_v4().simple().to_string();
    // "josé" composed (NFC) and decomposed (NFD), on an internationalised domain.
    let nfc = format!("jos\u{e9}-{tag}@b\u{fc}cher.de");
    let nfd = format!("jose\u{301}-{tag}@bu\u{308}cher.de");
    let ascii_domain = format!("jos\u{e9}-{tag}@xn--bcher-kva.de");
    let r = post(
        &app,
        "/register",
        json!({"email": nfc, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    mail_to(&app, &ascii_domain).await;
    // The address is stored in one form...
    let stored = stored_user(&app, &ascii_domain).await;
    assert_eq!(stored.email, ascii_domain);
    let token = token_from_mail(&app, &ascii_domain);
    let r = post(&app, "/verify-email", json!({"token": token})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // ...so the other spellings are the same account: registering again is a duplicate, whose
    // owner is told by email.
    let mails_before = app.mail.sent().len();
    for spelling in [&nfd, &ascii_domain] {
        let r = post(
            &app,
            "/register",
            json!({"email": spelling, "password": PASSWORD}),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    }
    for _ in 0..500 {
        if app.mail.sent().len() >= mails_before + 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let notices: Vec<_> = app.mail.sent()[mails_before..]
        .iter()
        .filter(|m| m.to == ascii_domain)
        .cloned()
        .collect();
    assert_eq!(notices.len(), 2, "two duplicate-registration notices");
    for spelling in [&nfc, &nfd, &ascii_domain] {
        let r = post(
            &app,
            "/login",
            json!({"email": spelling, "password": PASSWORD}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{spelling:?}: {:?}", r.body);
        assert_eq!(r.body["user"]["id"], json!(stored.id));
    }
}

/// Every JSON route, every string field, with each hostile value: the answer is a 4xx or a
/// success, never a 5xx.
async fn no_client_value_produces_a_server_error(family: Family) {
    let Some(app) = app_for(family).await else {
        return;
    };
    let hostile = [
        "\u{0}".to_owned(),
        "a\u{0}@example.com".to_owned(),
        "x".repeat(10_000),
        "é".repeat(255),
        "😀".repeat(100),
        "'; DROP TABLE yauth_users; --".to_owned(),
        "\u{202e}evil".to_owned(),
        String::new(),
        "\u{fffd}\u{ffff}".to_owned(),
        "%00".to_owned(),
    ];
    let routes: [(&str, &[&str]); 6] = [
        ("/register", &["email", "password", "display_name"]),
        ("/login", &["email", "password"]),
        ("/forgot-password", &["email"]),
        ("/resend-verification", &["email"]),
        ("/verify-email", &["token"]),
        ("/reset-password", &["token", "password"]),
    ];
    for (path, fields) in routes {
        for field in fields {
            for value in &hostile {
                let mut body = json!({
                    "email": unique_email(),
                    "password": PASSWORD,
                    "token": "not-a-real-token",
                });
                if path == "/forgot-password" || path == "/resend-verification" {
                    body = json!({"email": unique_email()});
                } else if path == "/verify-email" {
                    body = json!({"token": "not-a-real-token"});
                } else if path == "/reset-password" {
                    body = json!({"token": "not-a-real-token", "password": PASSWORD});
                } else {
                    body.as_object_mut().unwrap().remove("token");
                }
                body[*field] = json!(value);
                let r = post(&app, path, body).await;
                assert!(
                    r.status.is_client_error() || r.status.is_success(),
                    "{path} {field}={:?}: {} {:?}",
                    value.chars().take(20).collect::<String>(),
                    r.status,
                    r.body
                );
            }
        }
    }
    let (_, cookie) = signed_in_user(&app).await;
    for value in &hostile {
        let r = req(Method::PATCH, "/me")
            .cookie(&cookie)
            .json(json!({"display_name": value}))
            .send(&app.router)
            .await;
        assert!(r.status.is_client_error() || r.status.is_success(), "{r:?}");
    }
    let r = req(Method::DELETE, "/sessions/not-a-uuid")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_refused(&r, "invalid_path", "a session id that is not a UUID");
}

/// The admin and account-lockout routes: every hostile value in every field and query
/// parameter answers 2xx or 4xx.
async fn admin_and_lockout_routes_take_hostile_values_without_a_server_error(family: Family) {
    let Some(backend) = backends::backend("hostile", family).await else {
        return;
    };
    let app = app_on(backend, test_config(ORIGIN), generous_ep_config(), |b| {
        b.with_admin(Default::default())
            .with_account_lockout(Default::default())
    })
    .await;
    let (admin_email, admin) = signed_in_user(&app).await;
    let state = app.yauth.state();
    let admin_user = stored_user(&app, &admin_email).await;
    let promote = yauth::entity::UserUpdate {
        role: Some("admin".into()),
        ..Default::default()
    };
    state
        .repos()
        .users
        .update_user(admin_user.id, &promote, state.now())
        .await
        .unwrap();
    let target = stored_user(&app, &verified_user(&app).await).await.id;
    let hostile = [
        "\u{0}".to_owned(),
        "x".repeat(10_000),
        "é".repeat(300),
        "'; DROP TABLE yauth_users; --".to_owned(),
        "%_\\".to_owned(),
        "\u{202e}evil".to_owned(),
        String::new(),
    ];
    let ok = |r: &Res, what: &str| {
        assert!(
            r.status.is_client_error() || r.status.is_success(),
            "{what}: {} {:?}",
            r.status,
            r.body
        );
    };
    for value in &hostile {
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        for query in ["search", "role", "banned", "offset", "limit"] {
            let path = format!("/admin/users?{query}={encoded}");
            let r = req(Method::GET, &path)
                .cookie(&admin)
                .send(&app.router)
                .await;
            ok(&r, &path);
        }
        for query in ["event_type", "since", "user_id"] {
            let path = format!("/admin/audit?{query}={encoded}");
            ok(
                &req(Method::GET, &path)
                    .cookie(&admin)
                    .send(&app.router)
                    .await,
                &path,
            );
        }
        let r = req(Method::GET, &format!("/me/activity?event_type={encoded}"))
            .cookie(&admin)
            .send(&app.router)
            .await;
        ok(&r, "/me/activity");
        let user_path = format!("/admin/users/{target}");
        for body in [json!({"display_name": value}), json!({"role": value})] {
            let r = req(Method::PUT, &user_path)
                .cookie(&admin)
                .json(body)
                .send(&app.router)
                .await;
            ok(&r, "PUT /admin/users/{id}");
        }
        let r = req(Method::POST, &format!("{user_path}/ban"))
            .cookie(&admin)
            .json(json!({"reason": value}))
            .send(&app.router)
            .await;
        ok(&r, "ban");
        let r = req(Method::POST, &format!("/admin/users/{encoded}/unlock"))
            .cookie(&admin)
            .send(&app.router)
            .await;
        ok(&r, "unlock path");
        ok(
            &post(&app, "/account/request-unlock", json!({"email": value})).await,
            "request-unlock",
        );
        ok(
            &post(&app, "/account/unlock", json!({"token": value})).await,
            "unlock",
        );
    }
}
