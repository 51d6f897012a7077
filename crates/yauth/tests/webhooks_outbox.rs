//! The webhook outbox across servers, on every database family: a server stopped after a failed
//! attempt or in the middle of one loses no delivery, and two servers with workers on one
//! database never send one delivery twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
mod common;
#[path = "common/webhooks.rs"]
mod webhook_support;

use std::collections::HashSet;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use backends::{AnyBackend, Family, backend};
use common::*;
use webhook_support::*;
use yauth::plugins::webhooks::WebhookConfig;

/// Two backends on one database of `family` (for memory, one store shared), emptied of the
/// webhooks earlier runs left. `name` keeps each test on a database of its own, so that no other
/// test's worker takes its deliveries.
async fn shared_database(name: &'static str, family: Family) -> Option<(AnyBackend, AnyBackend)> {
    let first = backend(name, family).await?;
    let second = match family {
        Family::Memory => first.clone(),
        _ => backend(name, family).await?,
    };
    clear_webhooks(&first.0).await;
    Some((first, second))
}

/// A server stopped after a failed attempt, and one stopped in the middle of an attempt: the
/// next server on the database delivers both.
async fn a_stopped_server_loses_no_delivery(family: Family) {
    let Some((first_db, second_db)) = shared_database("webhooks_restart", family).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.then(Reply::Status(503, "busy".into()));
    receiver.then(Reply::Stall);
    let first = webhook_app_on(first_db, quick_config()).await;
    let admin = admin_cookie(&first).await;
    let (retried, _) = create_webhook(&first, &admin, &receiver.url, &["webhook_test"]).await;
    let (stalled, _) = create_webhook(&first, &admin, &receiver.url, &["webhook_test"]).await;

    req(Method::POST, &format!("/webhooks/{retried}/test"))
        .cookie(&admin)
        .send(&first.router)
        .await;
    wait_for_delivery(&first, &admin, &retried, |d| {
        d["attempt"] == 1 && d["status"] == "pending"
    })
    .await;
    req(Method::POST, &format!("/webhooks/{stalled}/test"))
        .cookie(&admin)
        .send(&first.router)
        .await;
    receiver.wait_for(2).await;
    // Stopped: one delivery waits for its retry, the other is claimed mid-attempt.
    drop(first);

    let second = webhook_app_on(second_db, quick_config()).await;
    second.clock.advance(time::Duration::seconds(6));
    let got = receiver.wait_for(4).await;
    let retried_done =
        wait_for_delivery(&second, &admin, &retried, |d| d["status"] == "succeeded").await;
    let stalled_done =
        wait_for_delivery(&second, &admin, &stalled, |d| d["status"] == "succeeded").await;
    assert_eq!(retried_done["attempt"], 2);
    assert_eq!(
        stalled_done["attempt"], 2,
        "the lease ended and the row was claimed again"
    );
    let ids: HashSet<&str> = got.iter().map(|m| m.header("webhook-id")).collect();
    assert_eq!(ids.len(), 2, "the same two deliveries, each tried twice");
}

/// Two servers with workers on one database: every delivery is sent exactly once.
async fn two_workers_never_send_one_delivery_twice(family: Family) {
    let Some((first_db, second_db)) = shared_database("webhooks_workers", family).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let config = || WebhookConfig {
        poll_interval: Duration::from_millis(5),
        lease: Duration::from_secs(30),
        batch_size: 4,
        ..quick_config()
    };
    let first = webhook_app_on(first_db, config()).await;
    let second = webhook_app_on(second_db, config()).await;
    let admin = admin_cookie(&first).await;
    let (id, _) = create_webhook(&first, &admin, &receiver.url, &["webhook_test"]).await;
    const EVENTS: usize = 40;
    for i in 0..EVENTS {
        let app = if i % 2 == 0 { &first } else { &second };
        let r = req(Method::POST, &format!("/webhooks/{id}/test"))
            .cookie(&admin)
            .send(&app.router)
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    }
    receiver.wait_for(EVENTS).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = receiver.received();
    let ids: HashSet<&str> = got.iter().map(|m| m.header("webhook-id")).collect();
    assert_eq!(
        (got.len(), ids.len()),
        (EVENTS, EVENTS),
        "each delivery sent once"
    );
    let deliveries = history(&second, &admin, &id).await;
    assert!(
        deliveries
            .iter()
            .all(|d| d["attempt"] == 1 && d["status"] == "succeeded"),
        "no delivery was claimed twice"
    );
}

on_every_family!(
    a_stopped_server_loses_no_delivery,
    two_workers_never_send_one_delivery_twice
);
