//! The passkey plugin through HTTP, with real WebAuthn ceremonies: the server side is
//! webauthn-rs, the client side webauthn-authenticator-rs's software authenticators
//! (`SoftPasskey`, and `SoftToken` where a test needs an AAGUID or a snapshot of the
//! authenticator's state).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
mod common;
#[path = "common/families.rs"]
mod families;
#[path = "common/passkey.rs"]
mod passkey_support;

use axum::http::{Method, StatusCode};
use backends::Family;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use passkey_support::*;
use serde_json::{Value, json};
use webauthn_authenticator_rs::prelude::{CreationChallengeResponse, Url, WebauthnAuthenticator};
use webauthn_authenticator_rs::softtoken::{self, SoftToken};
use yauth::plugins::passkey::{CounterPolicy, PasskeyConfig};
use yauth::{BuildError, YAuthBuilder};

on_every_family!(
    a_registered_passkey_signs_in_without_a_username,
    conditional_mediation_is_asked_for_explicitly,
    an_email_hint_offers_that_accounts_passkeys,
    an_email_hint_for_an_unknown_address_looks_like_a_real_one,
    a_replayed_assertion_is_refused,
    concurrent_finishes_of_one_ceremony_create_one_session,
    an_assertion_made_for_another_origin_is_refused,
    a_credential_from_another_registration_origin_is_refused,
    a_cloned_authenticator_whose_counter_goes_back_is_refused,
    the_counter_is_stored_after_each_sign_in_and_a_regression_policy_applies,
    passkeys_are_listed_renamed_and_deleted,
    registering_and_deleting_need_a_recent_sign_in,
    a_ceremony_expires_and_belongs_to_its_user,
    a_user_handle_of_another_account_is_refused,
    malformed_browser_answers_are_client_errors,
);

/// The app with the passkey plugin configured as `config` on `family`, its rate limits on but
/// high (a database outlives one run, and its counters with it).
async fn pk_on(family: Family, mut config: PasskeyConfig) -> Option<TestApp> {
    let generous = yauth::RateLimit::new(100_000, time::Duration::minutes(1));
    config.login_start_rate_limit = generous;
    config.login_finish_rate_limit = generous;
    let extra = move |b: YAuthBuilder| b.with_passkey(config);
    families::app_in("passkey", family, test_config(ORIGIN), ep_config(), extra).await
}

async fn a_registered_passkey_signs_in_without_a_username(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut authenticator = soft_passkey();
    let info = register(&app, &cookie, &mut authenticator).await;
    assert_eq!(info["name"], "My key");
    assert_eq!(info["last_used_at"], Value::Null);

    let (challenge_id, options) = login_begin(&app, None).await;
    assert_eq!(options["publicKey"]["rpId"], "localhost");
    assert_eq!(options["publicKey"]["userVerification"], "required");
    assert_eq!(options["publicKey"]["allowCredentials"], json!([]));
    assert!(options.get("mediation").is_none(), "modal unless asked");
    let (id, user_id) = credential_id_of(&app, &email).await;
    let assertion = assert_with(&mut authenticator, &options, Some((&id, user_id)), origin());
    let r = login_finish(&app, &challenge_id, &assertion).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["email"], json!(email));
    assert_eq!(r.body["user"]["amr"], json!(["hwk", "user"]));
    let session = r.session_cookie().expect("a session cookie");
    let r = req(Method::GET, "/session")
        .cookie(&session)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["amr"], json!(["hwk", "user"]));

    let r = req(Method::GET, "/passkeys")
        .cookie(&session)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body[0]["last_used_at"].is_string(), "{:?}", r.body);
}

async fn conditional_mediation_is_asked_for_explicitly(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let r = req(Method::POST, "/passkey/login/begin")
        .json(json!({ "conditional": true }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["options"]["mediation"], "conditional");
}

async fn an_email_hint_offers_that_accounts_passkeys(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut authenticator = soft_passkey();
    register(&app, &cookie, &mut authenticator).await;
    let (id, _) = credential_id_of(&app, &email).await;
    let (challenge_id, options) = login_begin(&app, Some(&email.to_uppercase())).await;
    assert_eq!(
        options["publicKey"]["allowCredentials"],
        json!([{ "type": "public-key", "id": id }])
    );
    // A non-discoverable answer: no user handle, the offered credential.
    let assertion = assert_with(&mut authenticator, &options, None, origin());
    assert!(assertion["response"]["userHandle"].is_null());
    let r = login_finish(&app, &challenge_id, &assertion).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.session_cookie().is_some());
}

async fn an_email_hint_for_an_unknown_address_looks_like_a_real_one(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut authenticator = soft_passkey();
    register(&app, &cookie, &mut authenticator).await;
    let (_, known) = login_begin(&app, Some(&email)).await;
    let stranger = unique_email();
    let (challenge_id, unknown) = login_begin(&app, Some(&stranger)).await;
    let keys = |v: &Value| {
        let mut k: Vec<String> = v["publicKey"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    };
    assert_eq!(keys(&known), keys(&unknown));
    for entry in unknown["publicKey"]["allowCredentials"].as_array().unwrap() {
        assert_eq!(entry["type"], "public-key");
        assert!(
            URL_SAFE_NO_PAD
                .decode(entry["id"].as_str().unwrap())
                .is_ok()
        );
        assert_eq!(entry.as_object().unwrap().len(), 2, "{entry}");
    }
    // Stable per address, so asking twice tells nothing either.
    let (_, again) = login_begin(&app, Some(&stranger)).await;
    assert_eq!(
        unknown["publicKey"]["allowCredentials"],
        again["publicKey"]["allowCredentials"]
    );
    // An account without passkeys answers decoys too, never an empty "has none" list of its own.
    let (other, _) = signed_in_user(&app).await;
    let (_, no_passkeys) = login_begin(&app, Some(&other)).await;
    assert_eq!(keys(&known), keys(&no_passkeys));
    // A real passkey of another account does not finish a ceremony that did not offer it.
    let (id, user_id) = credential_id_of(&app, &email).await;
    let assertion = assert_with(&mut authenticator, &unknown, Some((&id, user_id)), origin());
    let r = login_finish(&app, &challenge_id, &assertion).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_passkey");
    // A malformed hint is refused the same way for everyone.
    let r = req(Method::POST, "/passkey/login/begin")
        .json(json!({ "email": "not-an-email" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn a_replayed_assertion_is_refused(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut authenticator = soft_passkey();
    register(&app, &cookie, &mut authenticator).await;
    let (id, user_id) = credential_id_of(&app, &email).await;
    let (challenge_id, options) = login_begin(&app, None).await;
    let assertion = assert_with(&mut authenticator, &options, Some((&id, user_id)), origin());
    assert_eq!(
        login_finish(&app, &challenge_id, &assertion).await.status,
        StatusCode::OK
    );
    // The same request again: the ceremony is spent.
    let r = login_finish(&app, &challenge_id, &assertion).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.code(), "challenge_expired");
    // The old assertion against a fresh ceremony: signed over another challenge.
    let (fresh, _) = login_begin(&app, None).await;
    let r = login_finish(&app, &fresh, &assertion).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_passkey");
    assert!(r.session_cookie().is_none());
}

async fn concurrent_finishes_of_one_ceremony_create_one_session(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut authenticator = soft_passkey();
    register(&app, &cookie, &mut authenticator).await;
    let (id, user_id) = credential_id_of(&app, &email).await;
    let (challenge_id, options) = login_begin(&app, None).await;
    let assertion = assert_with(&mut authenticator, &options, Some((&id, user_id)), origin());
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let router = app.router.clone();
            let request = req(Method::POST, "/passkey/login/finish")
                .json(json!({ "challenge_id": challenge_id, "credential": assertion }));
            tokio::spawn(async move { request.send(&router).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        let r = task.await.unwrap();
        match r.status {
            StatusCode::OK => ok += 1,
            _ => assert_eq!(r.code(), "challenge_expired", "{:?}", r.body),
        }
    }
    assert_eq!(ok, 1);
}

async fn an_assertion_made_for_another_origin_is_refused(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut authenticator = soft_passkey();
    register(&app, &cookie, &mut authenticator).await;
    let (id, user_id) = credential_id_of(&app, &email).await;
    let (challenge_id, options) = login_begin(&app, None).await;
    // A phishing page on a sibling origin relays our challenge to the user's authenticator.
    let phishing = Url::parse("https://evil.localhost").unwrap();
    let assertion = assert_with(&mut authenticator, &options, Some((&id, user_id)), phishing);
    let r = login_finish(&app, &challenge_id, &assertion).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_passkey");
}

async fn a_credential_from_another_registration_origin_is_refused(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let (challenge_id, options) = register_begin(&app, &cookie).await;
    let options_typed: CreationChallengeResponse = serde_json::from_value(options).unwrap();
    let credential = soft_passkey()
        .do_registration(Url::parse("https://evil.localhost").unwrap(), options_typed)
        .unwrap();
    let r = register_finish(
        &app,
        &cookie,
        &challenge_id,
        serde_json::to_value(credential).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_passkey");
}

async fn a_cloned_authenticator_whose_counter_goes_back_is_refused(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut original = soft_token();
    register(&app, &cookie, &mut original).await;
    // The clone: a copy of the authenticator's state, keys and counter included.
    let mut clone = SoftToken::from_cbor(&original.to_cbor().unwrap()).unwrap();
    let r = usernameless_login(&app, &email, &mut original).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = usernameless_login(&app, &email, &mut original).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The clone signs with a counter the server has already seen.
    let r = usernameless_login(&app, &email, &mut clone).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(r.code(), "passkey_possibly_cloned");
    assert!(r.session_cookie().is_none());
    // The genuine authenticator, further ahead, still works.
    let r = usernameless_login(&app, &email, &mut original).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// Moves the stored signature counter of the user's passkey to `counter`.
async fn set_stored_counter(app: &TestApp, email: &str, counter: u32) {
    let user = stored_user(app, email).await;
    let repo = app.yauth.state().repos().passkey.clone().unwrap();
    let row = repo
        .list_webauthn_credentials(user.id)
        .await
        .unwrap()
        .remove(0);
    let mut json = row.credential.clone();
    json["cred"]["counter"] = json!(counter);
    repo.update_webauthn_credential_use(row.id, &json, app.yauth.state().now())
        .await
        .unwrap();
}

async fn stored_counter(app: &TestApp, email: &str) -> u64 {
    let user = stored_user(app, email).await;
    let repo = app.yauth.state().repos().passkey.clone().unwrap();
    let row = repo
        .list_webauthn_credentials(user.id)
        .await
        .unwrap()
        .remove(0);
    row.credential["cred"]["counter"].as_u64().unwrap()
}

async fn the_counter_is_stored_after_each_sign_in_and_a_regression_policy_applies(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut authenticator = soft_passkey();
    register(&app, &cookie, &mut authenticator).await;
    assert_eq!(stored_counter(&app, &email).await, 0);
    assert_eq!(
        usernameless_login(&app, &email, &mut authenticator)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(stored_counter(&app, &email).await, 1);
    assert_eq!(
        usernameless_login(&app, &email, &mut authenticator)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(stored_counter(&app, &email).await, 2);
    // Another copy of the key has been used meanwhile: the server saw counter 10.
    set_stored_counter(&app, &email, 10).await;
    let r = usernameless_login(&app, &email, &mut authenticator).await;
    assert_eq!(r.code(), "passkey_possibly_cloned", "{:?}", r.body);
    assert_eq!(stored_counter(&app, &email).await, 10);

    // With the lenient policy the same sign-in passes, and the stored counter never goes down.
    let Some(app) = pk_on(
        family,
        PasskeyConfig {
            counter_policy: CounterPolicy::Warn,
            ..PasskeyConfig::default()
        },
    )
    .await
    else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut authenticator = soft_passkey();
    register(&app, &cookie, &mut authenticator).await;
    set_stored_counter(&app, &email, 10).await;
    let r = usernameless_login(&app, &email, &mut authenticator).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(stored_counter(&app, &email).await, 10);
}

async fn passkeys_are_listed_renamed_and_deleted(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut first = soft_passkey();
    let mut second = soft_token();
    register(&app, &cookie, &mut first).await;
    let (challenge_id, options) = register_begin(&app, &cookie).await;
    // The existing passkey is excluded from the new registration.
    let excluded = options["publicKey"]["excludeCredentials"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(excluded.len(), 1);
    let r = req(Method::POST, "/passkeys/register/finish")
        .cookie(&cookie)
        .json(json!({ "challenge_id": challenge_id, "credential": create(&mut second, &options) }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // Without a name, the authenticator model names it when known, else "Passkey".
    assert_eq!(r.body["name"], "Passkey");
    assert_eq!(r.body["aaguid"], json!(softtoken::AAGUID.to_string()));
    assert_eq!(r.body["device_name"], Value::Null);

    let list = req(Method::GET, "/passkeys")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.body.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    let id = list[0]["id"].as_str().unwrap().to_owned();

    let r = req(Method::PATCH, &format!("/passkeys/{id}"))
        .cookie(&cookie)
        .json(json!({ "name": "  Work laptop " }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["name"], "Work laptop");
    let r = req(Method::PATCH, &format!("/passkeys/{id}"))
        .cookie(&cookie)
        .json(json!({ "name": " " }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let listed = req(Method::GET, "/passkeys")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(listed.body[0]["name"], "Work laptop", "{:?}", listed.body);
    assert_eq!(listed.body[0]["id"], json!(id), "the rename keeps the id");
    // The renamed passkey still signs in.
    let (challenge_id, options) = login_begin(&app, Some(&email)).await;
    let assertion = assert_with(&mut first, &options, None, origin());
    assert_eq!(
        login_finish(&app, &challenge_id, &assertion).await.status,
        StatusCode::OK
    );

    // Another account can neither rename nor delete it.
    let (_, intruder) = signed_in_user(&app).await;
    let r = req(Method::DELETE, &format!("/passkeys/{id}"))
        .cookie(&intruder)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = req(Method::PATCH, &format!("/passkeys/{id}"))
        .cookie(&intruder)
        .json(json!({ "name": "mine now" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = req(Method::DELETE, &format!("/passkeys/{id}"))
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = req(Method::DELETE, &format!("/passkeys/{id}"))
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = req(Method::GET, "/passkeys")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    // The deleted passkey (the first one, excluded from the second registration) no longer
    // signs in.
    let first_id = excluded[0]["id"].as_str().unwrap().to_owned();
    let user_id = stored_user(&app, &email).await.id;
    let (challenge_id, options) = login_begin(&app, None).await;
    let assertion = assert_with(&mut first, &options, Some((&first_id, user_id)), origin());
    let r = login_finish(&app, &challenge_id, &assertion).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_passkey");
}

async fn registering_and_deleting_need_a_recent_sign_in(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut authenticator = soft_passkey();
    let info = register(&app, &cookie, &mut authenticator).await;
    // A ceremony started while the sign-in was fresh cannot be finished once it is stale.
    let (challenge_id, options) = register_begin(&app, &cookie).await;
    app.clock.advance(time::Duration::minutes(11));
    let r = register_finish(
        &app,
        &cookie,
        &challenge_id,
        create(&mut soft_passkey(), &options),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "reauthentication_required");
    let r = req(Method::POST, "/passkeys/register/begin")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "reauthentication_required");
    let id = info["id"].as_str().unwrap();
    let r = req(Method::DELETE, &format!("/passkeys/{id}"))
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "reauthentication_required");
    // Listing and renaming are not sensitive.
    let r = req(Method::GET, "/passkeys")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // A fresh sign-in (here with the passkey itself) may delete it.
    let r = usernameless_login(&app, &email, &mut authenticator).await;
    let fresh = r.session_cookie().unwrap();
    let r = req(Method::DELETE, &format!("/passkeys/{id}"))
        .cookie(&fresh)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
}

async fn a_ceremony_expires_and_belongs_to_its_user(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let (challenge_id, options) = register_begin(&app, &cookie).await;
    // Another signed-in user cannot finish it.
    let (_, other) = signed_in_user(&app).await;
    let r = register_finish(
        &app,
        &other,
        &challenge_id,
        create(&mut soft_passkey(), &options),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.code(), "challenge_expired");

    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut authenticator = soft_passkey();
    register(&app, &cookie, &mut authenticator).await;
    let (id, user_id) = credential_id_of(&app, &email).await;
    let (challenge_id, options) = login_begin(&app, None).await;
    let assertion = assert_with(&mut authenticator, &options, Some((&id, user_id)), origin());
    app.clock
        .advance(time::Duration::minutes(5) + time::Duration::seconds(1));
    let r = login_finish(&app, &challenge_id, &assertion).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.code(), "challenge_expired");
}

async fn a_user_handle_of_another_account_is_refused(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let mut authenticator = soft_passkey();
    register(&app, &cookie, &mut authenticator).await;
    let (other, _) = signed_in_user(&app).await;
    let other_id = stored_user(&app, &other).await.id;
    let (id, _) = credential_id_of(&app, &email).await;
    let (challenge_id, options) = login_begin(&app, None).await;
    let assertion = assert_with(
        &mut authenticator,
        &options,
        Some((&id, other_id)),
        origin(),
    );
    let r = login_finish(&app, &challenge_id, &assertion).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_passkey");
}

#[tokio::test]
async fn the_aaguid_allow_list_admits_only_listed_models() {
    let app = pk_app_with(PasskeyConfig {
        allowed_aaguids: vec![uuid::uuid!("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")],
        ..PasskeyConfig::default()
    })
    .await;
    let (_, cookie) = signed_in_user(&app).await;
    let (challenge_id, options) = register_begin(&app, &cookie).await;
    let r = register_finish(
        &app,
        &cookie,
        &challenge_id,
        create(&mut soft_token(), &options),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "authenticator_not_allowed");
    // An authenticator that discloses no model is not on any list either.
    let (challenge_id, options) = register_begin(&app, &cookie).await;
    let r = register_finish(
        &app,
        &cookie,
        &challenge_id,
        create(&mut soft_passkey(), &options),
    )
    .await;
    assert_eq!(r.code(), "authenticator_not_allowed");

    let app = pk_app_with(PasskeyConfig {
        allowed_aaguids: vec![softtoken::AAGUID],
        ..PasskeyConfig::default()
    })
    .await;
    let (_, cookie) = signed_in_user(&app).await;
    register(&app, &cookie, &mut soft_token()).await;
}

async fn malformed_browser_answers_are_client_errors(family: Family) {
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let (challenge_id, _) = register_begin(&app, &cookie).await;
    for credential in [
        json!("garbage"),
        json!({ "id": "x" }),
        json!({ "id": "AAAA", "rawId": "!!!", "type": "public-key",
                "response": { "attestationObject": "AAAA", "clientDataJSON": "AAAA" } }),
    ] {
        let r = register_finish(&app, &cookie, &challenge_id, credential.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{credential}: {:?}",
            r.body
        );
        assert_eq!(r.code(), "invalid_body");
    }
    // Well-formed JSON that is no valid attestation: refused, not a server error.
    let r = register_finish(
        &app,
        &cookie,
        &challenge_id,
        json!({ "id": "AAAA", "rawId": "AAAA", "type": "public-key",
                "response": { "attestationObject": "AAAA", "clientDataJSON": "AAAA" } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_passkey");

    let (challenge_id, _) = login_begin(&app, None).await;
    let r = login_finish(
        &app,
        &challenge_id,
        &json!({ "id": "AAAA", "rawId": "AAAA", "type": "public-key",
                 "response": { "authenticatorData": "AAAA", "clientDataJSON": "AAAA",
                               "signature": "AAAA" } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_passkey");
    let r = req(Method::POST, "/passkey/login/finish")
        .raw_json(b"{\"challenge_id\": ".to_vec())
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = login_finish(
        &app,
        "no-such-ceremony",
        &json!({ "id": "AAAA", "rawId": "AAAA",
        "type": "public-key", "response": { "authenticatorData": "AAAA",
        "clientDataJSON": "AAAA", "signature": "AAAA" } }),
    )
    .await;
    assert_eq!(r.code(), "challenge_expired");
}

#[tokio::test]
async fn sign_in_starts_and_finishes_are_rate_limited_per_client() {
    let limit = yauth::RateLimit::new(2, time::Duration::minutes(5));
    let app = pk_app_with(PasskeyConfig {
        login_start_rate_limit: limit,
        login_finish_rate_limit: limit,
        ..PasskeyConfig::default()
    })
    .await;
    for _ in 0..2 {
        login_begin(&app, None).await;
    }
    let r = req(Method::POST, "/passkey/login/begin")
        .json(json!({}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client is not affected.
    let r = req(Method::POST, "/passkey/login/begin")
        .ip("198.51.100.7")
        .json(json!({}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn configurations_webauthn_cannot_use_fail_the_build() {
    for (base_url, config) in [
        ("http://127.0.0.1:3000", PasskeyConfig::default()),
        (
            ORIGIN,
            PasskeyConfig {
                require_user_verification: false,
                ..PasskeyConfig::default()
            },
        ),
        (
            ORIGIN,
            PasskeyConfig {
                challenge_ttl: time::Duration::ZERO,
                ..PasskeyConfig::default()
            },
        ),
    ] {
        let err = YAuthBuilder::new(yauth_store::InMemoryBackend::new(), test_config(base_url))
            .with_passkey(config)
            .build()
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                BuildError::InvalidPluginConfig {
                    plugin: "passkey",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn every_passkey_route_is_documented_under_its_tag() {
    let family = Family::Memory;
    let Some(app) = pk_on(family, PasskeyConfig::default()).await else {
        return;
    };
    let doc = serde_json::to_value(app.yauth.openapi()).unwrap();
    for (path, method) in [
        ("/passkey/login/begin", "post"),
        ("/passkey/login/finish", "post"),
        ("/passkeys/register/begin", "post"),
        ("/passkeys/register/finish", "post"),
        ("/passkeys", "get"),
        ("/passkeys/{id}", "patch"),
        ("/passkeys/{id}", "delete"),
    ] {
        let op = &doc["paths"][path][method];
        assert_eq!(op["tags"], json!(["passkey"]), "{method} {path}");
    }
    // Without the mfa plugin there is no second-factor route.
    assert!(doc["paths"].get("/passkey/mfa/begin").is_none());
}
