//! The authorization code grant's tokens through HTTP, on every database family: the code
//! flow with PKCE, single-use codes whose replay revokes what they issued (and one winner
//! among concurrent exchanges), exchanges bound to client, redirect URI and verifier, refresh
//! rotation, public clients, introspection, and consents the user can withdraw. Tokens are
//! verified by `jsonwebtoken` against the served JWKS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
#[path = "common/bearer.rs"]
mod bearer_support;
#[path = "common/oauth2_code.rs"]
mod code_support;
mod common;
#[path = "common/families.rs"]
mod families;
#[path = "common/recording.rs"]
mod recording;
#[path = "common/oauth2_server.rs"]
mod server_support;

use axum::http::{Method, StatusCode};
use backends::Family;
use bearer_support::*;
use code_support::*;
use common::*;
use serde_json::json;
use server_support::*;

on_every_family!(
    the_code_flow_with_pkce_issues_tokens_for_the_user,
    consent_is_remembered_and_withdrawing_it_revokes_the_tokens,
    a_replayed_code_is_refused_and_revokes_what_it_issued,
    an_exchange_must_match_client_redirect_uri_and_verifier,
    refresh_rotates_and_reuse_revokes_the_grant,
    a_public_client_exchanges_with_pkce_alone,
    a_client_introspects_and_revokes_its_refresh_token,
    sixteen_exchanges_of_one_code_have_one_winner,
);

async fn the_code_flow_with_pkce_issues_tokens_for_the_user(family: Family) {
    let Some(app) = family_app("oauth2_code_grant", family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let (email, cookie) = signed_in_user(&app).await;
    let q = query(&client, &[]);
    let r = authorize(&app, &q, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["client_id"], json!(client.client_id));
    assert_eq!(r.body["client_name"], json!("Reports app"));
    assert_eq!(
        r.body["scopes"],
        json!(["profile", "reports:read", "offline_access"])
    );
    assert_eq!(r.body["user_email"], json!(email));

    let r = decide(&app, &cookie, &q, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let to = r.body["redirect_to"].as_str().unwrap();
    assert_eq!(param(to, "state").as_deref(), Some("st-123"));
    assert_eq!(param(to, "iss").as_deref(), Some(ORIGIN));
    let code = param(to, "code").unwrap();

    let r = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.body["scope"], json!(SCOPES));
    assert!(
        r.body["refresh_token"].is_string(),
        "offline_access granted"
    );
    let access = r.body["access_token"].as_str().unwrap();
    let claims = verified_claims(&app, access).await;
    let user = stored_user(&app, &email).await;
    assert_eq!(claims["sub"], json!(user.id.to_string()));
    assert_eq!(claims["client_id"], json!(client.client_id));
    assert_eq!(claims["scope"], json!(SCOPES));
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert!(claims["auth_time"].as_i64().unwrap() <= claims["iat"].as_i64().unwrap());

    // A resource server sees it active; yauth's own API does not take another client's token.
    let resource_server = machine_client(&app, None).await;
    let r = lookup(&app, "/oauth/introspect", &resource_server, access).await;
    assert_eq!(r.body["active"], json!(true));
    assert_eq!(r.body["sub"], json!(user.id.to_string()));
    assert_eq!(
        session_with(&app, access).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn consent_is_remembered_and_withdrawing_it_revokes_the_tokens(family: Family) {
    let Some(app) = family_app("oauth2_code_grant", family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let (email, cookie) = signed_in_user(&app).await;
    let user_id = stored_user(&app, &email).await.id;
    let code = approved_code(&app, &client, &cookie).await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await.body;
    let (events, _) = audit_of(&app, user_id).await;
    assert!(
        events.contains(&"oauth_consent_granted".to_owned()),
        "{events:?}"
    );

    // Asked again: consent stands, so the answer is a code at once.
    let r = authorize(&app, &query(&client, &[]), Some(&cookie)).await;
    assert!(
        param(r.body["redirect_to"].as_str().unwrap(), "code").is_some(),
        "{:?}",
        r.body
    );
    // Unless the client wants it asked again, or asks for more.
    let r = authorize(
        &app,
        &query(&client, &[("prompt", "consent")]),
        Some(&cookie),
    )
    .await;
    assert_eq!(
        r.body["client_id"],
        json!(client.client_id),
        "the consent prompt"
    );

    let r = req(Method::GET, "/oauth/consents")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body[0]["client_id"], json!(client.client_id));
    assert_eq!(r.body[0]["client_name"], json!("Reports app"));
    let r = req(
        Method::DELETE,
        &format!("/oauth/consents/{}", client.client_id),
    )
    .cookie(&cookie)
    .send(&app.router)
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let (events, _) = audit_of(&app, user_id).await;
    assert!(
        events.contains(&"oauth_consent_withdrawn".to_owned()),
        "{events:?}"
    );
    let r = refresh_grant(
        &app,
        &client,
        tokens["refresh_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(
        oauth_error(&r),
        "invalid_grant",
        "withdrawn consent ends the refresh token"
    );
    let resource_server = machine_client(&app, None).await;
    let r = lookup(
        &app,
        "/oauth/introspect",
        &resource_server,
        tokens["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(r.body, json!({ "active": false }), "and the access token");
    let r = authorize(&app, &query(&client, &[]), Some(&cookie)).await;
    assert_eq!(
        r.body["client_id"],
        json!(client.client_id),
        "consent is asked again"
    );
    let r = req(
        Method::DELETE,
        &format!("/oauth/consents/{}", client.client_id),
    )
    .cookie(&cookie)
    .send(&app.router)
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn a_replayed_code_is_refused_and_revokes_what_it_issued(family: Family) {
    let Some(app) = family_app("oauth2_code_grant", family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let (email, cookie) = signed_in_user(&app).await;
    let code = approved_code(&app, &client, &cookie).await;
    let first = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    let again = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth_error(&again), "invalid_grant");
    // The leak is on the user's record.
    let (events, _) = audit_of(&app, stored_user(&app, &email).await.id).await;
    assert!(
        events.contains(&"oauth_code_replayed".to_owned()),
        "{events:?}"
    );
    let r = refresh_grant(
        &app,
        &client,
        first.body["refresh_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(
        oauth_error(&r),
        "invalid_grant",
        "the first exchange's refresh token is revoked"
    );
    let resource_server = machine_client(&app, None).await;
    let access = first.body["access_token"].as_str().unwrap();
    let r = lookup(&app, "/oauth/introspect", &resource_server, access).await;
    assert_eq!(r.body, json!({ "active": false }), "and its access token");
}

async fn an_exchange_must_match_client_redirect_uri_and_verifier(family: Family) {
    let Some(app) = family_app("oauth2_code_grant", family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let other = web_client(&app, false).await;
    let (_, cookie) = signed_in_user(&app).await;
    let wrong_verifier = "x".repeat(43);
    let code = approved_code(&app, &client, &cookie).await;
    let r = exchange(&app, &client, &code, &wrong_verifier).await;
    assert_eq!(oauth_error(&r), "invalid_grant", "wrong verifier");
    let code = approved_code(&app, &client, &cookie).await;
    let r = exchange(&app, &client, &code, "").await;
    assert_eq!(oauth_error(&r), "invalid_grant", "no verifier");
    let code = approved_code(&app, &client, &cookie).await;
    let r = exchange(&app, &other, &code, VERIFIER).await;
    assert_eq!(oauth_error(&r), "invalid_grant", "another client's code");
    let code = approved_code(&app, &client, &cookie).await;
    let r = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://rp.example.com/callback/"),
            ("code_verifier", VERIFIER),
        ],
        Some(basic(&client.client_id, secret(&client))),
    )
    .await;
    assert_eq!(oauth_error(&r), "invalid_grant", "another redirect_uri");
    let r = exchange(&app, &client, "not-a-code", VERIFIER).await;
    assert_eq!(oauth_error(&r), "invalid_grant", "unknown code");
}

async fn sixteen_exchanges_of_one_code_have_one_winner(family: Family) {
    let Some(app) = family_app("oauth2_code_grant", family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let (_, cookie) = signed_in_user(&app).await;
    let code = approved_code(&app, &client, &cookie).await;
    let fields: Vec<(String, String)> = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP),
        ("code_verifier", VERIFIER),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec();
    let authorization = basic(&client.client_id, secret(&client));
    let requests = (0..16)
        .map(|_| {
            req(Method::POST, "/oauth/token")
                .origin(None)
                .form(&fields)
                .header("authorization", &authorization)
        })
        .collect();
    let answers = race(&app.router, requests).await;
    let won = answers
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(won, 1, "one code, one exchange: {answers:?}");
    for r in answers.iter().filter(|r| r.status != StatusCode::OK) {
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
        assert_eq!(oauth_error(r), "invalid_grant");
    }
}

async fn refresh_rotates_and_reuse_revokes_the_grant(family: Family) {
    let Some(app) = family_app("oauth2_code_grant", family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let (_, cookie) = signed_in_user(&app).await;
    let code = approved_code(&app, &client, &cookie).await;
    let first = exchange(&app, &client, &code, VERIFIER).await.body;
    let old = first["refresh_token"].as_str().unwrap();

    // Yauth's own refresh endpoint does not take a client's refresh token.
    assert_eq!(refresh(&app, old).await.status, StatusCode::UNAUTHORIZED);
    let other = web_client(&app, false).await;
    let r = refresh_grant(&app, &other, old, None).await;
    assert_eq!(
        oauth_error(&r),
        "invalid_grant",
        "only its client may use it"
    );

    let r = refresh_grant(&app, &client, old, Some("reports:read")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["scope"], json!("reports:read"), "narrowed");
    let new = r.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let claims = verified_claims(&app, r.body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["scope"], json!("reports:read"));
    let r = refresh_grant(&app, &client, &new, Some("reports:read admin")).await;
    assert_eq!(oauth_error(&r), "invalid_scope", "never widened");

    let r = refresh_grant(&app, &client, old, None).await;
    assert_eq!(oauth_error(&r), "invalid_grant", "a used refresh token");
    let r = refresh_grant(&app, &client, &new, None).await;
    assert_eq!(
        oauth_error(&r),
        "invalid_grant",
        "its reuse revoked the whole grant"
    );
}

async fn a_public_client_exchanges_with_pkce_alone(family: Family) {
    let Some(app) = family_app("oauth2_code_grant", family).await else {
        return;
    };
    let client = web_client(&app, true).await;
    assert!(client.client_secret.is_none());
    let (_, cookie) = signed_in_user(&app).await;
    let code = approved_code(&app, &client, &cookie).await;
    let r = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let code = approved_code(&app, &client, &cookie).await;
    let r = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP),
            ("code_verifier", VERIFIER),
            ("client_id", &client.client_id),
            ("client_secret", "a-secret-it-never-had"),
        ],
        None,
    )
    .await;
    assert_eq!(
        oauth_error(&r),
        "invalid_client",
        "a public client has no secret"
    );
}

async fn a_client_introspects_and_revokes_its_refresh_token(family: Family) {
    let Some(app) = family_app("oauth2_code_grant", family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let other = web_client(&app, false).await;
    let (email, cookie) = signed_in_user(&app).await;
    let code = approved_code(&app, &client, &cookie).await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await.body;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let r = lookup(&app, "/oauth/introspect", &client, refresh_token).await;
    assert_eq!(r.body["active"], json!(true), "{:?}", r.body);
    assert_eq!(r.body["token_type"], json!("refresh_token"));
    assert_eq!(
        r.body["sub"],
        json!(stored_user(&app, &email).await.id.to_string())
    );
    let r = lookup(&app, "/oauth/introspect", &other, refresh_token).await;
    assert_eq!(
        r.body,
        json!({ "active": false }),
        "another client learns nothing"
    );
    let r = lookup(&app, "/oauth/revoke", &other, refresh_token).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = lookup(&app, "/oauth/introspect", &client, refresh_token).await;
    assert_eq!(
        r.body["active"],
        json!(true),
        "another client cannot revoke it"
    );

    let r = lookup(&app, "/oauth/revoke", &client, refresh_token).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = lookup(&app, "/oauth/introspect", &client, refresh_token).await;
    assert_eq!(r.body, json!({ "active": false }), "revoked");
    let r = refresh_grant(&app, &client, refresh_token, None).await;
    assert_eq!(oauth_error(&r), "invalid_grant");
    let access = tokens["access_token"].as_str().unwrap();
    let r = lookup(&app, "/oauth/introspect", &client, access).await;
    assert_eq!(
        r.body,
        json!({ "active": false }),
        "its grant's access token too"
    );
}
