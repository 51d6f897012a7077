//! The bearer plugin through HTTP: `/token`, refresh rotation and reuse, revocation, and the
//! verifier refusing every forged or misdirected token. Issued tokens are also verified by
//! `jsonwebtoken`, an independent JOSE implementation, against `YAuth::jwks()`.
//!
//! The flows that read and write tokens run on every database family; the cases about key
//! material, algorithms and rotation run on memory, where each test owns its signing keys (the
//! families' databases are shared by the tests of this binary, as replicas share one).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
#[path = "common/bearer.rs"]
mod bearer_support;
mod common;
#[path = "common/families.rs"]
mod families;
#[path = "common/mfa.rs"]
mod mfa_support;

use axum::http::{Method, StatusCode};
use backends::Family;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bearer_support::*;
use common::*;
use serde_json::{Value, json};
use time::Duration;
use yauth::plugins::api_key::ApiKeyConfig;
use yauth::plugins::bearer::{BearerConfig, SigningAlgorithm, TokenFormat};
use yauth::plugins::mfa::MfaConfig;

on_every_family!(
    a_password_sign_in_answers_tokens_that_authenticate_requests,
    wrong_credentials_get_no_tokens,
    an_account_with_mfa_gets_its_tokens_only_after_the_second_factor,
    refresh_rotates_and_reuse_revokes_the_whole_family,
    unknown_and_expired_refresh_tokens_are_refused,
    expired_tokens_are_refused_after_the_leeway,
    logout_and_password_change_revoke_every_token_of_the_user,
    token_revoke_ends_one_sign_in_and_ignores_other_users_tokens,
    stateless_verification_skips_the_revocation_list_but_not_the_ban,
    a_banned_user_can_neither_use_nor_refresh_tokens,
    the_session_cookie_comes_first_and_bearer_requests_need_no_origin,
    step_up_accepts_a_fresh_sign_in_token_but_not_a_refreshed_one,
);

/// The token app on `family`.
async fn on(family: Family) -> Option<TestApp> {
    on_with(family, BearerConfig::default()).await
}

/// The token app on `family` with `bearer`.
async fn on_with(family: Family, bearer: BearerConfig) -> Option<TestApp> {
    let tokens = with_tokens(bearer, ApiKeyConfig::default());
    families::app_in("bearer", family, test_config(ORIGIN), ep_config(), tokens).await
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header_of(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// Verifies `token` with jsonwebtoken against the published JWKS, as a resource server would.
async fn verify_independently(app: &TestApp, token: &str) -> Value {
    let jwks = serde_json::to_value(app.yauth.jwks().await.unwrap()).unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("the token's key is published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[ORIGIN]);
    validation.set_issuer(&[ORIGIN]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("jsonwebtoken accepts the token")
        .claims
}

async fn a_password_sign_in_answers_tokens_that_authenticate_requests(family: Family) {
    let Some(app) = on(family).await else { return };
    let (email, tokens) = user_with_tokens(&app).await;
    assert_eq!(tokens["token_type"], json!("Bearer"));
    assert_eq!(tokens["expires_in"], json!(900));
    let r = session_with(&app, access(&tokens)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["email"], json!(email));
    assert_eq!(r.body["auth_method"], json!("Bearer"));
    assert_eq!(r.body["amr"], json!(["pwd"]));

    let claims = claims_of(access(&tokens));
    let user = stored_user(&app, &email).await;
    assert_eq!(claims["sub"], json!(user.id.to_string()));
    assert_eq!(claims["iss"], json!(ORIGIN));
    assert_eq!(claims["aud"], json!(ORIGIN));
    assert_eq!(claims["client_id"], json!("yauth"));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let header = header_of(access(&tokens));
    assert_eq!(header["alg"], json!("EdDSA"));
    assert_eq!(header["typ"], json!("at+jwt"));
}

#[tokio::test]
async fn another_jose_implementation_verifies_tokens_of_every_algorithm() {
    for algorithm in [
        SigningAlgorithm::EdDSA,
        SigningAlgorithm::ES256,
        SigningAlgorithm::RS256,
    ] {
        let app = token_app_with(BearerConfig {
            algorithm,
            ..Default::default()
        })
        .await;
        let (email, tokens) = user_with_tokens(&app).await;
        let claims = verify_independently(&app, access(&tokens)).await;
        let user = stored_user(&app, &email).await;
        assert_eq!(claims["sub"], json!(user.id.to_string()), "{algorithm:?}");
        assert_eq!(header_of(access(&tokens))["alg"], json!(algorithm.name()));
        // The refreshed token too.
        let r = refresh(&app, refresh_token(&tokens)).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        verify_independently(&app, r.body["access_token"].as_str().unwrap()).await;
    }
}

async fn wrong_credentials_get_no_tokens(family: Family) {
    let Some(app) = on(family).await else { return };
    let email = verified_user(&app).await;
    let r = req(Method::POST, "/token")
        .origin(None)
        .json(json!({ "email": email, "password": "not-the-password-at-all" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_credentials");
    let r = req(Method::POST, "/token")
        .origin(None)
        .json(json!({ "email": "nobody@example.com", "password": PASSWORD }))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "invalid_credentials"); // Control characters are refused before any lookup, in either field.
    for body in [
        json!({ "email": format!("a\u{0}{email}"), "password": PASSWORD }),
        json!({ "email": email, "password": "pass\u{1}word-long-enough" }),
    ] {
        let r = req(Method::POST, "/token")
            .origin(None)
            .json(body)
            .send(&app.router)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
        assert_eq!(r.code(), "invalid_characters");
    }
}

async fn an_account_with_mfa_gets_its_tokens_only_after_the_second_factor(family: Family) {
    let with_mfa = |b| {
        with_tokens(BearerConfig::default(), ApiKeyConfig::default())(b)
            .with_mfa(MfaConfig::default())
    };
    let Some(app) =
        families::app_in("bearer", family, test_config(ORIGIN), ep_config(), with_mfa).await
    else {
        return;
    };
    let user = mfa_support::enrolled(&app).await;
    let r = password_token(&app, &user.email).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["mfa_required"], json!(true));
    assert!(
        r.body.get("tokens").is_none(),
        "no tokens before MFA: {:?}",
        r.body
    );
    let pending = r.body["pending_session_id"].as_str().unwrap().to_owned();
    let code = mfa_support::code_now(&app, &user.secret);
    let r = mfa_support::verify(&app, &pending, &code).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(
        r.session_cookie().is_none(),
        "a token sign-in sets no cookie"
    );
    let token = r.body["tokens"]["access_token"].as_str().unwrap();
    let me = session_with(&app, token).await;
    assert_eq!(me.body["amr"], json!(["pwd", "otp", "mfa"]));
    // A cookie login of the same account still ends in a session.
    let pending = mfa_support::pending_login(&app, &user.email).await;
    mfa_support::next_step(&app);
    let r = mfa_support::verify(&app, &pending, &mfa_support::code_now(&app, &user.secret)).await;
    assert!(r.session_cookie().is_some());
    assert!(r.body.get("tokens").is_none());
}

async fn refresh_rotates_and_reuse_revokes_the_whole_family(family: Family) {
    let Some(app) = on(family).await else { return };
    let (_, first) = user_with_tokens(&app).await;
    let r = refresh(&app, refresh_token(&first)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let second = r.body.clone();
    assert_ne!(refresh_token(&second), refresh_token(&first));
    assert_eq!(
        session_with(&app, access(&second)).await.status,
        StatusCode::OK
    );

    // The first refresh token again: a replay. Everything of the family dies.
    let r = refresh(&app, refresh_token(&first)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "refresh_token_reused");
    let r = refresh(&app, refresh_token(&second)).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the newest refresh token is revoked"
    );
    let r = session_with(&app, access(&second)).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the newest access token is revoked"
    );
    assert_eq!(r.code(), "invalid_token");
    let r = session_with(&app, access(&first)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn unknown_and_expired_refresh_tokens_are_refused(family: Family) {
    let Some(app) = on(family).await else { return };
    let (_, tokens) = user_with_tokens(&app).await;
    let r = refresh(&app, "not-a-token").await;
    assert_eq!(r.code(), "invalid_refresh_token");
    app.clock.advance(Duration::days(31));
    let r = refresh(&app, refresh_token(&tokens)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_refresh_token");
}

/// Builds a token with `header` and `claims`, signed by `sign` over the signing input.
fn forge(header: Value, claims: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[tokio::test]
async fn forged_tokens_are_refused() {
    let app = token_app().await;
    let (_, tokens) = user_with_tokens(&app).await;
    let genuine = access(&tokens);
    let claims = claims_of(genuine);
    let kid = header_of(genuine)["kid"].clone();

    // alg none, no signature.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt", "kid": kid}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    // alg none with some signature bytes.
    let none_signed = forge(
        json!({"alg": "none", "typ": "at+jwt", "kid": kid}),
        &claims,
        |_| b"x".to_vec(),
    );
    // HS256 keyed with the published public key (the classic algorithm confusion).
    let jwks = serde_json::to_value(app.yauth.jwks().await.unwrap()).unwrap();
    let public_x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let hs256 = {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.typ = Some("at+jwt".into());
        header.kid = kid.as_str().map(str::to_owned);
        let confused = jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(public_x.as_bytes()),
        )
        .unwrap();
        let raw = jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&URL_SAFE_NO_PAD.decode(&public_x).unwrap()),
        )
        .unwrap();
        [confused, raw]
    };
    // An unknown kid.
    let mut unknown_kid = header_of(genuine);
    unknown_kid["kid"] = json!("no-such-key");
    let (_, signature) = genuine.rsplit_once('.').unwrap();
    let (_, body) = genuine.split_once('.').unwrap();
    let unknown_kid = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(unknown_kid.to_string()),
        body
    );
    // Claims changed under the genuine signature.
    let mut admin = claims.clone();
    admin["sub"] = json!(uuid::Uuid::new_v4().to_string());
    let spliced = format!(
        "{}.{}.{signature}",
        genuine.split('.').next().unwrap(),
        URL_SAFE_NO_PAD.encode(admin.to_string())
    );
    // Not an access token (typ JWT).
    let mut plain_header = header_of(genuine);
    plain_header["typ"] = json!("JWT");
    let wrong_type = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(plain_header.to_string()),
        body
    );

    for (name, token) in [
        ("alg none", none.as_str()),
        ("alg none signed", none_signed.as_str()),
        ("HS256 with the public key text", hs256[0].as_str()),
        ("HS256 with the public key bytes", hs256[1].as_str()),
        ("unknown kid", unknown_kid.as_str()),
        ("spliced claims", spliced.as_str()),
        ("typ JWT", wrong_type.as_str()),
        ("garbage", "a.b.c"),
        ("empty", ""),
    ] {
        let r = session_with(&app, token).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}: {:?}", r.body);
    }
    assert_eq!(session_with(&app, genuine).await.status, StatusCode::OK);
}

async fn expired_tokens_are_refused_after_the_leeway(family: Family) {
    let Some(app) = on(family).await else { return };
    let (_, tokens) = user_with_tokens(&app).await;
    app.clock
        .advance(Duration::minutes(15) + Duration::seconds(5));
    assert_eq!(
        session_with(&app, access(&tokens)).await.status,
        StatusCode::OK,
        "inside the 10 s leeway"
    );
    app.clock.advance(Duration::seconds(6));
    let r = session_with(&app, access(&tokens)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_token");
}

#[tokio::test]
async fn tokens_for_another_audience_or_issuer_are_refused() {
    let backend = yauth_store::InMemoryBackend::new();
    let here = common::app_on(
        backend.clone(),
        test_config(ORIGIN),
        ep_config(),
        with_tokens(BearerConfig::default(), ApiKeyConfig::default()),
    )
    .await;
    // Another deployment over the same keys and users, issuing for another audience.
    let elsewhere = |bearer: BearerConfig| {
        common::app_on(
            backend.clone(),
            test_config(ORIGIN),
            ep_config(),
            with_tokens(bearer, ApiKeyConfig::default()),
        )
    };
    let other_audience = elsewhere(BearerConfig {
        audience: Some("https://reports.example".into()),
        ..Default::default()
    })
    .await;
    let other_issuer = elsewhere(BearerConfig {
        issuer: Some("https://other-issuer.example".into()),
        ..Default::default()
    })
    .await;
    let email = verified_user(&here).await;
    for (name, issuer) in [("audience", &other_audience), ("issuer", &other_issuer)] {
        let r = password_token(issuer, &email).await;
        let token = r.body["tokens"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            session_with(issuer, &token).await.status,
            StatusCode::OK,
            "{name}: valid where issued"
        );
        let r = session_with(&here, &token).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}: {:?}", r.body);
    }
}

#[tokio::test]
async fn rotated_keys_keep_verifying_until_their_last_token_expires() {
    let app = token_app_with(BearerConfig {
        access_token_ttl: Duration::hours(2),
        key_rotation_interval: Duration::hours(1),
        ..Default::default()
    })
    .await;
    let email = verified_user(&app).await;
    let old = password_token(&app, &email).await.body["tokens"].clone();
    let old_kid = header_of(access(&old))["kid"].clone();

    app.clock.advance(Duration::minutes(61));
    let new = password_token(&app, &email).await.body["tokens"].clone();
    let new_kid = header_of(access(&new))["kid"].clone();
    assert_ne!(old_kid, new_kid, "a new key signs after the interval");
    let published: Vec<Value> = app
        .yauth
        .jwks()
        .await
        .unwrap()
        .keys
        .iter()
        .map(|k| json!(k.kid))
        .collect();
    assert!(
        published.contains(&old_kid) && published.contains(&new_kid),
        "{published:?}"
    );
    assert_eq!(
        session_with(&app, access(&old)).await.status,
        StatusCode::OK,
        "old key still verifies"
    );
    assert_eq!(
        session_with(&app, access(&new)).await.status,
        StatusCode::OK
    );
    verify_independently(&app, access(&old)).await;

    // Past the old token's expiry (and the retired key's), the old key is gone from the JWKS.
    app.clock.advance(Duration::hours(2) + Duration::minutes(5));
    let published: Vec<Value> = app
        .yauth
        .jwks()
        .await
        .unwrap()
        .keys
        .iter()
        .map(|k| json!(k.kid))
        .collect();
    assert!(!published.contains(&old_kid), "{published:?}");
    assert_eq!(
        session_with(&app, access(&old)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn logout_and_password_change_revoke_every_token_of_the_user(family: Family) {
    let Some(app) = on(family).await else { return };
    let (email, tokens) = user_with_tokens(&app).await;
    let r = login(&app, &email, PASSWORD).await;
    let cookie = r.session_cookie().unwrap();
    let r = req(Method::POST, "/logout")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        session_with(&app, access(&tokens)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, refresh_token(&tokens)).await.status,
        StatusCode::UNAUTHORIZED
    );

    let tokens = password_token(&app, &email).await.body["tokens"].clone();
    let cookie = login(&app, &email, PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let r = req(Method::POST, "/change-password")
        .cookie(&cookie)
        .json(
            json!({ "current_password": PASSWORD, "new_password": "a-new-and-long-passphrase-77" }),
        )
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        session_with(&app, access(&tokens)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, refresh_token(&tokens)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn token_revoke_ends_one_sign_in_and_ignores_other_users_tokens(family: Family) {
    let Some(app) = on(family).await else { return };
    let (_, mine) = user_with_tokens(&app).await;
    let (_, other) = user_with_tokens(&app).await;
    // Revoking another user's refresh token answers the same and changes nothing.
    let r = with_bearer(Method::POST, "/token/revoke", access(&mine))
        .json(json!({ "refresh_token": refresh_token(&other) }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        session_with(&app, access(&other)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        refresh(&app, refresh_token(&other)).await.status,
        StatusCode::OK
    );

    let r = with_bearer(Method::POST, "/token/revoke", access(&mine))
        .json(json!({ "refresh_token": refresh_token(&mine) }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        refresh(&app, refresh_token(&mine)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        session_with(&app, access(&mine)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn stateless_verification_skips_the_revocation_list_but_not_the_ban(family: Family) {
    let Some(app) = on_with(
        family,
        BearerConfig {
            check_revocation: false,
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let (email, tokens) = user_with_tokens(&app).await;
    let r = with_bearer(Method::POST, "/token/revoke", access(&tokens))
        .json(json!({ "refresh_token": refresh_token(&tokens) }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        refresh(&app, refresh_token(&tokens)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        session_with(&app, access(&tokens)).await.status,
        StatusCode::OK,
        "stateless: the access token lives until it expires"
    );
    ban(&app, &email).await;
    let r = session_with(&app, access(&tokens)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "account_banned");
}

async fn a_banned_user_can_neither_use_nor_refresh_tokens(family: Family) {
    let Some(app) = on(family).await else { return };
    let (email, tokens) = user_with_tokens(&app).await;
    ban(&app, &email).await;
    let r = session_with(&app, access(&tokens)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "account_banned");
    assert_eq!(
        refresh(&app, refresh_token(&tokens)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        password_token(&app, &email).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn the_session_cookie_comes_first_and_bearer_requests_need_no_origin(family: Family) {
    let Some(app) = on(family).await else { return };
    let (email, tokens) = user_with_tokens(&app).await;
    let cookie = login(&app, &email, PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let r = with_bearer(Method::GET, "/session", access(&tokens))
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.body["auth_method"], json!("Session"));
    // An unsafe request with a bearer token and a hostile Origin: no CSRF check applies,
    // because a browser never attaches the token by itself.
    let r = with_bearer(Method::PATCH, "/me", access(&tokens))
        .origin(Some("https://evil.example"))
        .json(json!({ "display_name": "Via token" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

async fn step_up_accepts_a_fresh_sign_in_token_but_not_a_refreshed_one(family: Family) {
    let Some(app) = on(family).await else { return };
    let (_, tokens) = user_with_tokens(&app).await;
    let r = with_bearer(Method::POST, "/api-keys", access(&tokens))
        .json(json!({ "name": "ci" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let refreshed = refresh(&app, refresh_token(&tokens)).await.body;
    let r = with_bearer(Method::POST, "/api-keys", access(&refreshed))
        .json(json!({ "name": "ci-2" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "reauthentication_required");
}

#[tokio::test]
async fn without_a_key_ring_the_local_signer_is_refused_at_build() {
    let result = yauth::YAuthBuilder::new(yauth_store::InMemoryBackend::new(), test_config(ORIGIN))
        .with_bearer(BearerConfig::default())
        .build()
        .await;
    assert!(
        matches!(
            result,
            Err(yauth::BuildError::MissingKeyRing { plugin: "bearer" })
        ),
        "{result:?}"
    );
    let result = yauth::YAuthBuilder::new(yauth_store::InMemoryBackend::new(), test_config(ORIGIN))
        .with_bearer(BearerConfig {
            access_token_ttl: Duration::days(2),
            ..Default::default()
        })
        .build()
        .await;
    assert!(
        matches!(
            result,
            Err(yauth::BuildError::InvalidPluginConfig {
                plugin: "bearer",
                ..
            })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn paseto_tokens_verify_with_an_independent_implementation() {
    use pasetors::version4::{PublicToken, V4};
    let app = token_app_with(BearerConfig {
        format: TokenFormat::PasetoV4Public,
        ..Default::default()
    })
    .await;
    let (email, tokens) = user_with_tokens(&app).await;
    let token = access(&tokens);
    assert!(token.starts_with("v4.public."), "{token}");
    let r = session_with(&app, token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["auth_method"], json!("Bearer"));

    // pasetors, with the Ed25519 key of the JWKS, accepts the token and its claims.
    let jwks = app.yauth.jwks().await.unwrap();
    let x = URL_SAFE_NO_PAD
        .decode(jwks.keys[0].x.as_deref().unwrap())
        .unwrap();
    let public = pasetors::keys::AsymmetricPublicKey::<V4>::from(&x).unwrap();
    let untrusted =
        pasetors::token::UntrustedToken::<pasetors::Public, V4>::try_from(token).unwrap();
    let trusted = PublicToken::verify(&public, &untrusted, None, None).expect("pasetors verifies");
    let claims = pasetors::claims::Claims::from_string(trusted.payload()).unwrap();
    let mut rules = pasetors::claims::ClaimsValidationRules::new();
    rules.validate_issuer_with(ORIGIN);
    rules.validate_audience_with(ORIGIN);
    rules
        .validate_claims(&claims)
        .expect("pasetors accepts the claims");
    let user = stored_user(&app, &email).await;
    assert_eq!(claims.get_claim("sub"), Some(&json!(user.id.to_string())));
    let footer: Value = serde_json::from_slice(trusted.footer()).unwrap();
    assert_eq!(footer["kid"], json!(jwks.keys[0].kid));

    // A changed payload, and a JWT, are refused by a PASETO deployment.
    let mut tampered = token.to_owned().into_bytes();
    let at = "v4.public.".len() + 4;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        session_with(&app, &tampered).await.status,
        StatusCode::UNAUTHORIZED
    );
    let jwt_app = token_app().await;
    let (_, jwt_tokens) = user_with_tokens(&jwt_app).await;
    assert_eq!(
        session_with(&app, access(&jwt_tokens)).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Refreshed tokens are PASETO too.
    let r = refresh(&app, refresh_token(&tokens)).await;
    assert!(
        r.body["access_token"]
            .as_str()
            .unwrap()
            .starts_with("v4.public.")
    );
}

#[tokio::test]
async fn paseto_needs_ed25519_keys() {
    let result = yauth::YAuthBuilder::new(yauth_store::InMemoryBackend::new(), test_config(ORIGIN))
        .with_secret_key("k1", &KEY)
        .with_bearer(BearerConfig {
            format: TokenFormat::PasetoV4Public,
            algorithm: SigningAlgorithm::ES256,
            ..Default::default()
        })
        .build()
        .await;
    assert!(
        matches!(
            result,
            Err(yauth::BuildError::InvalidPluginConfig {
                plugin: "bearer",
                ..
            })
        ),
        "{result:?}"
    );
}
