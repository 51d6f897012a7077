//! Registration is atomic on every SQL family: a database that refuses the password row (a
//! trigger injects the fault) leaves no account behind, and the same address registers once the
//! fault is gone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/backends.rs"]
mod backends;
mod common;

use axum::http::{Method, StatusCode};
use backends::Family;
use common::*;
use serde_json::json;

const BINARY: &str = "register_atomic";

/// A trigger that refuses the password of any account whose email starts with `fault-`.
fn install_fault(family: Family) -> &'static [&'static str] {
    match family {
        Family::Postgres => &[
            "CREATE OR REPLACE FUNCTION yauth_test_fault() RETURNS trigger AS $$ BEGIN \
             IF EXISTS (SELECT 1 FROM yauth_users WHERE id = NEW.user_id AND email LIKE 'fault-%') \
             THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "DROP TRIGGER IF EXISTS yauth_test_fault ON yauth_passwords",
            "CREATE TRIGGER yauth_test_fault BEFORE INSERT ON yauth_passwords \
             FOR EACH ROW EXECUTE FUNCTION yauth_test_fault()",
        ],
        Family::Mariadb => &[
            "DROP TRIGGER IF EXISTS yauth_test_fault",
            "CREATE TRIGGER yauth_test_fault BEFORE INSERT ON yauth_passwords FOR EACH ROW \
             BEGIN IF EXISTS (SELECT 1 FROM yauth_users WHERE id = NEW.user_id AND email LIKE 'fault-%') \
             THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected fault'; END IF; END",
        ],
        Family::Sqlite => &[
            "DROP TRIGGER IF EXISTS yauth_test_fault",
            "CREATE TRIGGER yauth_test_fault BEFORE INSERT ON yauth_passwords \
             WHEN EXISTS (SELECT 1 FROM yauth_users WHERE id = NEW.user_id AND email LIKE 'fault-%') \
             BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
        ],
        Family::Memory => &[],
    }
}

fn remove_fault(family: Family) -> &'static [&'static str] {
    match family {
        Family::Postgres => &["DROP TRIGGER IF EXISTS yauth_test_fault ON yauth_passwords"],
        Family::Mariadb | Family::Sqlite => &["DROP TRIGGER IF EXISTS yauth_test_fault"],
        Family::Memory => &[],
    }
}

async fn a_refused_password_row_leaves_no_account(family: Family) {
    let Some(url) = backends::database_url(BINARY, family) else {
        return;
    };
    let backend = backends::backend(BINARY, family).await.unwrap();
    let mut config = test_config(ORIGIN);
    config.rate_limits.enabled = false;
    let app = app_on(backend, config, ep_config(), |b| b).await;
    backends::execute_sql(family, &url, install_fault(family)).await;
    let email = format!("fault-{}", unique_email());
    let register = || {
        req(Method::POST, "/register")
            .json(json!({ "email": email, "password": PASSWORD }))
            .send(&app.router)
    };
    // The storage failure is the server's, not the client's: it answers an error, and no
    // half-made account (a user without a password) may remain.
    let r = register().await;
    assert!(
        r.status.is_server_error(),
        "{family:?}: {} {:?}",
        r.status,
        r.body
    );
    let found = app
        .yauth
        .state()
        .repos()
        .users
        .find_user_by_email(&email)
        .await
        .unwrap();
    assert!(found.is_none(), "{family:?}: the user row was rolled back");

    backends::execute_sql(family, &url, remove_fault(family)).await;
    let r = register().await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{family:?}: {:?}", r.body);
    mail_to(&app, &email).await;
    let token = token_from_mail(&app, &email);
    let r = req(Method::POST, "/verify-email")
        .json(json!({ "token": token }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(login(&app, &email, PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    a_refused_password_row_leaves_no_account(Family::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb() {
    a_refused_password_row_leaves_no_account(Family::Mariadb).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    a_refused_password_row_leaves_no_account(Family::Sqlite).await
}
