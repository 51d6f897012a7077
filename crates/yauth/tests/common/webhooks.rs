//! A webhook receiver on loopback that records what it gets and answers as told, the
//! independent Standard Webhooks verifier (`support/webhook-verifier`, npm `standardwebhooks`),
//! and the webhooks plugin's test app.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use yauth::plugins::webhooks::{HostResolver, SystemResolver, WebhookConfig};

use crate::common::*;

/// The key ring's key in these tests.
pub const KEY: [u8; 32] = [42; 32];

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    Status(u16, String),
    /// Never answers.
    Stall,
    /// 307 to this URL.
    Redirect(String),
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    replies: Arc<Mutex<VecDeque<Reply>>>,
}

/// An HTTP server on 127.0.0.1: records every request, answers the queued replies in order,
/// then 200.
pub struct Receiver {
    pub url: String,
    pub port: u16,
    shared: Shared,
    _server: tokio::task::JoinHandle<()>,
}

async fn record(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let headers = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    shared
        .received
        .lock()
        .unwrap()
        .push(Received { headers, body });
    let reply = shared.replies.lock().unwrap().pop_front();
    match reply {
        None => (StatusCode::OK, "thanks").into_response(),
        Some(Reply::Status(code, body)) => {
            (StatusCode::from_u16(code).unwrap(), body).into_response()
        }
        Some(Reply::Stall) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK.into_response()
        }
        Some(Reply::Redirect(to)) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(axum::http::header::LOCATION, to)],
        )
            .into_response(),
    }
}

impl Receiver {
    pub async fn start() -> Self {
        let shared = Shared::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = Router::new().fallback(record).with_state(shared.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            port,
            shared,
            _server: server,
        }
    }

    /// Queues the answer to a coming request.
    pub fn then(&self, reply: Reply) {
        self.shared.replies.lock().unwrap().push_back(reply);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until `n` requests have arrived; answers them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..1000 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("expected {n} deliveries, got {}", self.received().len());
    }
}

/// What the independent verifier says of each delivery: its payload, or why it refused it.
pub async fn verify_independently(
    secret: &str,
    messages: &[Received],
) -> Vec<Result<Value, String>> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/webhook-verifier");
    assert!(
        dir.join("node_modules/standardwebhooks").exists(),
        "the verifier is not installed: npm ci --prefix {}",
        dir.display()
    );
    let input = json!({
        "secret": secret,
        "messages": messages.iter().map(|m| json!({ "headers": m.headers, "body": m.body })).collect::<Vec<_>>(),
    });
    let mut child = tokio::process::Command::new("node")
        .arg(dir.join("verify.mjs"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success(), "the verifier failed");
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    results
        .into_iter()
        .map(|r| match r["ok"].as_bool() {
            Some(true) => Ok(r["payload"].clone()),
            _ => Err(r["error"].as_str().unwrap_or("").to_owned()),
        })
        .collect()
}

/// Resolves the names it was given to fixed addresses (changeable mid-test), every other name
/// through the system.
#[derive(Clone, Default)]
pub struct TestResolver(Arc<Mutex<HashMap<String, Vec<IpAddr>>>>);

impl TestResolver {
    pub fn answer(&self, host: &str, addresses: &[&str]) {
        self.0.lock().unwrap().insert(
            host.to_owned(),
            addresses.iter().map(|a| a.parse().unwrap()).collect(),
        );
    }
}

#[async_trait::async_trait]
impl HostResolver for TestResolver {
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        let known = self.0.lock().unwrap().get(host).cloned();
        match known {
            Some(addresses) => Ok(addresses),
            None => SystemResolver.resolve(host).await,
        }
    }
}

/// Settings for tests: plain HTTP to loopback allowed, quick polls, one-second retries.
pub fn quick_config() -> WebhookConfig {
    WebhookConfig {
        allow_http: true,
        allowed_networks: vec!["127.0.0.0/8".parse().unwrap()],
        poll_interval: Duration::from_millis(20),
        retry_delay: Duration::from_secs(1),
        max_retry_delay: Duration::from_secs(60),
        timeout: Duration::from_secs(2),
        lease: Duration::from_secs(5),
        ..WebhookConfig::default()
    }
}

/// The test app with webhooks (and a key ring) over `backend`.
pub async fn webhook_app_on(
    backend: impl yauth_store::DatabaseBackend,
    config: WebhookConfig,
) -> TestApp {
    app_on(
        backend,
        test_config(ORIGIN),
        generous_ep_config(),
        move |b| b.with_secret_key("test", &KEY).with_webhooks(config),
    )
    .await
}

/// A signed-in administrator's session cookie.
pub async fn admin_cookie(app: &TestApp) -> String {
    let (email, cookie) = signed_in_user(app).await;
    promote(app, &email).await;
    cookie
}

/// Creates a webhook; answers its id and secret.
pub async fn create_webhook(
    app: &TestApp,
    cookie: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let r = req(Method::POST, "/webhooks")
        .cookie(cookie)
        .json(json!({ "url": url, "events": events }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["secret"].as_str().unwrap().to_owned(),
    )
}

/// The webhook's deliveries, newest first.
pub async fn history(app: &TestApp, cookie: &str, id: &str) -> Vec<Value> {
    let r = req(Method::GET, &format!("/webhooks/{id}"))
        .cookie(cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["deliveries"].as_array().unwrap().clone()
}

/// Waits (up to 20 s) until the newest delivery satisfies `done`; answers it.
pub async fn wait_for_delivery(
    app: &TestApp,
    cookie: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..1000 {
        if let Some(newest) = history(app, cookie, id).await.first() {
            if done(newest) {
                return newest.clone();
            }
            last = newest.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the delivery did not get there: {last}");
}

/// Removes every webhook (and so every delivery) a database kept from earlier runs, so that no
/// stale delivery reaches this run's receivers.
pub async fn clear_webhooks(repos: &yauth_store::Repositories) {
    let store = repos.webhooks.as_ref().unwrap();
    for webhook in store.list_webhooks(None).await.unwrap() {
        store.delete_webhook(webhook.id).await.unwrap();
    }
}
