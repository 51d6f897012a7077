//! The webhooks plugin through HTTP, delivering to a real receiver on loopback: signatures
//! checked by an independent Standard Webhooks library, retries with backoff and dead letters,
//! redelivery, and the SSRF guard (at creation and again at connection). The outbox's
//! durability on every database family is in `webhooks_outbox.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/webhooks.rs"]
mod webhook_support;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use webhook_support::*;
use yauth::plugins::webhooks::WebhookConfig;
use yauth_store::{Clock, InMemoryBackend};

async fn memory_app(config: WebhookConfig) -> TestApp {
    webhook_app_on(InMemoryBackend::new(), config).await
}

fn at(value: &serde_json::Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test]
async fn deliveries_verify_with_an_independent_standard_webhooks_library() {
    let receiver = Receiver::start().await;
    let app = memory_app(quick_config()).await;
    let admin = admin_cookie(&app).await;
    let (id, secret) = create_webhook(&app, &admin, &receiver.url, &["user_registered"]).await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    let email = registered_user(&app).await;
    let user = stored_user(&app, &email).await;
    let got = receiver.wait_for(1).await;
    let delivery = &got[0];

    let verified = verify_independently(&secret, &got).await;
    let payload = verified[0]
        .clone()
        .expect("the independent verifier accepts it");
    assert_eq!(payload["type"], "user_registered");
    assert_eq!(payload["data"]["user_id"], json!(user.id));
    assert!(
        payload.to_string().find(&email).is_none(),
        "no address in the payload"
    );
    assert_eq!(delivery.header("content-type"), "application/json");
    assert_eq!(
        delivery.header("x-webhook-signature"),
        delivery.header("webhook-signature")
    );

    // The verifier really checks: another body, another secret or an old timestamp fail.
    let mut tampered = delivery.clone();
    tampered.body = tampered.body.replace("user_registered", "user_deleted");
    let mut stale = delivery.clone();
    stale.headers.insert(
        "webhook-timestamp".into(),
        (OffsetDateTime::now_utc().unix_timestamp() - 3600).to_string(),
    );
    let results = verify_independently(&secret, &[tampered, stale]).await;
    assert!(results.iter().all(Result::is_err), "{results:?}");
    let other_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    assert!(verify_independently(other_secret, &got).await[0].is_err());

    // The history shows it delivered, under the id the receiver saw.
    let newest = wait_for_delivery(&app, &admin, &id, |d| d["status"] == "succeeded").await;
    assert_eq!(
        newest["id"].as_str().unwrap(),
        delivery.header("webhook-id")
    );
    assert_eq!(newest["attempt"], 1);
    assert_eq!(newest["status_code"], 200);
    assert_eq!(newest["response_body"], "thanks");
    assert!(
        newest["duration_ms"].as_i64().is_some_and(|ms| ms >= 0),
        "{newest}"
    );
}

#[tokio::test]
async fn only_subscribed_active_webhooks_receive_events() {
    let (subscribed, inactive) = (Receiver::start().await, Receiver::start().await);
    let app = memory_app(quick_config()).await;
    let admin = admin_cookie(&app).await;
    let (on_id, _) = create_webhook(&app, &admin, &subscribed.url, &["login_failed"]).await;
    let (off_id, _) = create_webhook(
        &app,
        &admin,
        &inactive.url,
        &["login_failed", "user_registered"],
    )
    .await;
    let r = req(Method::PUT, &format!("/webhooks/{off_id}"))
        .cookie(&admin)
        .json(json!({ "active": false }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["active"], false);
    assert!(r.body.get("secret").is_none());

    registered_user(&app).await;
    let r = login(&app, &unique_email(), PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let got = subscribed.wait_for(1).await;
    assert_eq!(got[0].json()["type"], "login_failed");
    // Outbox rows are written before the request answers: none exist for the others.
    assert_eq!(history(&app, &admin, &off_id).await.len(), 0);
    let kinds: Vec<_> = history(&app, &admin, &on_id)
        .await
        .iter()
        .map(|d| d["event_type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["login_failed"]);
    assert!(inactive.received().is_empty());
}

#[tokio::test]
async fn failures_back_off_then_dead_letter_and_a_redelivery_succeeds() {
    let receiver = Receiver::start().await;
    for _ in 0..3 {
        receiver.then(Reply::Status(500, "x".repeat(5000)));
    }
    let config = WebhookConfig {
        max_retries: 2,
        ..quick_config()
    };
    let app = memory_app(config).await;
    let admin = admin_cookie(&app).await;
    let (id, secret) = create_webhook(&app, &admin, &receiver.url, &["mfa_enabled"]).await;
    let r = req(Method::POST, &format!("/webhooks/{id}/test"))
        .cookie(&admin)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let delivery_id = r.body["id"].as_str().unwrap().to_owned();

    // Attempt 1 fails; the retry waits between half of retry_delay and all of it.
    let first = wait_for_delivery(&app, &admin, &id, |d| {
        d["attempt"] == 1 && d["status"] == "pending"
    })
    .await;
    assert_eq!(first["status_code"], 500);
    assert_eq!(
        first["response_body"].as_str().unwrap().len(),
        1024,
        "bodies are cut at 1 KiB"
    );
    let wait = at(&first["next_attempt_at"]) - app.clock.now();
    assert!(
        wait > time::Duration::milliseconds(400) && wait <= time::Duration::seconds(1),
        "{wait}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "nothing is sent before the retry is due"
    );

    // Attempt 2, one second later, fails too; the next wait doubles.
    app.clock.advance(time::Duration::seconds(1));
    let second = wait_for_delivery(&app, &admin, &id, |d| {
        d["attempt"] == 2 && d["status"] == "pending"
    })
    .await;
    let wait = at(&second["next_attempt_at"]) - app.clock.now();
    assert!(
        wait > time::Duration::milliseconds(900) && wait <= time::Duration::seconds(2),
        "{wait}"
    );

    // Attempt 3 is the last (max_retries 2): the delivery is dead-lettered.
    app.clock.advance(time::Duration::seconds(2));
    let last = wait_for_delivery(&app, &admin, &id, |d| d["status"] == "failed").await;
    assert_eq!(last["attempt"], 3);
    // Past any retry it could have had (and still inside the verifiers' five-minute window).
    app.clock.advance(time::Duration::seconds(60));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = receiver.received();
    assert_eq!(got.len(), 3, "a dead letter is not retried");
    assert!(
        got.iter().all(|m| m.header("webhook-id") == delivery_id),
        "retries keep their id"
    );

    // A redelivery is a new delivery of the same payload; the receiver now accepts it.
    let r = req(
        Method::POST,
        &format!("/webhooks/{id}/deliveries/{delivery_id}/redeliver"),
    )
    .cookie(&admin)
    .send(&app.router)
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_ne!(r.body["id"].as_str().unwrap(), delivery_id);
    let got = receiver.wait_for(4).await;
    assert_eq!(got[3].json(), got[0].json());
    assert!(verify_independently(&secret, &got[3..]).await[0].is_ok());
    let newest = wait_for_delivery(&app, &admin, &id, |d| d["status"] == "succeeded").await;
    assert_eq!(newest["event_type"], "webhook_test");

    let unknown = uuid::Uuid::new_v4();
    let r = req(
        Method::POST,
        &format!("/webhooks/{id}/deliveries/{unknown}/redeliver"),
    )
    .cookie(&admin)
    .send(&app.router)
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_stalled_receiver_times_out_and_is_retried() {
    let receiver = Receiver::start().await;
    receiver.then(Reply::Stall);
    let config = WebhookConfig {
        timeout: Duration::from_millis(300),
        lease: Duration::from_secs(2),
        ..quick_config()
    };
    let app = memory_app(config).await;
    let admin = admin_cookie(&app).await;
    let (id, _) = create_webhook(&app, &admin, &receiver.url, &["webhook_test"]).await;
    req(Method::POST, &format!("/webhooks/{id}/test"))
        .cookie(&admin)
        .send(&app.router)
        .await;
    let first = wait_for_delivery(&app, &admin, &id, |d| {
        d["attempt"] == 1 && d["status"] == "pending"
    })
    .await;
    assert!(
        first["error"].as_str().unwrap().starts_with("timed out"),
        "{first}"
    );
    let took = first["duration_ms"].as_i64().unwrap();
    assert!(
        (300..2000).contains(&took),
        "the attempt lasted the timeout: {took} ms"
    );
    assert_eq!(first["status_code"], json!(null));
    app.clock.advance(time::Duration::seconds(1));
    let done = wait_for_delivery(&app, &admin, &id, |d| d["status"] == "succeeded").await;
    assert_eq!(done["attempt"], 2);
}

#[tokio::test]
async fn internal_destinations_are_refused_when_created() {
    let resolver = TestResolver::default();
    resolver.answer("internal.test", &["10.0.0.1"]);
    resolver.answer("mixed.test", &["93.184.215.14", "169.254.169.254"]);
    resolver.answer("public.test", &["93.184.215.14"]);
    let config = WebhookConfig {
        allowed_networks: Vec::new(),
        resolver: std::sync::Arc::new(resolver),
        ..quick_config()
    };
    let app = memory_app(config).await;
    let admin = admin_cookie(&app).await;
    for url in [
        // The system resolver answers 127.0.0.1 (and ::1) for it.
        "http://localhost:8080/hook",
        "http://internal.test/hook",
        "http://mixed.test/hook",
        "http://10.0.0.1/hook",
        "http://127.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/",
        "http://user:secret@public.test/hook",
        "ftp://public.test/hook",
        "http://unresolvable.invalid/hook",
    ] {
        let r = req(Method::POST, "/webhooks")
            .cookie(&admin)
            .json(json!({ "url": url, "events": ["login_failed"] }))
            .send(&app.router)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}: {:?}", r.body);
        assert_eq!(r.code(), "invalid_webhook_url", "{url}");
    }
    create_webhook(&app, &admin, "http://public.test/hook", &["login_failed"]).await;

    // https only by default.
    let strict = memory_app(WebhookConfig::default()).await;
    let admin = admin_cookie(&strict).await;
    let r = req(Method::POST, "/webhooks")
        .cookie(&admin)
        .json(json!({ "url": "http://example.com/hook", "events": ["login_failed"] }))
        .send(&strict.router)
        .await;
    assert_eq!(r.code(), "invalid_webhook_url");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("https")
    );
}

#[tokio::test]
async fn a_name_that_turns_internal_after_creation_is_refused_when_connecting() {
    let receiver = Receiver::start().await;
    let resolver = TestResolver::default();
    resolver.answer("hooks.test", &["93.184.215.14"]);
    let config = WebhookConfig {
        allowed_networks: Vec::new(),
        resolver: std::sync::Arc::new(resolver.clone()),
        ..quick_config()
    };
    let app = memory_app(config).await;
    let admin = admin_cookie(&app).await;
    let url = format!("http://hooks.test:{}/hook", receiver.port);
    let (id, _) = create_webhook(&app, &admin, &url, &["webhook_test"]).await;

    // DNS rebinding: the name now points at the receiver on loopback.
    resolver.answer("hooks.test", &["127.0.0.1"]);
    req(Method::POST, &format!("/webhooks/{id}/test"))
        .cookie(&admin)
        .send(&app.router)
        .await;
    let refused = wait_for_delivery(&app, &admin, &id, |d| d["status"] == "failed").await;
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("internal address"),
        "{refused}"
    );
    assert_eq!(
        refused["attempt"], 1,
        "a refused destination is not retried"
    );
    assert!(
        receiver.received().is_empty(),
        "nothing reached the internal address"
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (first, elsewhere) = (Receiver::start().await, Receiver::start().await);
    first.then(Reply::Redirect(elsewhere.url.clone()));
    let config = WebhookConfig {
        max_retries: 0,
        ..quick_config()
    };
    let app = memory_app(config).await;
    let admin = admin_cookie(&app).await;
    let (id, _) = create_webhook(&app, &admin, &first.url, &["webhook_test"]).await;
    req(Method::POST, &format!("/webhooks/{id}/test"))
        .cookie(&admin)
        .send(&app.router)
        .await;
    let done = wait_for_delivery(&app, &admin, &id, |d| d["status"] == "failed").await;
    assert_eq!(done["status_code"], 307);
    assert_eq!(first.received().len(), 1);
    assert!(elsewhere.received().is_empty());
}

#[tokio::test]
async fn only_administrators_manage_webhooks() {
    let receiver = Receiver::start().await;
    let config = WebhookConfig {
        max_webhooks: 1,
        ..quick_config()
    };
    let app = memory_app(config).await;
    let (_, user) = signed_in_user(&app).await;
    let admin = admin_cookie(&app).await;
    let (id, secret) = create_webhook(&app, &admin, &receiver.url, &["webhook_test"]).await;
    let some_id = uuid::Uuid::new_v4();
    for (method, path, body) in [
        (
            Method::POST,
            "/webhooks".to_owned(),
            Some(json!({ "url": receiver.url, "events": ["login_failed"] })),
        ),
        (Method::GET, "/webhooks".to_owned(), None),
        (Method::GET, format!("/webhooks/{id}"), None),
        (
            Method::PUT,
            format!("/webhooks/{id}"),
            Some(json!({ "active": false })),
        ),
        (Method::DELETE, format!("/webhooks/{id}"), None),
        (Method::POST, format!("/webhooks/{id}/test"), None),
        (
            Method::POST,
            format!("/webhooks/{id}/deliveries/{some_id}/redeliver"),
            None,
        ),
    ] {
        let mut r = req(method.clone(), &path).cookie(&user);
        if let Some(body) = body {
            r = r.json(body);
        }
        let r = r.send(&app.router).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
    }

    // Listed without the secret; one webhook per administrator here.
    let r = req(Method::GET, "/webhooks")
        .cookie(&admin)
        .send(&app.router)
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert!(
        !r.body.to_string().contains(&secret[6..]),
        "the secret is shown once only"
    );
    let r = req(Method::POST, "/webhooks")
        .cookie(&admin)
        .json(json!({ "url": receiver.url, "events": ["login_failed"] }))
        .send(&app.router)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "too_many_webhooks")
    );
    for events in [json!([]), json!(["no_such_event"])] {
        let r = req(Method::PUT, &format!("/webhooks/{id}"))
            .cookie(&admin)
            .json(json!({ "events": events }))
            .send(&app.router)
            .await;
        assert_eq!(r.code(), "invalid_events", "{events}");
    }

    // A rotated secret signs what follows; the old one no longer verifies.
    let r = req(Method::PUT, &format!("/webhooks/{id}"))
        .cookie(&admin)
        .json(json!({ "rotate_secret": true }))
        .send(&app.router)
        .await;
    let rotated = r.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(rotated, secret);
    req(Method::POST, &format!("/webhooks/{id}/test"))
        .cookie(&admin)
        .send(&app.router)
        .await;
    let got = receiver.wait_for(1).await;
    assert!(verify_independently(&rotated, &got).await[0].is_ok());
    assert!(verify_independently(&secret, &got).await[0].is_err());

    let r = req(Method::DELETE, &format!("/webhooks/{id}"))
        .cookie(&admin)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = req(Method::GET, &format!("/webhooks/{id}"))
        .cookie(&admin)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Each change is in the audit log.
    let changes = audit_event_types(&app).await;
    for kind in ["webhook_created", "webhook_updated", "webhook_deleted"] {
        assert!(changes.iter().any(|c| c == kind), "{kind} in {changes:?}");
    }
}

#[tokio::test]
async fn webhooks_need_a_key_ring() {
    let error = yauth::YAuthBuilder::new(InMemoryBackend::new(), test_config(ORIGIN))
        .with_webhooks(WebhookConfig::default())
        .build()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("webhooks"), "{error}");
    let error = yauth::YAuthBuilder::new(InMemoryBackend::new(), test_config(ORIGIN))
        .with_secret_key("k", &KEY)
        .with_webhooks(WebhookConfig {
            lease: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            ..WebhookConfig::default()
        })
        .build()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("lease"), "{error}");
}
