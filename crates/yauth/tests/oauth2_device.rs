//! The device authorization grant (RFC 8628) through HTTP: the device asks for codes, the user
//! decides on the verification page's API, and the device polls the token endpoint, with the
//! RFC's answers at every step. The flows and the races run on every database family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
#[path = "common/bearer.rs"]
mod bearer_support;
mod common;
#[path = "common/families.rs"]
mod families;
#[path = "common/oauth2_server.rs"]
mod server_support;

use axum::http::{Method, StatusCode};
use backends::Family;
use bearer_support::*;
use common::*;
use serde_json::{Value, json};
use server_support::*;
use yauth::plugins::oauth2_server::{
    ClientRegistration, DeviceFlowConfig, Oauth2ServerConfig, RegisteredClient, RegistrationPolicy,
};

on_every_family!(
    an_approved_device_gets_tokens_once,
    a_denied_or_expired_device_request_answers_its_error,
    one_decision_and_one_redemption_win_a_race,
);

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn device_config() -> Oauth2ServerConfig {
    Oauth2ServerConfig {
        scopes_supported: ["profile", "reports:read", "offline_access"]
            .map(str::to_owned)
            .to_vec(),
        device: Some(DeviceFlowConfig::new("/device")),
        ..server_config(RegistrationPolicy::Closed)
    }
}

async fn family_app(family: Family) -> Option<TestApp> {
    families::app_in(
        "oauth2_device",
        family,
        test_config(ORIGIN),
        ep_config(),
        with_server(device_config()),
    )
    .await
}

async fn memory_app(config: Oauth2ServerConfig) -> TestApp {
    app_with(test_config(ORIGIN), ep_config(), with_server(config)).await
}

/// A television app: a public client with the device and refresh grants.
async fn tv_client(app: &TestApp) -> RegisteredClient {
    let registration = ClientRegistration {
        grant_types: Some(vec![DEVICE_GRANT.into(), "refresh_token".into()]),
        token_endpoint_auth_method: Some("none".into()),
        client_name: Some("Living-room TV".into()),
        scope: Some("profile reports:read offline_access".into()),
        ..Default::default()
    };
    app.yauth
        .register_oauth2_client(&registration)
        .await
        .unwrap()
}

/// `POST /oauth/device/code` for a public client.
async fn device_code(app: &TestApp, client: &RegisteredClient, scope: Option<&str>) -> Res {
    let mut fields = vec![("client_id".to_owned(), client.client_id.clone())];
    if let Some(scope) = scope {
        fields.push(("scope".to_owned(), scope.to_owned()));
    }
    req(Method::POST, "/oauth/device/code")
        .origin(None)
        .form(&fields)
        .send(&app.router)
        .await
}

async fn started(app: &TestApp, client: &RegisteredClient) -> Value {
    let r = device_code(app, client, Some("profile offline_access")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

/// The device's poll of the token endpoint.
async fn poll(app: &TestApp, client: &RegisteredClient, device_code: &str) -> Res {
    token_request(
        app,
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", &client.client_id),
        ],
        None,
    )
    .await
}

async fn prompt(app: &TestApp, cookie: &str, user_code: &str) -> Res {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("user_code", user_code)
        .finish();
    req(Method::GET, &format!("/oauth/device?{query}"))
        .cookie(cookie)
        .send(&app.router)
        .await
}

async fn decide(app: &TestApp, cookie: &str, user_code: &str, decision: &str) -> Res {
    req(Method::POST, "/oauth/device")
        .cookie(cookie)
        .json(json!({ "user_code": user_code, "decision": decision }))
        .send(&app.router)
        .await
}

fn field<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body:?}"))
}

async fn an_approved_device_gets_tokens_once(family: Family) {
    let Some(app) = family_app(family).await else {
        return;
    };
    let client = tv_client(&app).await;
    let r = device_code(&app, &client, Some("profile offline_access")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    let user_code = field(&r.body, "user_code").to_owned();
    assert!(
        user_code.len() == 9 && user_code.as_bytes()[4] == b'-',
        "{user_code}"
    );
    assert_eq!(
        r.body["verification_uri"],
        json!(format!("{ORIGIN}/device"))
    );
    assert_eq!(
        r.body["verification_uri_complete"],
        json!(format!("{ORIGIN}/device?user_code={user_code}"))
    );
    assert_eq!(r.body["expires_in"], json!(600));
    assert_eq!(r.body["interval"], json!(5));
    let device_code = field(&r.body, "device_code").to_owned();

    // The user has not decided: pending, and polling again at once is too fast.
    let r = poll(&app, &client, &device_code).await;
    assert_eq!(
        (r.status, oauth_error(&r)),
        (StatusCode::BAD_REQUEST, "authorization_pending")
    );
    let r = poll(&app, &client, &device_code).await;
    assert_eq!(oauth_error(&r), "slow_down");

    // The user types the code as they like: lower case, no dash.
    let (email, cookie) = signed_in_user(&app).await;
    let typed = user_code.replace('-', "").to_lowercase();
    let r = prompt(&app, &cookie, &typed).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user_code"], json!(user_code));
    assert_eq!(r.body["client_id"], json!(client.client_id));
    assert_eq!(r.body["client_name"], json!("Living-room TV"));
    assert_eq!(r.body["scopes"], json!(["profile", "offline_access"]));
    assert_eq!(r.body["expires_in"], json!(600));
    let r = decide(&app, &cookie, &typed, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], json!("approved"));
    let (events, _) = audit_of(&app, stored_user(&app, &email).await.id).await;
    assert!(
        events.contains(&"oauth_consent_granted".to_owned()),
        "{events:?}"
    );

    // Decided: nothing pending any more, and no second decision.
    let r = prompt(&app, &cookie, &user_code).await;
    assert_eq!(
        (r.status, api_code(&r)),
        (StatusCode::NOT_FOUND, Some("device_code_not_found"))
    );
    let r = decide(&app, &cookie, &user_code, "deny").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    app.clock.advance(time::Duration::seconds(5));
    let r = poll(&app, &client, &device_code).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.body["scope"], json!("profile offline_access"));
    let access = field(&r.body, "access_token").to_owned();
    let refresh = field(&r.body, "refresh_token").to_owned();
    let claims = verified_claims(&app, &access).await;
    assert_eq!(claims["client_id"], json!(client.client_id));
    assert_eq!(claims["scope"], json!("profile offline_access"));
    let user = stored_user(&app, &email).await;
    assert_eq!(claims["sub"], json!(user.id.to_string()));

    // Redeemed once: the code is spent.
    app.clock.advance(time::Duration::seconds(5));
    let r = poll(&app, &client, &device_code).await;
    assert_eq!(oauth_error(&r), "invalid_grant");

    // The refresh token works for the device, rotated.
    let r = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client.client_id),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_ne!(field(&r.body, "refresh_token"), refresh);
}

async fn a_denied_or_expired_device_request_answers_its_error(family: Family) {
    let Some(app) = family_app(family).await else {
        return;
    };
    let client = tv_client(&app).await;
    let (_, cookie) = signed_in_user(&app).await;

    let denied = started(&app, &client).await;
    let r = decide(&app, &cookie, field(&denied, "user_code"), "deny").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], json!("denied"));
    let r = poll(&app, &client, field(&denied, "device_code")).await;
    assert_eq!(
        (r.status, oauth_error(&r)),
        (StatusCode::BAD_REQUEST, "access_denied")
    );

    // Valid until its lifetime ends, and no later, for the user and the device alike.
    let expiring = started(&app, &client).await;
    app.clock
        .advance(time::Duration::minutes(10) - time::Duration::seconds(1));
    let r = prompt(&app, &cookie, field(&expiring, "user_code")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["expires_in"], json!(1));
    app.clock.advance(time::Duration::seconds(1));
    let r = prompt(&app, &cookie, field(&expiring, "user_code")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = decide(&app, &cookie, field(&expiring, "user_code"), "approve").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = poll(&app, &client, field(&expiring, "device_code")).await;
    assert_eq!(oauth_error(&r), "expired_token");

    // A device code nobody issued.
    let r = poll(&app, &client, "not-a-device-code").await;
    assert_eq!(oauth_error(&r), "invalid_grant");
}

async fn one_decision_and_one_redemption_win_a_race(family: Family) {
    let Some(app) = family_app(family).await else {
        return;
    };
    let client = tv_client(&app).await;
    let (_, cookie) = signed_in_user(&app).await;
    let (_, other) = signed_in_user(&app).await;
    let start = started(&app, &client).await;
    let user_code = field(&start, "user_code");

    // Two users, eight tabs each, approve and deny at once: one decision counts.
    let decisions = (0..16)
        .map(|i| {
            let who = if i % 2 == 0 { &cookie } else { &other };
            let choice = if i % 4 < 2 { "approve" } else { "deny" };
            req(Method::POST, "/oauth/device")
                .cookie(who)
                .json(json!({ "user_code": user_code, "decision": choice }))
        })
        .collect();
    let decided = race(&app.router, decisions).await;
    let won: Vec<&Res> = decided
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .collect();
    assert_eq!(won.len(), 1, "one decision wins");
    assert!(
        decided
            .iter()
            .all(|r| r.status == StatusCode::OK || r.status == StatusCode::NOT_FOUND)
    );
    if won[0].body["status"] == json!("denied") {
        let r = poll(&app, &client, field(&start, "device_code")).await;
        assert_eq!(oauth_error(&r), "access_denied");
        return;
    }

    // Sixteen polls of the approved code: one gets tokens.
    app.clock.advance(time::Duration::seconds(5));
    let fields = vec![
        ("grant_type".to_owned(), DEVICE_GRANT.to_owned()),
        (
            "device_code".to_owned(),
            field(&start, "device_code").to_owned(),
        ),
        ("client_id".to_owned(), client.client_id.clone()),
    ];
    let polls = (0..16)
        .map(|_| req(Method::POST, "/oauth/token").origin(None).form(&fields))
        .collect();
    let polled = race(&app.router, polls).await;
    let redeemed = polled.iter().filter(|r| r.status == StatusCode::OK).count();
    assert_eq!(redeemed, 1, "one redemption: {polled:?}");
    for r in polled.iter().filter(|r| r.status != StatusCode::OK) {
        assert!(
            matches!(oauth_error(r), "invalid_grant" | "slow_down"),
            "{:?}",
            r.body
        );
    }
}

#[tokio::test]
async fn the_device_grant_exists_only_when_configured() {
    let off = memory_app(Oauth2ServerConfig {
        device: None,
        ..device_config()
    })
    .await;
    let metadata = req(Method::GET, "/.well-known/oauth-authorization-server")
        .send(&off.router)
        .await;
    assert!(metadata.body.get("device_authorization_endpoint").is_none());
    assert!(
        !metadata.body["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(DEVICE_GRANT))
    );
    let r = req(Method::POST, "/oauth/device/code")
        .origin(None)
        .form(&[("client_id".to_owned(), "x".to_owned())])
        .send(&off.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let refused = off
        .yauth
        .register_oauth2_client(&ClientRegistration {
            grant_types: Some(vec![DEVICE_GRANT.into()]),
            token_endpoint_auth_method: Some("none".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.error(), "invalid_client_metadata");
    assert!(
        !off.yauth
            .openapi()
            .paths
            .paths
            .contains_key("/oauth/device")
    );

    let on = memory_app(device_config()).await;
    let metadata = req(Method::GET, "/.well-known/oauth-authorization-server")
        .send(&on.router)
        .await;
    assert_eq!(
        metadata.body["device_authorization_endpoint"],
        json!(format!("{ORIGIN}/oauth/device/code"))
    );
    assert!(
        metadata.body["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(DEVICE_GRANT))
    );
    let paths = &on.yauth.openapi().paths.paths;
    assert!(paths.contains_key("/oauth/device") && paths.contains_key("/oauth/device/code"));
}

#[tokio::test]
async fn the_device_endpoint_checks_the_client_and_its_scopes() {
    let app = memory_app(device_config()).await;
    let tv = tv_client(&app).await;

    let r = device_code(&app, &tv, Some("reports:write")).await;
    assert_eq!(oauth_error(&r), "invalid_scope");

    // A client registered without the device grant may not start one.
    let machine = machine_client(&app, Some("reports:read")).await;
    let r = req(Method::POST, "/oauth/device/code")
        .origin(None)
        .form(&[("scope".to_owned(), "reports:read".to_owned())])
        .header(
            "authorization",
            &basic(&machine.client_id, secret(&machine)),
        )
        .send(&app.router)
        .await;
    assert_eq!(oauth_error(&r), "unauthorized_client");

    // Unknown client, or a confidential one without its secret.
    let r = req(Method::POST, "/oauth/device/code")
        .origin(None)
        .form(&[("client_id".to_owned(), "nobody".to_owned())])
        .send(&app.router)
        .await;
    assert_eq!(
        (r.status, oauth_error(&r)),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    let r = req(Method::POST, "/oauth/device/code")
        .origin(None)
        .form(&[("client_id".to_owned(), machine.client_id.clone())])
        .send(&app.router)
        .await;
    assert_eq!(oauth_error(&r), "invalid_client");

    // Another client cannot redeem the TV's approved code; the code is spent all the same.
    let other_tv = tv_client(&app).await;
    let start = started(&app, &tv).await;
    let (_, cookie) = signed_in_user(&app).await;
    let r = decide(&app, &cookie, field(&start, "user_code"), "approve").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = poll(&app, &other_tv, field(&start, "device_code")).await;
    assert_eq!(oauth_error(&r), "invalid_grant");
    app.clock.advance(time::Duration::seconds(5));
    let r = poll(&app, &tv, field(&start, "device_code")).await;
    assert_eq!(oauth_error(&r), "invalid_grant");
}

#[tokio::test]
async fn verification_needs_a_browser_session_and_a_guess_budget() {
    let app = memory_app(device_config()).await;
    let tv = tv_client(&app).await;
    let start = started(&app, &tv).await;
    let user_code = field(&start, "user_code");

    let r = req(Method::GET, &format!("/oauth/device?user_code={user_code}"))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // A token another application holds for the user must not approve devices.
    let (_, tokens) = user_with_tokens(&app).await;
    let r = with_bearer(Method::POST, "/oauth/device", access(&tokens))
        .json(json!({ "user_code": user_code, "decision": "approve" }))
        .send(&app.router)
        .await;
    assert_eq!(
        (r.status, api_code(&r)),
        (StatusCode::UNAUTHORIZED, Some("login_required"))
    );

    let (_, cookie) = signed_in_user(&app).await;
    let r = prompt(&app, &cookie, "AEIO-UAEI").await;
    assert_eq!(
        (r.status, api_code(&r)),
        (StatusCode::BAD_REQUEST, Some("invalid_user_code"))
    );
    let r = decide(&app, &cookie, user_code, "maybe").await;
    assert_eq!(api_code(&r), Some("invalid_decision"));

    // A form post decides too.
    let r = req(Method::POST, "/oauth/device")
        .cookie(&cookie)
        .form(&[
            ("user_code".to_owned(), user_code.to_owned()),
            ("decision".to_owned(), "deny".to_owned()),
        ])
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], json!("denied"));

    // Ten look-ups a minute per user (the one above counted), then 429 with Retry-After,
    // whatever the code.
    for _ in 0..8 {
        let r = prompt(&app, &cookie, "BCDF-GHJK").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let r = prompt(&app, &cookie, "BCDF-GHJK").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", r.body);
    assert!(r.headers.contains_key("retry-after"));
    let r = decide(&app, &cookie, user_code, "approve").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

/// yauth's own error code of an answer.
fn api_code(r: &Res) -> Option<&str> {
    r.body["error"]["code"].as_str()
}
