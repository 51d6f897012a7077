//! A yauth app over the in-memory backend with a manual clock and a recording email sender,
//! driven through the real router.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use yauth::email::MemoryEmailSender;
use yauth::plugins::email_password::EmailPasswordConfig;
use yauth::store::ManualClock;
use yauth::{YAuth, YAuthBuilder, YAuthConfig};
use yauth_store::InMemoryBackend;

pub const ORIGIN: &str = "http://localhost:3000";
pub const PASSWORD: &str = "correct-horse-battery-staple-42";

pub struct TestApp {
    pub yauth: YAuth,
    pub router: Router,
    pub clock: ManualClock,
    pub mail: MemoryEmailSender,
}

pub fn test_config(base_url: &str) -> YAuthConfig {
    let mut config = YAuthConfig::new(base_url);
    config.purge_interval = None;
    config
}

pub fn ep_config() -> EmailPasswordConfig {
    let mut ep = EmailPasswordConfig::default();
    // The breach check has its own tests against a local range server; never call out here.
    ep.hibp.enabled = false;
    ep
}

/// [`ep_config`] with the plugin's rate limits on, but high: for apps on a real database, which
/// outlives one run, and its counters with it.
pub fn generous_ep_config() -> EmailPasswordConfig {
    let generous = yauth::RateLimit::new(100_000, time::Duration::minutes(1));
    let mut ep = ep_config();
    let limits = &mut ep.rate_limits;
    limits.login = generous;
    limits.register = generous;
    limits.forgot_password = generous;
    limits.resend_verification = generous;
    limits.token_submit = generous;
    ep
}

pub async fn app() -> TestApp {
    app_with(test_config(ORIGIN), ep_config(), |b| b).await
}

pub async fn app_with(
    config: YAuthConfig,
    ep: EmailPasswordConfig,
    extra: impl FnOnce(YAuthBuilder) -> YAuthBuilder,
) -> TestApp {
    app_on(InMemoryBackend::new(), config, ep, extra).await
}

/// The test app over any backend.
pub async fn app_on(
    backend: impl yauth_store::DatabaseBackend,
    config: YAuthConfig,
    ep: EmailPasswordConfig,
    extra: impl FnOnce(YAuthBuilder) -> YAuthBuilder,
) -> TestApp {
    let clock = ManualClock::starting_now();
    let mail = MemoryEmailSender::new();
    let builder = YAuthBuilder::new(backend, config)
        .with_clock(clock.clone())
        .with_email_sender(mail.clone())
        .with_email_password(ep)
        .with_status();
    let yauth = extra(builder)
        .build()
        .await
        .expect("test configuration is valid");
    let router = yauth.router();
    TestApp {
        yauth,
        router,
        clock,
        mail,
    }
}

#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Res {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The `Set-Cookie` headers.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// `name=value` of the first session cookie set.
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.contains("yauth_session=") && !c.contains("yauth_session=;"))
            .map(|c| c.split(';').next().unwrap().to_owned())
    }
}

/// One request. `from` is the client IP; cookie-authenticated unsafe requests carry the trusted
/// Origin unless the test passes its own headers.
pub struct Req {
    method: Method,
    path: String,
    body: Option<Value>,
    cookie: Option<String>,
    ip: String,
    headers: Vec<(String, String)>,
    origin: Option<String>,
    connect_info: bool,
    raw_body: Option<Vec<u8>>,
    content_type: &'static str,
}

pub fn req(method: Method, path: &str) -> Req {
    Req {
        method,
        path: path.to_owned(),
        body: None,
        cookie: None,
        ip: "203.0.113.10".into(),
        headers: Vec::new(),
        origin: Some(ORIGIN.to_owned()),
        connect_info: true,
        raw_body: None,
        content_type: "application/json",
    }
}

impl Req {
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    pub fn cookie(mut self, cookie: &str) -> Self {
        self.cookie = Some(cookie.to_owned());
        self
    }
    pub fn ip(mut self, ip: &str) -> Self {
        self.ip = ip.to_owned();
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    pub fn origin(mut self, origin: Option<&str>) -> Self {
        self.origin = origin.map(str::to_owned);
        self
    }
    /// Serve the request as `axum::serve(listener, app)` would: without the peer address.
    pub fn without_connect_info(mut self) -> Self {
        self.connect_info = false;
        self
    }
    /// A raw JSON body (for sizes and bytes `serde_json::Value` cannot express).
    pub fn raw_json(mut self, bytes: Vec<u8>) -> Self {
        self.raw_body = Some(bytes);
        self
    }

    /// A form body (`application/x-www-form-urlencoded`), as a browser POSTs it.
    pub fn form(mut self, fields: &[(String, String)]) -> Self {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.raw_body = Some(encoded.into_bytes());
        self.content_type = "application/x-www-form-urlencoded";
        self
    }

    pub async fn send(self, router: &Router) -> Res {
        let mut builder = Request::builder().method(self.method).uri(&self.path);
        if let Some(cookie) = &self.cookie {
            builder = builder.header(header::COOKIE, cookie);
        }
        if let Some(origin) = &self.origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = match (&self.body, self.raw_body) {
            (_, Some(bytes)) => {
                builder = builder.header(header::CONTENT_TYPE, self.content_type);
                Body::from(bytes)
            }
            (Some(v), None) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            (None, None) => Body::empty(),
        };
        let mut request = builder.body(body).unwrap();
        let peer: SocketAddr = if self.ip.contains(':') {
            format!("[{}]:40000", self.ip).parse().unwrap()
        } else {
            format!("{}:40000", self.ip).parse().unwrap()
        };
        if self.connect_info {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Res {
            status,
            headers,
            body,
        }
    }
}

/// The `token=` value of the newest email to `to`.
pub fn token_from_mail(app: &TestApp, to: &str) -> String {
    let message = app.mail.last_to(to).expect("an email was sent");
    let start = message
        .text
        .find("token=")
        .expect("the email has a token link")
        + 6;
    message.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Waits (up to 10 s) until an email to `to` has been sent: registration and reset emails come
/// from background tasks, whose storage calls take longer on a real database.
pub async fn mail_to(app: &TestApp, to: &str) -> yauth::email::EmailMessage {
    for _ in 0..1000 {
        if let Some(message) = app.mail.last_to(to) {
            return message;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no email to {to} within 10 s");
}

/// The event types of `user_id`'s audit entries, newest first, and the newest entry's IP.
pub async fn audit_of(app: &TestApp, user_id: uuid::Uuid) -> (Vec<String>, Option<String>) {
    let page = app
        .yauth
        .state()
        .repos()
        .audit
        .list_audit(&yauth::store::AuditQuery {
            user_id: Some(user_id),
            ..Default::default()
        })
        .await
        .unwrap();
    let first_ip = page.items.first().and_then(|e| e.ip_address.clone());
    (
        page.items.into_iter().map(|e| e.event_type).collect(),
        first_ip,
    )
}

/// The event types of the newest audit rows, whoever they are about.
pub async fn audit_event_types(app: &TestApp) -> Vec<String> {
    let page = app
        .yauth
        .state()
        .repos()
        .audit
        .list_audit(&yauth::store::AuditQuery::default())
        .await
        .unwrap();
    page.items.into_iter().map(|e| e.event_type).collect()
}

/// Waits for background email tasks.
pub async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
}

pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Registers and verifies a new account; returns its email.
pub async fn verified_user(app: &TestApp) -> String {
    let email = registered_user(app).await;
    let token = token_from_mail(app, &email);
    let r = req(Method::POST, "/verify-email")
        .json(json!({ "token": token }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    email
}

/// The user stored for `email`.
pub async fn stored_user(app: &TestApp, email: &str) -> yauth::entity::User {
    app.yauth
        .state()
        .repos()
        .users
        .find_user_by_email(email)
        .await
        .unwrap()
        .unwrap()
}

/// Registers a new address with the test password and waits for its verification email;
/// answers the address, still unverified.
pub async fn registered_user(app: &TestApp) -> String {
    let email = unique_email();
    let r = req(Method::POST, "/register")
        .json(json!({ "email": email, "password": PASSWORD }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    mail_to(app, &email).await;
    email
}

/// Registers, verifies and logs in; returns (email, session cookie).
pub async fn signed_in_user(app: &TestApp) -> (String, String) {
    let email = verified_user(app).await;
    let r = login(app, &email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    (
        email,
        r.session_cookie().expect("login sets the session cookie"),
    )
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> Res {
    req(Method::POST, "/login")
        .json(json!({ "email": email, "password": password }))
        .send(&app.router)
        .await
}

/// Makes the account of `email` an administrator, as a bootstrap or another admin would.
pub async fn promote(app: &TestApp, email: &str) {
    let user = stored_user(app, email).await;
    let update = yauth::entity::UserUpdate {
        role: Some("admin".to_owned()),
        ..Default::default()
    };
    let state = app.yauth.state();
    let repos = state.repos();
    repos
        .users
        .update_user(user.id, &update, state.now())
        .await
        .unwrap();
}

/// Bans the account of `email` (as an admin would), with no end.
pub async fn ban(app: &TestApp, email: &str) {
    let user = stored_user(app, email).await;
    app.yauth
        .state()
        .repos()
        .users
        .update_user(
            user.id,
            &yauth::entity::UserUpdate {
                banned: Some(true),
                ..Default::default()
            },
            app.yauth.state().now(),
        )
        .await
        .unwrap();
}

/// Sends every request at once, each from its own task behind one barrier, and answers the
/// responses in the order of the requests: the shape of every race test.
pub async fn race(router: &Router, requests: Vec<Req>) -> Vec<Res> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let (router, barrier) = (router.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                request.send(&router).await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.expect("a racing request does not panic"));
    }
    answers
}
