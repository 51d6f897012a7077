//! The tamper-evident audit trail: a row edited or deleted in SQL, on PostgreSQL, MariaDB and
//! SQLite, is found by `YAuth::verify_audit_chain`; and the trail through HTTP
//! (`GET /admin/audit`, `GET /me/activity`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/backends.rs"]
mod backends;
mod common;

use axum::http::{Method, StatusCode};
use backends::Family;
use common::*;
use yauth::plugins::admin::AdminConfig;
use yauth::store::audit_chain::ChainFault;

const BINARY: &str = "audit_chain";

async fn tampering_is_found(family: Family) {
    let Some(url) = backends::database_url(BINARY, family) else {
        return;
    };
    let backend = backends::backend(BINARY, family).await.unwrap();
    let mut config = test_config(ORIGIN);
    config.rate_limits.enabled = false;
    let app = app_on(backend, config, ep_config(), |b| {
        b.with_admin(AdminConfig::default())
    })
    .await;
    let (email, _) = signed_in_user(&app).await;
    let user = stored_user(&app, &email).await;
    let chain = user.id.to_string();
    let report = app.yauth.verify_audit_chain().await.unwrap();
    assert_eq!(
        report.first_break, None,
        "{family:?}: an untouched trail verifies"
    );
    assert!(report.rows >= 3, "{family:?}: {report:?}");

    let repos = app.yauth.state().repos().clone();
    let rows = repos.audit.list_audit_chain(&chain, 0, 100).await.unwrap();
    assert!(
        rows.len() >= 3,
        "{family:?}: registration, verification, sign-in: {rows:?}"
    );
    let target = rows[1].clone();
    let at = format!("chain = '{chain}' AND seq = 2");

    // An edit: one column of one row.
    let edit = format!("UPDATE yauth_audit_log SET ip_address = '203.0.113.66' WHERE {at}");
    backends::execute_sql(family, &url, &[&edit]).await;
    let found = app
        .yauth
        .verify_audit_chain()
        .await
        .unwrap()
        .first_break
        .expect("found");
    assert_eq!(
        (found.chain.as_str(), found.seq, found.fault, found.id),
        (chain.as_str(), 2, ChainFault::Altered, Some(target.id)),
        "{family:?}: the edited row"
    );
    let restore = match &target.ip_address {
        Some(ip) => format!("UPDATE yauth_audit_log SET ip_address = '{ip}' WHERE {at}"),
        None => format!("UPDATE yauth_audit_log SET ip_address = NULL WHERE {at}"),
    };
    backends::execute_sql(family, &url, &[&restore]).await;
    let report = app.yauth.verify_audit_chain().await.unwrap();
    assert_eq!(
        report.first_break, None,
        "{family:?}: the original content verifies again"
    );

    // An edit of the details, which the database stores as JSON.
    let edit = format!("UPDATE yauth_audit_log SET event_type = 'nothing_to_see' WHERE {at}");
    backends::execute_sql(family, &url, &[&edit]).await;
    let found = app
        .yauth
        .verify_audit_chain()
        .await
        .unwrap()
        .first_break
        .expect("found");
    assert_eq!(
        (found.seq, found.fault),
        (2, ChainFault::Altered),
        "{family:?}"
    );
    let restore = format!(
        "UPDATE yauth_audit_log SET event_type = '{}' WHERE {at}",
        target.event_type
    );
    backends::execute_sql(family, &url, &[&restore]).await;

    // A deletion leaves a gap.
    backends::execute_sql(
        family,
        &url,
        &[&format!("DELETE FROM yauth_audit_log WHERE {at}")],
    )
    .await;
    let found = app
        .yauth
        .verify_audit_chain()
        .await
        .unwrap()
        .first_break
        .expect("found");
    assert_eq!(
        (found.chain.as_str(), found.seq, found.fault, found.id),
        (chain.as_str(), 2, ChainFault::Missing, Some(rows[2].id)),
        "{family:?}: the gap, at the first row after it"
    );
    // Put back as it was, the chain is whole again (and the next run's database too).
    repos.audit.insert_audit(&target).await.unwrap();
    let report = app.yauth.verify_audit_chain().await.unwrap();
    assert_eq!(report.first_break, None, "{family:?}");
}

#[tokio::test]
async fn an_edited_or_deleted_row_is_found_on_postgres() {
    tampering_is_found(Family::Postgres).await;
}

#[tokio::test]
async fn an_edited_or_deleted_row_is_found_on_mariadb() {
    tampering_is_found(Family::Mariadb).await;
}

#[tokio::test]
async fn an_edited_or_deleted_row_is_found_on_sqlite() {
    tampering_is_found(Family::Sqlite).await;
}

#[tokio::test]
async fn the_trail_is_read_by_admins_and_each_user_sees_their_own() {
    let app = app_with(test_config(ORIGIN), ep_config(), |b| {
        b.with_admin(AdminConfig::default())
    })
    .await;
    let (email, cookie) = signed_in_user(&app).await;
    let (other_email, _) = signed_in_user(&app).await;
    let user = stored_user(&app, &email).await;
    let mine = req(Method::GET, "/me/activity")
        .cookie(&cookie)
        .header("user-agent", "activity-test/1.0")
        .send(&app.router)
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    let events = mine.body["events"].as_array().unwrap();
    assert!(
        events.iter().all(|e| e["user_id"] == user.id.to_string()),
        "only the user's own events"
    );
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    for wanted in [
        "user_registered",
        "email_verified",
        "login_succeeded",
        "session_created",
    ] {
        assert!(types.contains(&wanted), "{wanted} in {types:?}");
    }
    let signed_in = events
        .iter()
        .find(|e| e["event_type"] == "login_succeeded")
        .unwrap();
    assert!(signed_in["ip_address"].is_string(), "{signed_in}");
    assert_eq!(signed_in["details"]["method"], "password");
    let only_logins = req(
        Method::GET,
        "/me/activity?event_type=login_succeeded&limit=1",
    )
    .cookie(&cookie)
    .send(&app.router)
    .await;
    assert_eq!(only_logins.body["events"].as_array().unwrap().len(), 1);
    assert!(!only_logins.body.to_string().contains(&other_email));

    let r = req(Method::GET, "/admin/audit")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "admins only");
    let admin_email = verified_user(&app).await;
    let admin_user = stored_user(&app, &admin_email).await;
    let state = app.yauth.state();
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
    let admin = login(&app, &admin_email, PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let path = format!(
        "/admin/audit?user_id={}&event_type=login_succeeded",
        user.id
    );
    let r = req(Method::GET, &path)
        .cookie(&admin)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["total"], 1);
    // A user agent sent at sign-in is shown.
    let r = req(Method::POST, "/login")
        .header("user-agent", "audit-agent/2.0")
        .json(serde_json::json!({"email": email, "password": PASSWORD}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = req(Method::GET, &path)
        .cookie(&admin)
        .send(&app.router)
        .await;
    assert_eq!(r.body["total"], 2);
    assert_eq!(r.body["events"][0]["user_agent"], "audit-agent/2.0");
    let now = app.yauth.state().now();
    let future = (now + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
        .replace('+', "%2B");
    let r = req(Method::GET, &format!("/admin/audit?since={future}"))
        .cookie(&admin)
        .send(&app.router)
        .await;
    assert_eq!(
        (r.status, &r.body["total"]),
        (StatusCode::OK, &serde_json::json!(0)),
        "{:?}",
        r.body
    );
    for bad in [
        "/admin/audit?since=yesterday",
        "/admin/audit?limit=500",
        "/me/activity?limit=0",
    ] {
        let r = req(Method::GET, bad).cookie(&admin).send(&app.router).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", r.body);
    }
    let report = app.yauth.verify_audit_chain().await.unwrap();
    assert_eq!(report.first_break, None);
    assert!(
        report.chains >= 3,
        "a chain per user and the global one: {report:?}"
    );
}
