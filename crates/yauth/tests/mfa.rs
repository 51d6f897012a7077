//! The mfa plugin through HTTP. Every TOTP code comes from `oathtool` (an independent RFC 6238
//! implementation), computed for the app's clock. Every case runs on every database family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
mod common;
#[path = "common/families.rs"]
mod families;
#[path = "common/mfa.rs"]
mod mfa_support;

use axum::http::{Method, StatusCode};
use backends::Family;
use common::*;
use mfa_support::*;
use serde_json::json;
use yauth::plugins::mfa::MfaConfig;
use yauth::{BuildError, YAuthBuilder, YAuthConfig};

on_every_family!(
    a_login_with_mfa_on_needs_the_second_factor,
    a_replayed_code_is_refused,
    the_sixth_attempt_finds_the_pending_login_void,
    a_pending_login_expires,
    setup_never_confirmed_never_enables_mfa,
    the_secret_is_sealed_at_rest,
    backup_codes_work_once_and_can_be_regenerated,
    turning_mfa_off_needs_a_fresh_sign_in_and_a_code,
);

/// The app with the mfa plugin on `family`.
async fn on(family: Family) -> Option<TestApp> {
    families::app_in("mfa", family, test_config(ORIGIN), ep_config(), with_mfa).await
}

async fn a_login_with_mfa_on_needs_the_second_factor(family: Family) {
    let Some(app) = on(family).await else { return };
    let user = enrolled(&app).await;
    let pending = pending_login(&app, &user.email).await;
    let r = verify(&app, &pending, &code_now(&app, &user.secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["email"], json!(user.email));
    assert_eq!(r.body["user"]["amr"], json!(["pwd", "otp", "mfa"]));
    let cookie = r
        .session_cookie()
        .expect("a session after the second factor");
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["amr"], json!(["pwd", "otp", "mfa"]));
    // The pending login is spent.
    let r = verify(&app, &pending, &code_now(&app, &user.secret)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_mfa_session");
}

async fn a_replayed_code_is_refused(family: Family) {
    let Some(app) = on(family).await else { return };
    let user = enrolled(&app).await;
    let code = code_now(&app, &user.secret);
    let first = pending_login(&app, &user.email).await;
    assert_eq!(verify(&app, &first, &code).await.status, StatusCode::OK);
    let second = pending_login(&app, &user.email).await;
    let r = verify(&app, &second, &code).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_mfa_code");
    // The code of the previous step (inside the skew) is older than the spent one: refused too.
    app.clock.advance(time::Duration::seconds(-30));
    let older = code_now(&app, &user.secret);
    app.clock.advance(time::Duration::seconds(30));
    assert_eq!(
        verify(&app, &second, &older).await.code(),
        "invalid_mfa_code"
    );
    next_step(&app);
    let r = verify(&app, &second, &code_now(&app, &user.secret)).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a fresh step still works: {:?}",
        r.body
    );
}

async fn the_sixth_attempt_finds_the_pending_login_void(family: Family) {
    let Some(app) = on(family).await else { return };
    let user = enrolled(&app).await;
    let pending = pending_login(&app, &user.email).await;
    for wrong in ["000000", "111111", "222222", "333333", "444444"] {
        let r = verify(&app, &pending, wrong).await;
        assert_eq!(r.code(), "invalid_mfa_code", "{:?}", r.body);
    }
    let right = code_now(&app, &user.secret);
    let r = verify(&app, &pending, &right).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "mfa_attempts_exhausted");
    assert_eq!(
        verify(&app, &pending, &right).await.code(),
        "invalid_mfa_session"
    );
    // A new login starts over.
    let fresh = pending_login(&app, &user.email).await;
    assert_eq!(verify(&app, &fresh, &right).await.status, StatusCode::OK);
}

async fn a_pending_login_expires(family: Family) {
    let Some(app) = on(family).await else { return };
    let user = enrolled(&app).await;
    let pending = pending_login(&app, &user.email).await;
    app.clock.advance(time::Duration::minutes(6));
    let r = verify(&app, &pending, &code_now(&app, &user.secret)).await;
    assert_eq!(r.code(), "invalid_mfa_session");
}

async fn setup_never_confirmed_never_enables_mfa(family: Family) {
    let Some(app) = on(family).await else { return };
    let (email, cookie) = signed_in_user(&app).await;
    let r = req(Method::POST, "/mfa/totp/setup")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.body["mfa_required"], json!(false), "{:?}", r.body);
    assert!(r.session_cookie().is_some());
    let r = req(Method::GET, "/mfa/backup-codes")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A wrong confirmation code leaves it off as well.
    let r = req(Method::POST, "/mfa/totp/confirm")
        .cookie(&cookie)
        .json(json!({ "code": "000000" }))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "invalid_mfa_code");
    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.body["mfa_required"], json!(false));
}

async fn the_secret_is_sealed_at_rest(family: Family) {
    let Some(app) = on(family).await else { return };
    let user = enrolled(&app).await;
    let id = stored_user(&app, &user.email).await.id;
    let mfa = app.yauth.state().repos().mfa.clone().unwrap();
    let stored = mfa.find_totp_secret(id).await.unwrap().unwrap();
    assert!(stored.verified);
    assert!(
        stored.encrypted_secret.starts_with("y1.k1."),
        "{}",
        stored.encrypted_secret
    );
    assert!(!stored.encrypted_secret.contains(&user.secret));
    // It opens with the ring, at its own row only, to the secret the user was shown.
    let ring = app.yauth.state().key_ring().unwrap();
    let row = stored.id.to_string();
    let place = yauth::keyring::SealedPlace::new(yauth::store::SealedColumn::TotpSecret, &row);
    let plain = ring.open(&place, &stored.encrypted_secret).unwrap();
    assert_eq!(base32(&plain), user.secret);
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = String::new();
    for b in bytes {
        bits.push_str(&format!("{b:08b}"));
    }
    bits.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let mut v = 0usize;
            for (i, bit) in chunk.iter().enumerate() {
                v |= usize::from(*bit == b'1') << (4 - i);
            }
            char::from(ALPHABET[v])
        })
        .collect()
}

async fn backup_codes_work_once_and_can_be_regenerated(family: Family) {
    let Some(app) = on(family).await else { return };
    let user = enrolled(&app).await;
    let count = |cookie: String| {
        let router = app.router.clone();
        async move {
            let r = req(Method::GET, "/mfa/backup-codes")
                .cookie(&cookie)
                .send(&router)
                .await;
            r.body["remaining"].as_u64().unwrap()
        }
    };
    assert_eq!(count(user.cookie.clone()).await, 10);
    let code = user.backup_codes[0].clone();
    let pending = pending_login(&app, &user.email).await;
    let r = verify(&app, &pending, &code.to_uppercase()).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "typed in capitals still works: {:?}",
        r.body
    );
    assert_eq!(count(user.cookie.clone()).await, 9);
    let again = pending_login(&app, &user.email).await;
    assert_eq!(verify(&app, &again, &code).await.code(), "invalid_mfa_code");

    let r = req(Method::POST, "/mfa/backup-codes/regenerate")
        .cookie(&user.cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let fresh: Vec<String> = serde_json::from_value(r.body["backup_codes"].clone()).unwrap();
    assert_eq!(count(user.cookie.clone()).await, 10);
    assert_eq!(
        verify(&app, &again, &user.backup_codes[1]).await.code(),
        "invalid_mfa_code",
        "old codes stop working"
    );
    assert_eq!(verify(&app, &again, &fresh[0]).await.status, StatusCode::OK);
}

async fn turning_mfa_off_needs_a_fresh_sign_in_and_a_code(family: Family) {
    let Some(app) = on(family).await else { return };
    let user = enrolled(&app).await;
    let disable = |cookie: String, code: String| {
        let router = app.router.clone();
        async move {
            req(Method::DELETE, "/mfa/totp")
                .cookie(&cookie)
                .json(json!({ "code": code }))
                .send(&router)
                .await
        }
    };
    let r = disable(user.cookie.clone(), "000000".into()).await;
    assert_eq!(r.code(), "invalid_mfa_code");
    app.clock.advance(time::Duration::minutes(11));
    let r = disable(user.cookie.clone(), code_now(&app, &user.secret)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "reauthentication_required");
    let pending = pending_login(&app, &user.email).await;
    let r = verify(&app, &pending, &code_now(&app, &user.secret)).await;
    let fresh = r.session_cookie().unwrap();
    next_step(&app);
    let r = disable(fresh, code_now(&app, &user.secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = login(&app, &user.email, PASSWORD).await;
    assert_eq!(
        r.body["mfa_required"],
        json!(false),
        "MFA is off: {:?}",
        r.body
    );
    let events = audit_event_types(&app).await;
    assert!(
        events.iter().any(|e| e == "mfa_enabled") && events.iter().any(|e| e == "mfa_disabled"),
        "{events:?}"
    );
}

#[tokio::test]
async fn mfa_without_a_key_ring_is_refused_at_build() {
    let built = YAuthBuilder::new(
        yauth::store::InMemoryBackend::new(),
        YAuthConfig::new("http://localhost:3000"),
    )
    .with_mfa(MfaConfig::default())
    .build()
    .await;
    match built {
        Err(error @ BuildError::MissingKeyRing { plugin: "mfa" }) => {
            assert!(error.to_string().contains("with_secret_key"), "{error}");
        }
        other => panic!("expected MissingKeyRing, got {:?}", other.map(drop)),
    }
}
