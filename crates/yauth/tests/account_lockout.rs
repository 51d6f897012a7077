//! The account-lockout plugin through HTTP: failures from many addresses lock an account, locks
//! double, unlock links work once (16 at once: one winner, on every database family), and a
//! locked account answers exactly like an unknown address.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/backends.rs"]
mod backends;
mod common;
#[path = "common/recording.rs"]
mod recording;

use axum::http::{Method, StatusCode};
use backends::FAMILIES;
use common::*;
use recording::Recording;
use serde_json::json;
use time::Duration;
use yauth::YAuthBuilder;
use yauth::plugins::account_lockout::AccountLockoutConfig;
use yauth::plugins::admin::AdminConfig;
use yauth_store::{DatabaseBackend, InMemoryBackend};

fn with_lockout(config: AccountLockoutConfig) -> impl FnOnce(YAuthBuilder) -> YAuthBuilder {
    move |b| {
        b.with_account_lockout(config)
            .with_admin(AdminConfig::default())
    }
}

async fn lockout_app_on(backend: impl DatabaseBackend, config: AccountLockoutConfig) -> TestApp {
    app_on(
        backend,
        test_config(ORIGIN),
        ep_config(),
        with_lockout(config),
    )
    .await
}

async fn lockout_app() -> TestApp {
    lockout_app_on(InMemoryBackend::new(), AccountLockoutConfig::default()).await
}

async fn login_from(app: &TestApp, email: &str, password: &str, ip: &str) -> Res {
    req(Method::POST, "/login")
        .ip(ip)
        .json(json!({ "email": email, "password": password }))
        .send(&app.router)
        .await
}

/// `n` failed sign-ins for `email`, each from an address of its own.
async fn fail_times(app: &TestApp, email: &str, n: u32, round: u32) {
    for i in 0..n {
        let ip = format!("10.{round}.0.{}", i + 1);
        let r = login_from(app, email, "not-the-password-1", &ip).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "failure {i}: {:?}",
            r.body
        );
        assert_eq!(r.code(), "invalid_credentials");
    }
}

fn retry_after(r: &Res) -> i64 {
    r.headers
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn failures_from_many_addresses_lock_the_account_and_locks_double() {
    let app = lockout_app().await;
    let email = verified_user(&app).await;
    fail_times(&app, &email, 5, 1).await;
    let r = login_from(&app, &email, PASSWORD, "10.9.9.9").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", r.body);
    assert_eq!(r.code(), "account_locked");
    assert_eq!(retry_after(&r), 300, "the first lock lasts 5 minutes");
    let mail = locked_mail(&app, &email).await;
    assert!(mail.subject.contains("locked"), "{}", mail.subject);
    assert!(mail.text.contains("unlock-account?token="), "{}", mail.text);
    let user = stored_user(&app, &email).await;
    let lock = app
        .yauth
        .state()
        .repos()
        .account_lockout
        .as_ref()
        .unwrap()
        .find_account_lock(user.id)
        .await
        .unwrap()
        .expect("the lock is recorded");
    assert_eq!(lock.lock_count, 1);

    // The lock ends on its own; the next lock within a day lasts twice as long.
    app.clock
        .advance(Duration::minutes(5) + Duration::seconds(1));
    assert_eq!(
        login_from(&app, &email, PASSWORD, "10.9.9.9").await.status,
        StatusCode::OK
    );
    fail_times(&app, &email, 5, 2).await;
    let r = login_from(&app, &email, PASSWORD, "10.9.9.9").await;
    assert_eq!(r.code(), "account_locked");
    assert_eq!(retry_after(&r), 600, "doubled");
    app.clock
        .advance(Duration::minutes(10) + Duration::seconds(1));
    fail_times(&app, &email, 5, 3).await;
    let r = login_from(&app, &email, PASSWORD, "10.9.9.9").await;
    assert_eq!(retry_after(&r), 1200, "doubled again");
}

/// The account-locked email to `email`, waiting for the background task that sends it.
async fn locked_mail(app: &TestApp, email: &str) -> yauth::email::EmailMessage {
    for _ in 0..1000 {
        if let Some(mail) = app
            .mail
            .last_to(email)
            .filter(|m| m.subject.contains("locked"))
        {
            return mail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no account-locked email to {email}");
}

#[tokio::test]
async fn a_correct_password_resets_the_count() {
    let app = lockout_app().await;
    let email = verified_user(&app).await;
    fail_times(&app, &email, 4, 1).await;
    assert_eq!(login(&app, &email, PASSWORD).await.status, StatusCode::OK);
    fail_times(&app, &email, 4, 2).await;
    assert_eq!(
        login(&app, &email, PASSWORD).await.status,
        StatusCode::OK,
        "4 + 4 failures with a success between do not lock"
    );
}

#[tokio::test]
async fn a_locked_account_and_an_unknown_address_answer_alike() {
    let recording = Recording::new(InMemoryBackend::new());
    let app = lockout_app_on(recording.clone(), AccountLockoutConfig::default()).await;
    let known = verified_user(&app).await;
    let unknown = unique_email();
    // Each attempt from an address of its own: the per-client limit stays out of the way.
    let attempt = |email: &str, password: &str, ip: String| {
        let router = app.router.clone();
        let request = req(Method::POST, "/login")
            .ip(&ip)
            .json(json!({ "email": email, "password": password }));
        let recording = recording.clone();
        async move {
            let task = tokio::spawn(async move { request.send(&router).await });
            let id = task.id();
            let res = task.await.unwrap();
            (res, recording.calls_of(id))
        }
    };
    // Every failure, the locking one included, makes the same calls for both.
    for i in 0..5 {
        let (k, k_calls) = attempt(&known, "not-the-password-1", format!("10.1.1.{i}")).await;
        let (u, u_calls) = attempt(&unknown, "not-the-password-1", format!("10.1.2.{i}")).await;
        assert_eq!((k.status, &k.body), (u.status, &u.body), "failure {i}");
        assert_eq!(k_calls, u_calls, "failure {i}: storage calls");
    }
    let (k, k_calls) = attempt(&known, PASSWORD, "10.1.3.1".into()).await;
    let (u, u_calls) = attempt(&unknown, PASSWORD, "10.1.3.2".into()).await;
    assert_eq!(k.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!((k.status, &k.body), (u.status, &u.body), "locked");
    assert_eq!(k.headers.get("retry-after"), u.headers.get("retry-after"));
    assert_eq!(k_calls, u_calls, "locked: storage calls");
    assert!(
        k_calls.contains(&"ChallengeRepository::get_challenge"),
        "{k_calls:?}"
    );
    assert!(
        !k_calls.iter().any(|c| c.starts_with("UserRepository")),
        "a lock is decided before any account is looked up: {k_calls:?}"
    );

    let request_unlock = |email: String| {
        let router = app.router.clone();
        let recording = recording.clone();
        async move {
            let request =
                req(Method::POST, "/account/request-unlock").json(json!({"email": email}));
            let task = tokio::spawn(async move { request.send(&router).await });
            let id = task.id();
            let res = task.await.unwrap();
            (res, recording.calls_of(id))
        }
    };
    let (k, k_calls) = request_unlock(known.clone()).await;
    let (u, u_calls) = request_unlock(unknown.clone()).await;
    assert_eq!(k.status, StatusCode::ACCEPTED);
    assert_eq!((k.status, &k.body), (u.status, &u.body));
    assert_eq!(k_calls, u_calls, "request-unlock: storage calls");
}

async fn locked_user(app: &TestApp) -> (String, String) {
    let email = verified_user(app).await;
    fail_times(app, &email, 5, 1).await;
    locked_mail(app, &email).await;
    (email.clone(), token_from_mail(app, &email))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unlock_link_works_once_sixteen_at_once_on_every_family() {
    for family in FAMILIES {
        let Some(backend) = backends::backend("account_lockout", family).await else {
            continue;
        };
        let app = lockout_app_on(backend, AccountLockoutConfig::default()).await;
        let (email, token) = locked_user(&app).await;
        let requests = (0..16)
            .map(|i| {
                req(Method::POST, "/account/unlock")
                    .ip(&format!("10.7.0.{i}"))
                    .json(json!({ "token": token }))
            })
            .collect();
        let mut won = 0;
        for r in race(&app.router, requests).await {
            match r.status {
                StatusCode::OK => won += 1,
                StatusCode::BAD_REQUEST => assert_eq!(r.code(), "invalid_token"),
                other => panic!("{family:?}: unexpected {other}: {:?}", r.body),
            }
        }
        assert_eq!(won, 1, "{family:?}: one unlock wins");
        let r = login_from(&app, &email, PASSWORD, "10.9.9.9").await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{family:?}: unlocked: {:?}",
            r.body
        );
        let user = stored_user(&app, &email).await;
        let (types, _) = audit_of(&app, user.id).await;
        assert!(
            types.iter().any(|t| t == "account_locked")
                && types.iter().any(|t| t == "account_unlocked"),
            "{family:?}: {types:?}"
        );
    }
}

#[tokio::test]
async fn request_unlock_sends_a_fresh_link_and_the_old_one_dies() {
    let app = lockout_app().await;
    let (email, first) = locked_user(&app).await;
    let r = req(Method::POST, "/account/request-unlock")
        .json(json!({ "email": email }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let mut second = first.clone();
    for _ in 0..100 {
        settle().await;
        second = token_from_mail(&app, &email);
        if second != first {
            break;
        }
    }
    assert_ne!(second, first, "a new link was sent");
    let unlock = |token: String| {
        let router = app.router.clone();
        async move {
            req(Method::POST, "/account/unlock")
                .json(json!({ "token": token }))
                .send(&router)
                .await
        }
    };
    assert_eq!(
        unlock(first).await.code(),
        "invalid_token",
        "a new link replaces the old"
    );
    assert_eq!(unlock(second).await.status, StatusCode::OK);
    // Not locked any more: asking again sends nothing.
    let before = app.mail.sent().len();
    let r = req(Method::POST, "/account/request-unlock")
        .json(json!({ "email": email }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    settle().await;
    assert_eq!(app.mail.sent().len(), before);
    let r = unlock("a".repeat(600)).await;
    assert_eq!(r.code(), "input_too_long");
}

#[tokio::test]
async fn without_auto_unlock_only_a_link_or_an_admin_lifts_a_lock() {
    let app = lockout_app_on(
        InMemoryBackend::new(),
        AccountLockoutConfig {
            auto_unlock: false,
            ..AccountLockoutConfig::default()
        },
    )
    .await;
    let (email, _) = locked_user(&app).await;
    app.clock.advance(Duration::days(30));
    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.code(), "account_locked", "still locked a month later");
    assert!(r.headers.get("retry-after").is_none(), "no end to announce");

    let (_, user_cookie) = signed_in_user(&app).await;
    let id = stored_user(&app, &email).await.id;
    let path = format!("/admin/users/{id}/unlock");
    let r = req(Method::POST, &path)
        .cookie(&user_cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "admins only");
    let (admin_email, admin) = signed_in_user(&app).await;
    let admin_user = stored_user(&app, &admin_email).await;
    let state = app.yauth.state();
    state
        .repos()
        .users
        .update_user(
            admin_user.id,
            &yauth::entity::UserUpdate {
                role: Some("admin".into()),
                ..Default::default()
            },
            state.now(),
        )
        .await
        .unwrap();
    let r = req(Method::POST, &path)
        .cookie(&admin)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(login(&app, &email, PASSWORD).await.status, StatusCode::OK);
    let missing = uuid::Uuid::now_v7();
    let r = req(Method::POST, &format!("/admin/users/{missing}/unlock"))
        .cookie(&admin)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_configurations_are_refused_and_the_plugin_needs_email_password() {
    for (config, needle) in [
        (
            AccountLockoutConfig {
                max_failed_attempts: 0,
                ..Default::default()
            },
            "max_failed_attempts",
        ),
        (
            AccountLockoutConfig {
                max_lock_duration: Duration::minutes(1),
                ..Default::default()
            },
            "max_lock_duration",
        ),
        (
            AccountLockoutConfig {
                failure_window: Duration::ZERO,
                ..Default::default()
            },
            "failure_window",
        ),
    ] {
        let result = YAuthBuilder::new(InMemoryBackend::new(), test_config(ORIGIN))
            .with_email_password(ep_config())
            .with_account_lockout(config)
            .build()
            .await;
        let error = match result {
            Ok(_) => panic!("accepted"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains(needle), "{error}");
    }
    let result = YAuthBuilder::new(InMemoryBackend::new(), test_config(ORIGIN))
        .with_account_lockout(AccountLockoutConfig::default())
        .build()
        .await;
    let error = match result {
        Ok(_) => panic!("accepted without email-password"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("email-password"), "{error}");
}
