//! The admin plugin through HTTP: every route for admins only, user management with its
//! self- and last-admin guards, bans that end every credential at once, sessions, and
//! impersonation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/backends.rs"]
mod backends;
#[path = "common/bearer.rs"]
mod bearer_support;
mod common;

use axum::http::{Method, StatusCode};
use bearer_support::*;
use common::*;
use serde_json::{Value, json};
use time::Duration;
use yauth::plugins::admin::AdminConfig;
use yauth::plugins::api_key::ApiKeyConfig;
use yauth::plugins::bearer::BearerConfig;
use yauth::store::AuditQuery;

async fn admin_app_with(config: AdminConfig) -> TestApp {
    let tokens = with_tokens(BearerConfig::default(), ApiKeyConfig::default());
    app_with(test_config(ORIGIN), ep_config(), move |b| {
        tokens(b).with_admin(config)
    })
    .await
}

async fn admin_app() -> TestApp {
    admin_app_with(AdminConfig::default()).await
}

/// A signed-in administrator: (email, session cookie).
async fn signed_in_admin(app: &TestApp) -> (String, String) {
    let (email, cookie) = signed_in_user(app).await;
    promote(app, &email).await;
    (email, cookie)
}

async fn id_of(app: &TestApp, email: &str) -> String {
    stored_user(app, email).await.id.to_string()
}

async fn call(app: &TestApp, method: Method, path: &str, cookie: &str, body: Option<Value>) -> Res {
    let mut r = req(method, path).cookie(cookie);
    if let Some(body) = body {
        r = r.json(body);
    }
    r.send(&app.router).await
}

async fn audit_types(app: &TestApp, user: Option<uuid::Uuid>) -> Vec<(String, Value)> {
    let state = app.yauth.state();
    let page = state
        .repos()
        .audit
        .list_audit(&AuditQuery {
            user_id: user,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    page.items
        .into_iter()
        .map(|e| (e.event_type, e.metadata.unwrap_or(Value::Null)))
        .collect()
}

#[tokio::test]
async fn every_admin_route_refuses_users_and_anonymous_callers() {
    let app = admin_app().await;
    let (email, cookie) = signed_in_user(&app).await;
    let id = id_of(&app, &email).await;
    let session = uuid::Uuid::now_v7();
    let routes = [
        (Method::GET, "/admin/users".to_owned(), None),
        (Method::GET, format!("/admin/users/{id}"), None),
        (
            Method::PUT,
            format!("/admin/users/{id}"),
            Some(json!({"role": "admin"})),
        ),
        (Method::DELETE, format!("/admin/users/{id}"), None),
        (
            Method::POST,
            format!("/admin/users/{id}/ban"),
            Some(json!({})),
        ),
        (Method::POST, format!("/admin/users/{id}/unban"), None),
        (Method::POST, format!("/admin/users/{id}/impersonate"), None),
        (Method::GET, "/admin/sessions".to_owned(), None),
        (Method::DELETE, format!("/admin/sessions/{session}"), None),
    ];
    for (method, path, body) in routes {
        let r = call(&app, method.clone(), &path, &cookie, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {:?}",
            r.body
        );
        assert_eq!(r.code(), "forbidden", "{method} {path}");
        let mut anonymous = req(method.clone(), &path);
        if let Some(body) = body {
            anonymous = anonymous.json(body);
        }
        let r = anonymous.send(&app.router).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "anonymous {method} {path}"
        );
    }
    // The user tried to make themselves an admin, among other things: nothing changed.
    let user = stored_user(&app, &email).await;
    assert_eq!((user.role.as_str(), user.banned), ("user", false));
    // Stopping an impersonation is for impersonation sessions only.
    let r = call(
        &app,
        Method::POST,
        "/admin/impersonation/stop",
        &cookie,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "not_impersonating");
}

#[tokio::test]
async fn users_are_searched_filtered_and_paged() {
    let app = admin_app().await;
    let (_, admin) = signed_in_admin(&app).await;
    let mut emails = Vec::new();
    for _ in 0..3 {
        emails.push(verified_user(&app).await);
    }
    ban(&app, &emails[1]).await;
    let list = |query: String| {
        let (app, admin) = (&app, admin.clone());
        async move {
            call(
                app,
                Method::GET,
                &format!("/admin/users{query}"),
                &admin,
                None,
            )
            .await
        }
    };
    let all = list(String::new()).await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    assert_eq!(all.body["total"], 4);
    let newest = all.body["users"][0]["email"].as_str().unwrap();
    assert_eq!(newest, emails[2], "newest first");

    let needle = emails[0][5..15].to_uppercase();
    let found = list(format!("?search={needle}")).await;
    assert_eq!(
        found.body["total"], 1,
        "case-insensitive search: {:?}",
        found.body
    );
    assert_eq!(found.body["users"][0]["email"], emails[0]);

    let banned = list("?banned=true".to_owned()).await;
    assert_eq!(banned.body["total"], 1);
    assert_eq!(banned.body["users"][0]["email"], emails[1]);
    assert_eq!(banned.body["users"][0]["banned"], true);
    let admins = list("?role=admin".to_owned()).await;
    assert_eq!(admins.body["total"], 1);
    let users = list("?role=user&banned=false".to_owned()).await;
    assert_eq!(users.body["total"], 2);

    let page = list("?offset=1&limit=2".to_owned()).await;
    assert_eq!(page.body["total"], 4, "the total ignores the page");
    assert_eq!(page.body["users"].as_array().unwrap().len(), 2);
    assert_eq!(page.body["users"][0]["email"], emails[1]);

    for (query, code) in [
        ("?limit=0", "invalid_page"),
        ("?limit=101", "invalid_page"),
        ("?banned=maybe", "invalid_query"),
        ("?offset=-1", "invalid_query"),
        ("?offset=9223372036854775808", "invalid_page"),
        ("?search=a%00b", "invalid_characters"),
    ] {
        let r = list(query.to_owned()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {:?}", r.body);
        assert_eq!(r.code(), code, "{query}");
    }
}

#[tokio::test]
async fn an_admin_reads_and_updates_a_user_but_never_demotes_themselves() {
    let app = admin_app().await;
    let (admin_email, admin) = signed_in_admin(&app).await;
    let (email, user_cookie) = signed_in_user(&app).await;
    let id = id_of(&app, &email).await;

    let r = call(
        &app,
        Method::GET,
        &format!("/admin/users/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["email"], email.as_str());
    assert_eq!(
        r.body["sessions"].as_array().unwrap().len(),
        1,
        "the user's session"
    );
    let missing = uuid::Uuid::now_v7();
    let r = call(
        &app,
        Method::GET,
        &format!("/admin/users/{missing}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let update = json!({"role": "support", "display_name": "Ada L.", "email_verified": false});
    let r = call(
        &app,
        Method::PUT,
        &format!("/admin/users/{id}"),
        &admin,
        Some(update),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (
            &r.body["role"],
            &r.body["display_name"],
            &r.body["email_verified"]
        ),
        (&json!("support"), &json!("Ada L."), &json!(false))
    );
    // The change holds on the user's next request.
    let me = req(Method::GET, "/session")
        .cookie(&user_cookie)
        .send(&app.router)
        .await;
    assert_eq!(me.body["role"], "support");
    let r = call(
        &app,
        Method::PUT,
        &format!("/admin/users/{id}"),
        &admin,
        Some(json!({"display_name": null})),
    )
    .await;
    assert_eq!(r.body["display_name"], Value::Null, "null clears");
    assert_eq!(r.body["role"], "support", "absent fields stay");
    let audit = audit_types(&app, Some(id.parse().unwrap())).await;
    let (_, details) = audit
        .iter()
        .find(|(t, _)| t == "user_updated_by_admin")
        .expect("audited");
    assert_eq!(details["admin_id"], id_of(&app, &admin_email).await);

    for (body, code) in [
        (json!({"role": "Admin!"}), "invalid_role"),
        (json!({"role": ""}), "invalid_role"),
        (json!({"display_name": "a\u{0}b"}), "invalid_characters"),
        (json!({"banned": true}), "invalid_body"),
    ] {
        let r = call(
            &app,
            Method::PUT,
            &format!("/admin/users/{id}"),
            &admin,
            Some(body),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
        assert_eq!(r.code(), code);
    }

    let me_id = id_of(&app, &admin_email).await;
    let r = call(
        &app,
        Method::PUT,
        &format!("/admin/users/{me_id}"),
        &admin,
        Some(json!({"role": "user"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "self_modification");
    for path in [
        format!("/admin/users/{me_id}"),
        format!("/admin/users/{me_id}/ban"),
    ] {
        let method = if path.ends_with("ban") {
            Method::POST
        } else {
            Method::DELETE
        };
        let body = path.ends_with("ban").then(|| json!({}));
        let r = call(&app, method, &path, &admin, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.code(), "self_modification");
    }
    assert_eq!(stored_user(&app, &admin_email).await.role, "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_admins_removing_each_other_at_once_leave_one() {
    for action in ["demote", "delete"] {
        for round in 0..12 {
            let app = admin_app().await;
            let (a_email, a) = signed_in_admin(&app).await;
            let (b_email, b) = signed_in_admin(&app).await;
            let (a_id, b_id) = (id_of(&app, &a_email).await, id_of(&app, &b_email).await);
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
            let remove = |cookie: String, target: String| {
                let (router, start) = (app.router.clone(), start.clone());
                tokio::spawn(async move {
                    let path = format!("/admin/users/{target}");
                    let r = if action == "demote" {
                        req(Method::PUT, &path)
                            .cookie(&cookie)
                            .json(json!({"role": "user"}))
                    } else {
                        req(Method::DELETE, &path).cookie(&cookie)
                    };
                    start.wait().await;
                    r.send(&router).await
                })
            };
            let (first, second) = tokio::join!(remove(a, b_id), remove(b, a_id));
            let mut outcomes =
                [first.unwrap(), second.unwrap()].map(|r| (r.status, r.code().to_owned()));
            outcomes.sort();
            // The loser is refused by the last-admin guard, or, when the winner finished before
            // its request was authenticated, as a non-admin (403) or a deleted account (401).
            assert!(
                outcomes[0].0.is_success() && !outcomes[1].0.is_success(),
                "{action} round {round}: exactly one wins: {outcomes:?}"
            );
            assert!(
                ["last_admin", "forbidden", "unauthorized"].contains(&outcomes[1].1.as_str()),
                "{action}: {outcomes:?}"
            );
            let admins = app
                .yauth
                .state()
                .repos()
                .users
                .list_users(&yauth::store::UserQuery {
                    role: Some("admin".to_owned()),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(admins.total, 1, "{action}: one administrator remains");
        }
    }
}

#[tokio::test]
async fn deleting_a_user_ends_their_session_and_is_audited() {
    let app = admin_app().await;
    let (admin_email, admin) = signed_in_admin(&app).await;
    let (email, user_cookie) = signed_in_user(&app).await;
    let id = id_of(&app, &email).await;
    let r = call(
        &app,
        Method::DELETE,
        &format!("/admin/users/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = req(Method::GET, "/session")
        .cookie(&user_cookie)
        .send(&app.router)
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the session went with the user"
    );
    let r = call(
        &app,
        Method::DELETE,
        &format!("/admin/users/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let admin_id = id_of(&app, &admin_email).await;
    let audit = audit_types(&app, None).await;
    let (_, details) = audit
        .iter()
        .find(|(t, _)| t == "user_deleted")
        .expect("audited");
    assert_eq!(details["deleted_user_id"], id.as_str());
    assert_eq!(details["admin_id"], admin_id.as_str());
    // The same email may register again.
    let r = req(Method::POST, "/register")
        .json(json!({"email": email, "password": PASSWORD}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_ban_ends_the_session_the_bearer_token_and_the_api_key_at_once() {
    let app = admin_app().await;
    let (_, admin) = signed_in_admin(&app).await;
    let (email, cookie) = signed_in_user(&app).await;
    let key = req(Method::POST, "/api-keys")
        .cookie(&cookie)
        .json(json!({"name": "ci"}))
        .send(&app.router)
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{:?}", key.body);
    let key = key.body["key"].as_str().unwrap().to_owned();
    let tokens = password_token(&app, &email).await.body["tokens"].clone();
    let bearer = access(&tokens).to_owned();
    for (name, r) in [
        (
            "cookie",
            req(Method::GET, "/session")
                .cookie(&cookie)
                .send(&app.router)
                .await,
        ),
        ("bearer", session_with(&app, &bearer).await),
        ("api key", session_with(&app, &key).await),
    ] {
        assert_eq!(r.status, StatusCode::OK, "{name} before the ban");
    }

    let id = id_of(&app, &email).await;
    let until = (app.yauth.state().now() + Duration::days(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let r = call(
        &app,
        Method::POST,
        &format!("/admin/users/{id}/ban"),
        &admin,
        Some(json!({"reason": "chargeback fraud", "until": until})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["banned"], true);
    assert_eq!(r.body["banned_reason"], "chargeback fraud");

    let by_cookie = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(
        by_cookie.status,
        StatusCode::UNAUTHORIZED,
        "the session is gone"
    );
    for (name, r) in [
        ("bearer", session_with(&app, &bearer).await),
        ("api key", session_with(&app, &key).await),
    ] {
        assert!(
            matches!(r.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
            "{name} after the ban: {:?}",
            r
        );
    }
    let r = refresh(&app, refresh_token(&tokens)).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the refresh family is revoked"
    );
    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "account_banned");
    assert!(
        audit_types(&app, Some(id.parse().unwrap()))
            .await
            .iter()
            .any(|(t, d)| t == "user_banned" && d["reason"] == "chargeback fraud")
    );

    // Lifted, the account signs in again; the revoked credentials stay revoked.
    let r = call(
        &app,
        Method::POST,
        &format!("/admin/users/{id}/unban"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (&r.body["banned"], &r.body["banned_reason"]),
        (&json!(false), &Value::Null)
    );
    assert_eq!(login(&app, &email, PASSWORD).await.status, StatusCode::OK);
    assert_eq!(
        session_with(&app, &bearer).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        session_with(&app, &key).await.status,
        StatusCode::OK,
        "keys were never deleted"
    );
}

#[tokio::test]
async fn a_temporary_ban_ends_on_time_and_bad_bans_are_refused() {
    let app = admin_app().await;
    let (_, admin) = signed_in_admin(&app).await;
    let (other_admin, _) = signed_in_admin(&app).await;
    let email = verified_user(&app).await;
    let id = id_of(&app, &email).await;
    let rfc = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let now = app.yauth.state().now();
    let path = format!("/admin/users/{id}/ban");
    let r = call(
        &app,
        Method::POST,
        &path,
        &admin,
        Some(json!({"until": rfc(now - Duration::hours(1))})),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_ban_end");
    let r = call(
        &app,
        Method::POST,
        &path,
        &admin,
        Some(json!({"reason": "x\u{1b}[31m"})),
    )
    .await;
    assert_eq!(r.code(), "invalid_characters");
    let other = id_of(&app, &other_admin).await;
    let r = call(
        &app,
        Method::POST,
        &format!("/admin/users/{other}/ban"),
        &admin,
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "admin_protected");

    let r = call(
        &app,
        Method::POST,
        &path,
        &admin,
        Some(json!({"until": rfc(now + Duration::hours(2))})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(login(&app, &email, PASSWORD).await.code(), "account_banned");
    app.clock.advance(Duration::hours(3));
    assert_eq!(
        login(&app, &email, PASSWORD).await.status,
        StatusCode::OK,
        "the ban ended on its own"
    );
}

#[tokio::test]
async fn sessions_are_listed_per_user_and_terminated() {
    let app = admin_app().await;
    let (_, admin) = signed_in_admin(&app).await;
    let (email, first) = signed_in_user(&app).await;
    let second = login(&app, &email, PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let id = id_of(&app, &email).await;

    let all = call(&app, Method::GET, "/admin/sessions", &admin, None).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body["total"], 3, "the admin's and the user's two");
    let mine = call(
        &app,
        Method::GET,
        &format!("/admin/sessions?user_id={id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(mine.body["total"], 2);
    let paged = call(
        &app,
        Method::GET,
        &format!("/admin/sessions?user_id={id}&limit=1&offset=1"),
        &admin,
        None,
    )
    .await;
    assert_eq!(
        (
            paged.body["total"].as_u64(),
            paged.body["sessions"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    let sessions = mine.body["sessions"].as_array().unwrap();
    assert!(
        sessions
            .iter()
            .all(|s| s["user_id"] == id.as_str() && s.get("token_hash").is_none())
    );
    // Newest first: the second login's session.
    let newest = sessions[0]["id"].as_str().unwrap().to_owned();

    let r = call(
        &app,
        Method::DELETE,
        &format!("/admin/sessions/{newest}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = req(Method::GET, "/session")
        .cookie(&second)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "terminated");
    let r = req(Method::GET, "/session")
        .cookie(&first)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "the other session lives on");
    let r = call(
        &app,
        Method::DELETE,
        &format!("/admin/sessions/{newest}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        audit_types(&app, Some(id.parse().unwrap()))
            .await
            .iter()
            .any(|(t, d)| t == "session_terminated" && d["session_id"] == newest.as_str())
    );
    let r = call(
        &app,
        Method::GET,
        "/admin/sessions?user_id=nope",
        &admin,
        None,
    )
    .await;
    assert_eq!(r.code(), "invalid_query");
}

#[tokio::test]
async fn impersonation_is_short_restricted_audited_and_returns_the_admin() {
    let app = admin_app().await;
    let (admin_email, admin) = signed_in_admin(&app).await;
    let (email, _) = signed_in_user(&app).await;
    let (id, admin_id) = (id_of(&app, &email).await, id_of(&app, &admin_email).await);
    let path = format!("/admin/users/{id}/impersonate");

    let r = call(&app, Method::POST, &path, &admin, None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["email"], email.as_str());
    let as_user = r
        .session_cookie()
        .expect("the session cookie now impersonates");
    let stash = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("yauth_session_admin="))
        .expect("the admin's own session is kept aside");
    assert!(stash.contains("HttpOnly"), "{stash}");
    let stash = stash.split(';').next().unwrap().to_owned();
    assert_eq!(
        stash.split_once('=').unwrap().1,
        admin.split_once('=').unwrap().1
    );

    let me = req(Method::GET, "/session")
        .cookie(&as_user)
        .send(&app.router)
        .await;
    assert_eq!(me.body["email"], email.as_str());
    assert_eq!(me.body["impersonator_id"], admin_id.as_str());
    let key = req(Method::POST, "/api-keys")
        .cookie(&as_user)
        .json(json!({"name": "backdoor"}))
        .send(&app.router)
        .await;
    assert_eq!(
        key.status,
        StatusCode::FORBIDDEN,
        "no step-up while impersonating"
    );
    assert_eq!(key.code(), "impersonation_restricted");
    let r = req(Method::GET, "/admin/users")
        .cookie(&as_user)
        .send(&app.router)
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the user's rights, not the admin's"
    );

    let both = format!("{as_user}; {stash}");
    let r = req(Method::POST, "/admin/impersonation/stop")
        .cookie(&both)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["email"], admin_email.as_str());
    let back = r.session_cookie().expect("the admin's session is back");
    assert_eq!(back, admin);
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("yauth_session_admin=;"))
    );
    let r = req(Method::GET, "/session")
        .cookie(&as_user)
        .send(&app.router)
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the impersonation session is gone"
    );
    let r = req(Method::GET, "/session")
        .cookie(&admin)
        .send(&app.router)
        .await;
    assert_eq!(r.body["role"], "admin");

    let audit = audit_types(&app, Some(id.parse().unwrap())).await;
    for event in ["impersonation_started", "impersonation_stopped"] {
        let (_, details) = audit.iter().find(|(t, _)| t == event).expect(event);
        assert_eq!(details["admin_id"], admin_id.as_str(), "{event}");
    }

    // Short-lived: past its TTL the impersonation session is over, whatever the session TTL.
    let r = call(&app, Method::POST, &path, &admin, None).await;
    let as_user = r.session_cookie().unwrap();
    app.clock.advance(Duration::minutes(16));
    let r = req(Method::GET, "/session")
        .cookie(&as_user)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn impersonation_needs_step_up_a_session_and_a_non_admin_target() {
    let app = admin_app().await;
    let (_, admin) = signed_in_admin(&app).await;
    let (other_admin, _) = signed_in_admin(&app).await;
    let email = verified_user(&app).await;
    let id = id_of(&app, &email).await;
    let other = id_of(&app, &other_admin).await;
    let r = call(
        &app,
        Method::POST,
        &format!("/admin/users/{other}/impersonate"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "admin_protected");
    ban(&app, &email).await;
    let r = call(
        &app,
        Method::POST,
        &format!("/admin/users/{id}/impersonate"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.code(), "account_banned");

    app.clock.advance(Duration::minutes(11));
    let email = verified_user(&app).await;
    let id = id_of(&app, &email).await;
    let r = call(
        &app,
        Method::POST,
        &format!("/admin/users/{id}/impersonate"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "reauthentication_required");

    // An admin signed in with a bearer token cannot: there is no session to return to.
    let (admin_email, _) = signed_in_admin(&app).await;
    let tokens = password_token(&app, &admin_email).await.body["tokens"].clone();
    let r = with_bearer(
        Method::POST,
        &format!("/admin/users/{id}/impersonate"),
        access(&tokens),
    )
    .send(&app.router)
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.code(), "session_required");

    let off = admin_app_with(AdminConfig {
        allow_impersonation: false,
        ..AdminConfig::default()
    })
    .await;
    let (_, admin) = signed_in_admin(&off).await;
    let email = verified_user(&off).await;
    let id = id_of(&off, &email).await;
    let r = call(
        &off,
        Method::POST,
        &format!("/admin/users/{id}/impersonate"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.code(), "impersonation_disabled");
}

#[tokio::test]
async fn a_bootstrap_email_becomes_admin_only_once_verified() {
    let wanted = unique_email();
    let app = admin_app_with(AdminConfig {
        bootstrap_admins: vec![wanted.to_uppercase()],
        ..AdminConfig::default()
    })
    .await;
    let r = req(Method::POST, "/register")
        .json(json!({"email": wanted, "password": PASSWORD}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    // Unverified: signing in (where the configuration allows it) promotes nobody.
    let _ = login(&app, &wanted, PASSWORD).await;
    assert_eq!(stored_user(&app, &wanted).await.role, "user");
    mail_to(&app, &wanted).await;
    let token = token_from_mail(&app, &wanted);
    let r = req(Method::POST, "/verify-email")
        .json(json!({"token": token}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = login(&app, &wanted, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    let cookie = r.session_cookie().unwrap();
    let r = req(Method::GET, "/admin/users")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "promoted: {:?}", r.body);
    let id = stored_user(&app, &wanted).await.id;
    assert!(
        audit_types(&app, Some(id))
            .await
            .iter()
            .any(|(t, _)| t == "admin_bootstrapped")
    );

    let bad = YAuthTestBuild::admin(AdminConfig {
        impersonation_ttl: Duration::hours(2),
        ..AdminConfig::default()
    })
    .await;
    assert!(bad.contains("impersonation_ttl"), "{bad}");
    let bad = YAuthTestBuild::admin(AdminConfig {
        bootstrap_admins: vec!["not an email".to_owned()],
        ..AdminConfig::default()
    })
    .await;
    assert!(bad.contains("bootstrap_admins"), "{bad}");
}

/// The error `build()` gives for an admin configuration.
struct YAuthTestBuild;

impl YAuthTestBuild {
    async fn admin(config: AdminConfig) -> String {
        match yauth::YAuthBuilder::new(yauth_store::InMemoryBackend::new(), test_config(ORIGIN))
            .with_admin(config)
            .build()
            .await
        {
            Ok(_) => panic!("an invalid admin configuration was accepted"),
            Err(error) => error.to_string(),
        }
    }
}

/// The user search is index-backed on PostgreSQL: with 20,000 users, PostgreSQL's planner
/// answers the backends' search predicate from the trigram indexes, not a scan of the table.
/// The rows go in and out in one transaction; the GIN pending list is merged as autovacuum would
/// in a live database (unmerged, the planner prices the index scans too high).
#[tokio::test]
async fn the_user_search_uses_the_trigram_indexes_on_postgres() {
    use sqlx::Connection;
    let Some(url) = backends::database_url("admin", backends::Family::Postgres) else {
        return;
    };
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut tx = sqlx::Connection::begin(&mut db).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO yauth_users (id, email, display_name, email_verified, role, banned, \
         created_at, updated_at) \
         SELECT gen_random_uuid(), 'plan-' || n || '@example.com', 'Plan User ' || n, true, \
         'user', false, now(), now() FROM generate_series(1, 20000) AS n; \
         SELECT gin_clean_pending_list('yauth_users_email_trgm'), \
         gin_clean_pending_list('yauth_users_display_name_trgm'); \
         ANALYZE yauth_users",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    // The predicate the sqlx, diesel and SeaORM backends send for a search.
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT id FROM yauth_users WHERE \
         email ILIKE $1 ESCAPE '\\' OR display_name ILIKE $1 ESCAPE '\\'",
    )
    .bind("%user 1234%")
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let plan = plan.join("\n");
    tx.rollback().await.unwrap();
    println!("{plan}");
    assert!(
        plan.contains("yauth_users_email_trgm") && plan.contains("yauth_users_display_name_trgm"),
        "both trigram indexes serve the search:\n{plan}"
    );
    assert!(!plan.contains("Seq Scan"), "no full scan:\n{plan}");
}
