//! The full example works on each dialect: register, verify (token from the mail log), login,
//! session, and the admin account created (or promoted) at start, idempotently.
//!
//! SQLite always runs. PostgreSQL and MySQL/MariaDB come from `YAUTH_TEST_POSTGRES_URL` and
//! `YAUTH_TEST_MYSQL_URL` (defaults `postgres://postgres@127.0.0.1:5432/test`,
//! `mysql://root@127.0.0.1:3306/test`); each test creates a fresh database and drops it after.
//! A missing server skips with a notice, or fails with `YAUTH_REQUIRE_SERVICES=1`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, Executor};
use tower::ServiceExt;
use yauth_example_full::{AdminAccount, Settings, app};

const PASSWORD: &str = "correct-horse-battery-staple-42";

/// A request authenticated by one header (a bearer token or an API key), with no cookie.
async fn send_with(
    router: &axum::Router,
    method: &str,
    path: &str,
    (name, value): (&str, &str),
    body: Option<Value>,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(format!("/api/auth{path}"))
        .header(name, value)
        .header(header::CONTENT_TYPE, "application/json");
    let mut request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// One request through the router, as from a client on loopback; returns status, the
/// `Set-Cookie` header (if any) and the JSON body.
async fn call(
    router: &axum::Router,
    method: &str,
    path: &str,
    body: Option<Value>,
    cookie: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/api/auth{path}"));
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let mut request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    // What `into_make_service_with_connect_info` gives yauth in the real server.
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let set_cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, set_cookie, json)
}

/// The verification token in the newest email to `to`, waiting for the background send.
async fn token_from_mail_log(log: &Path, to: &str) -> String {
    for _ in 0..100 {
        if let Ok(text) = tokio::fs::read_to_string(log).await
            && let Some(entry) = text
                .split("\n---\n")
                .filter(|e| e.starts_with(&format!("To: {to}\n")))
                .last()
            && let Some(start) = entry.find("token=")
        {
            let token: String = entry[start + "token=".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            return token;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no verification email to {to} in {}", log.display());
}

/// Signs in and returns the session cookie (`name=value`).
async fn login(router: &axum::Router, email: &str) -> String {
    let (status, cookie, body) = call(
        router,
        "POST",
        "/login",
        Some(json!({"email": email, "password": PASSWORD})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "login of {email}: {body}");
    let cookie = cookie.expect("login sets the session cookie");
    cookie.split(';').next().unwrap().to_owned()
}

/// Signs in and returns `/session`'s body.
async fn session_of(router: &axum::Router, email: &str) -> Value {
    let cookie = login(router, email).await;
    let (status, _, body) = call(router, "GET", "/session", None, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "/session of {email}: {body}");
    body
}

/// The whole flow on the database at `database_url`.
async fn exercise(database_url: String, redis_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::new();
    settings.database_url = database_url;
    settings.redis_url = redis_url;
    settings.mail_log = dir.path().join("mail.log");
    settings.key_file = dir.path().join("example.key");
    settings.admin = Some(AdminAccount {
        email: "admin@example.com".to_owned(),
        password: PASSWORD.to_owned(),
    });
    let example = app(&settings).await.unwrap();
    // Without YAUTH_SECRET_KEYS a development key is created, for its owner's eyes only.
    let key_file = std::fs::metadata(&settings.key_file).expect("the key file exists");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(key_file.permissions().mode() & 0o777, 0o600);
    }
    let router = &example.router;

    let (status, _, body) = call(router, "GET", "/status", None, None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "status without a session: {body}"
    );

    let email = "ada@example.com";
    let (status, _, body) = call(
        router,
        "POST",
        "/register",
        Some(json!({"email": email, "password": PASSWORD})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "register: {body}");
    let token = token_from_mail_log(&settings.mail_log, email).await;
    let (status, _, body) = call(
        router,
        "POST",
        "/verify-email",
        Some(json!({"token": token})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "verify: {body}");
    let session = session_of(router, email).await;
    assert_eq!(session["email"], email);
    assert_eq!(session["email_verified"], true);
    assert_eq!(session["role"], "user");

    // Every plugin the example promises is enabled.
    let cookie = login(router, email).await;
    let (status, _, body) = call(router, "GET", "/status", None, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "status: {body}");
    assert_eq!(
        body["plugins"],
        json!([
            "email-password",
            "magic-link",
            "mfa",
            "passkey",
            "bearer",
            "api-key",
            "admin",
            "account-lockout",
            "oauth",
            "oauth2-server",
            "oidc",
            "webhooks",
            "status"
        ])
    );
    // Webhooks are for administrators; their outbox tables exist on every database.
    let (status, _, body) = call(router, "GET", "/webhooks", None, Some(&cookie)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "webhooks: {body}");

    // Tokens and API keys on the real database: sign in for tokens, rotate, catch a replay.
    let (status, _, body) = call(
        router,
        "POST",
        "/token",
        Some(json!({"email": email, "password": PASSWORD})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "token: {body}");
    let first_refresh = body["tokens"]["refresh_token"].as_str().unwrap().to_owned();
    let access = body["tokens"]["access_token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {access}");
    let (status, me) = send_with(router, "GET", "/session", ("authorization", &bearer), None).await;
    assert_eq!(status, StatusCode::OK, "bearer session: {me}");
    assert_eq!(me["auth_method"], "Bearer");
    let (status, body) = send_with(
        router,
        "POST",
        "/api-keys",
        ("authorization", &bearer),
        Some(json!({"name": "smoke", "scopes": ["reports:read"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "api key: {body}");
    let key = body["key"].as_str().unwrap().to_owned();
    let refresh = |token: String| {
        call(
            router,
            "POST",
            "/token/refresh",
            Some(json!({"refresh_token": token})),
            None,
        )
    };
    let (status, _, body) = refresh(first_refresh.clone()).await;
    assert_eq!(status, StatusCode::OK, "refresh: {body}");
    let (status, _, body) = refresh(first_refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "replayed refresh: {body}");
    assert_eq!(body["error"]["code"], "refresh_token_reused");
    let (status, _) = send_with(router, "GET", "/session", ("authorization", &bearer), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the replay revoked the access token"
    );
    let (status, me) = send_with(router, "GET", "/session", ("x-api-key", &key), None).await;
    assert_eq!(status, StatusCode::OK, "api-key session: {me}");
    assert_eq!(me["auth_method"], "ApiKey");
    assert_eq!(me["scopes"], json!(["reports:read"]));

    let admin = session_of(router, "admin@example.com").await;
    assert_eq!(admin["role"], "admin");
    assert_eq!(admin["email_verified"], true);
    let admin_cookie = login(router, "admin@example.com").await;
    let search = "/admin/users?search=ADA%40example";
    let (status, _, users) = call(router, "GET", search, None, Some(&admin_cookie)).await;
    assert_eq!(status, StatusCode::OK, "admin user search: {users}");
    assert_eq!(users["total"], 1, "{users}");
    assert_eq!(users["users"][0]["email"], email);
    let (status, _, body) = call(router, "GET", search, None, Some(&cookie)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a user on an admin route: {body}"
    );

    // A restart with the same admin settings changes nothing (the migrations are applied too).
    let example = app(&settings).await.unwrap();
    let router = &example.router;
    assert_eq!(
        session_of(router, "admin@example.com").await["role"],
        "admin"
    );

    // Naming an existing account makes it an admin, password untouched.
    settings.admin = Some(AdminAccount {
        email: email.to_owned(),
        password: "a-different-password-never-used".to_owned(),
    });
    let example = app(&settings).await.unwrap();
    let router = &example.router;
    assert_eq!(session_of(router, email).await["role"], "admin");
}

#[tokio::test]
async fn full_example_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("example.db").display());
    exercise(url, None).await;
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let base = base[authority..]
        .find('/')
        .map_or(base, |slash| &base[..authority + slash]);
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

fn fresh_name() -> String {
    format!("yauth_example_full_{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn full_example_on_postgres() {
    let server = yauth_test_support::postgres_url();
    let mut admin = match sqlx::PgConnection::connect(&server).await {
        Ok(c) => c,
        Err(e) => return yauth_test_support::service_missing("PostgreSQL", &e.to_string()),
    };
    let name = fresh_name();
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    // Run the flow in its own task so that a failure still drops the database.
    // PostgreSQL with the Redis cache, as a deployment of several replicas runs.
    let redis = yauth_test_support::redis_url();
    let reachable = match yauth::cache::redis::Client::open(redis.as_str()) {
        Ok(client) => client.get_multiplexed_async_connection().await.map(drop),
        Err(error) => Err(error),
    };
    let redis = match reachable {
        Ok(()) => Some(redis),
        Err(error) => {
            yauth_test_support::service_missing("Redis", &error.to_string());
            None
        }
    };
    let outcome = tokio::spawn(exercise(with_database(&server, &name), redis)).await;
    // FORCE: the purge task of the routers may still hold connections.
    admin
        .execute(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await
        .unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}

#[tokio::test]
async fn full_example_on_mysql() {
    let server = yauth_test_support::mysql_url();
    let mut admin = match sqlx::MySqlConnection::connect(&server).await {
        Ok(c) => c,
        Err(e) => return yauth_test_support::service_missing("MySQL/MariaDB", &e.to_string()),
    };
    let name = fresh_name();
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let outcome = tokio::spawn(exercise(with_database(&server, &name), None)).await;
    admin
        .execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
        .await
        .unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}
