//! The full example as an OpenID Provider, driven by a certified relying-party library:
//! openid-client 6 (`tests/relying-party/rp.mjs`, on Node.js) discovers the provider, signs a
//! user in with the authorization code grant (PKCE, state, nonce; it validates the id_token
//! against the JWKS), reads `/userinfo`, refreshes, runs the device grant with the demo client
//! seeded at start, registers a confidential client of its own (RFC 7591) that uses client
//! credentials, introspection and revocation, and logs out (RP-initiated). The server runs on
//! loopback over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;

use serde_json::{Value, json};
use yauth_example_full::{API_PREFIX, AdminAccount, DEMO_CLIENT_ID, Secret, Settings, app};

const PASSWORD: &str = "correct-horse-battery-staple-42";
const CALLBACK: &str = "http://127.0.0.1:8123/callback";
const REGISTRATION_TOKEN: &str = "an-initial-access-token-for-the-relying-party-test";

/// Node.js with the relying party's packages (`npm ci` in `tests/relying-party`), or why not.
fn relying_party() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/relying-party");
    let ready = dir.join("node_modules/openid-client").is_dir()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if ready {
        return Some(dir);
    }
    let why = format!(
        "the relying party needs node and `npm ci --prefix {}`",
        dir.display()
    );
    if std::env::var("YAUTH_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("{why}");
    }
    eprintln!("skipping: {why}");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certified_relying_party_uses_every_grant_and_endpoint() {
    let Some(rp_dir) = relying_party() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = Settings::new();
    // A host name, as WebAuthn wants; Node is told to reach it over IPv4, where we listen.
    settings.base_url = format!("http://localhost:{port}");
    settings.database_url = format!("sqlite://{}", dir.path().join("example.db").display());
    settings.mail_log = dir.path().join("mail.log");
    settings.key_file = dir.path().join("example.key");
    settings.demo_client_redirect_uris = vec![CALLBACK.to_owned()];
    settings.registration_token = Some(Secret(REGISTRATION_TOKEN.to_owned()));
    let email = "relying-party-user@example.com";
    settings.admin = Some(AdminAccount {
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
    });
    let example = app(&settings).await.unwrap();
    let router = example.router.clone();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });

    let base = settings.base_url.clone();
    let issuer = format!("{base}{API_PREFIX}");
    let http = reqwest::Client::builder()
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], port)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .post(format!("{issuer}/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "{:?}", login.text().await);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let user_id = example
        .yauth
        .state()
        .repos()
        .users
        .find_user_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();

    let run = tokio::process::Command::new("node")
        .arg("--dns-result-order=ipv4first")
        .arg("rp.mjs")
        .current_dir(&rp_dir)
        .env("ISSUER", &issuer)
        .env("CLIENT_ID", DEMO_CLIENT_ID)
        .env("REDIRECT_URI", CALLBACK)
        .env("COOKIE", &cookie)
        .env("ORIGIN", &base)
        .env("REGISTRATION_TOKEN", REGISTRATION_TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    // The device grant polls every 5 seconds; the rest takes well under one.
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("the relying party finishes")
        .unwrap();
    server.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the relying party failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();

    assert_eq!(report["metadata_issuer"], json!(issuer));
    assert_eq!(
        report["rfc8414_token_endpoint"],
        json!(format!("{issuer}/oauth/token"))
    );
    assert_eq!(report["consent_client"], json!(DEMO_CLIENT_ID));
    let claims = &report["id_token_claims"];
    assert_eq!(claims["iss"], json!(issuer));
    assert_eq!(claims["sub"], json!(user_id));
    assert_eq!(claims["aud"], json!(DEMO_CLIENT_ID));
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert!(claims["auth_time"].is_i64() && claims["at_hash"].is_string());
    assert_eq!(
        report["scope"],
        json!("openid email profile offline_access")
    );
    assert_eq!(
        report["userinfo"],
        json!({"sub": user_id, "email": email, "email_verified": true})
    );
    assert_eq!(report["refreshed"], json!(true));
    assert_eq!(report["device_scope"], json!("openid profile"));
    assert_eq!(report["device_access_token"], json!(true));
    let machine = report["registered_client_id"].as_str().unwrap();
    assert_ne!(machine, DEMO_CLIENT_ID);
    assert_eq!(report["machine_scope"], json!("profile"));
    assert_eq!(report["introspected_active"], json!(true));
    assert_eq!(report["introspected_client_id"], json!(machine));
    assert_eq!(report["introspected_sub"], json!(machine));
    assert_eq!(report["active_after_revocation"], json!(false));
    assert_eq!(report["end_session_status"], json!(303));
    assert_eq!(
        report["end_session_location"],
        json!(format!("{CALLBACK}?state=signed-out"))
    );
    assert_eq!(report["session_after_logout"], json!(401));
}
