//! The mfa plugin's races, on every database family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/backends.rs"]
mod backends;
mod common;
#[path = "common/mfa.rs"]
mod mfa_support;

use axum::http::{Method, StatusCode};
use backends::Family;
use common::*;
use mfa_support::*;
use serde_json::json;

/// Runs each case once per database family, as its own test.
macro_rules! on_every_family {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn memory() { super::$case(Family::Memory).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() { super::$case(Family::Postgres).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn mariadb() { super::$case(Family::Mariadb).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() { super::$case(Family::Sqlite).await }
            }
        )*
    };
}

on_every_family!(
    one_backup_code_opens_one_of_sixteen_logins,
    one_totp_code_opens_one_of_sixteen_logins,
);

/// An app on `family` with 16 logins of one enrolled user waiting for their second factor.
async fn sixteen_pending(family: Family) -> Option<(TestApp, Enrolled, Vec<String>)> {
    let backend = backends::backend("mfa", family).await?;
    let mut config = test_config(ORIGIN);
    config.rate_limits.enabled = false;
    let app = app_on(backend, config, ep_config(), with_mfa).await;
    let user = enrolled(&app).await;
    let mut pendings = Vec::new();
    for _ in 0..16 {
        pendings.push(pending_login(&app, &user.email).await);
    }
    Some((app, user, pendings))
}

/// Sends every pending login's verification with `code` at once; returns how many got in.
async fn race(app: &TestApp, pendings: Vec<String>, code: &str) -> usize {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(pendings.len()));
    let tasks: Vec<_> = pendings
        .into_iter()
        .map(|pending| {
            let (router, barrier) = (app.router.clone(), barrier.clone());
            let request = req(Method::POST, "/mfa/verify")
                .json(json!({ "pending_session_id": pending, "code": code }));
            tokio::spawn(async move {
                barrier.wait().await;
                request.send(&router).await.status
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        let status = task.await.unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::UNAUTHORIZED,
            "{status}"
        );
        ok += usize::from(status == StatusCode::OK);
    }
    ok
}

async fn one_backup_code_opens_one_of_sixteen_logins(family: Family) {
    let Some((app, user, pendings)) = sixteen_pending(family).await else {
        return;
    };
    let code = user.backup_codes[3].clone();
    assert_eq!(
        race(&app, pendings, &code).await,
        1,
        "one backup code, one login"
    );
}

async fn one_totp_code_opens_one_of_sixteen_logins(family: Family) {
    let Some((app, user, pendings)) = sixteen_pending(family).await else {
        return;
    };
    let code = code_now(&app, &user.secret);
    assert_eq!(
        race(&app, pendings, &code).await,
        1,
        "one time step, one login"
    );
}
