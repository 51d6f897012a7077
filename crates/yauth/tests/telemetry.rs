//! The `telemetry` feature: request and storage spans and the auth metrics, read back from the
//! OpenTelemetry SDK's in-memory exporters; OTLP export decoded as a collector decodes it; and no
//! email, password or token anywhere in what is exported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/webhooks.rs"]
mod webhook_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::*;
use opentelemetry::trace::{SpanKind, TracerProvider as _};
use opentelemetry::{Key, Value as OtelValue};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use prost::Message;
use tracing_subscriber::layer::SubscriberExt;
use webhook_support::*;
use yauth::plugins::webhooks::WebhookConfig;
use yauth::telemetry::names;
use yauth_store::InMemoryBackend;

/// Spans of this thread, exported as they end.
struct Spans {
    exporter: InMemorySpanExporter,
    provider: SdkTracerProvider,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Spans {
    fn capture() -> Self {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
        let guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        Self {
            exporter,
            provider,
            _guard: guard,
        }
    }

    fn finished(&self) -> Vec<SpanData> {
        self.provider.force_flush().unwrap();
        self.exporter.get_finished_spans().unwrap()
    }
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a OtelValue> {
    span.attributes
        .iter()
        .find(|kv| kv.key == Key::from(key.to_owned()))
        .map(|kv| &kv.value)
}

fn text(span: &SpanData, key: &str) -> Option<String> {
    attribute(span, key).map(|v| v.as_str().into_owned())
}

/// Every string an exporter would send for this span.
fn exported_text(span: &SpanData) -> String {
    let mut all = span.name.to_string();
    for kv in &span.attributes {
        all.push_str(&format!(" {}={}", kv.key, kv.value.as_str()));
    }
    for event in span.events.iter() {
        all.push_str(&format!(" {}", event.name));
        for kv in &event.attributes {
            all.push_str(&format!(" {}={}", kv.key, kv.value.as_str()));
        }
    }
    all
}

fn cookie_token(cookie: &str) -> &str {
    cookie.split_once('=').unwrap().1
}

#[tokio::test]
async fn requests_and_storage_calls_are_spans_with_semantic_attributes_and_no_secrets() {
    let spans = Spans::capture();
    let app = app().await;
    let (email, cookie) = signed_in_user(&app).await;
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let wrong = "not-the-password-at-all-9";
    assert_eq!(
        login(&app, &email, wrong).await.status,
        StatusCode::UNAUTHORIZED
    );
    let finished = spans.finished();

    let session = finished
        .iter()
        .find(|s| s.name == "GET /session")
        .expect("a span for the session request");
    assert_eq!(session.span_kind, SpanKind::Server);
    assert_eq!(text(session, "http.request.method").as_deref(), Some("GET"));
    assert_eq!(text(session, "http.route").as_deref(), Some("/session"));
    assert_eq!(
        attribute(session, "http.response.status_code"),
        Some(&OtelValue::I64(200))
    );
    let check = finished
        .iter()
        .find(|s| {
            s.name == "validate_session" && s.parent_span_id == session.span_context.span_id()
        })
        .expect("the session check is a storage span inside the request's");
    assert_eq!(check.span_kind, SpanKind::Client);
    assert_eq!(text(check, "db.system.name").as_deref(), Some("memory"));
    assert_eq!(
        text(check, "db.operation.name").as_deref(),
        Some("validate_session")
    );
    assert_eq!(text(check, "yauth.repository").as_deref(), Some("sessions"));
    assert_eq!(text(check, "error.type"), None, "it succeeded");

    let refused = finished
        .iter()
        .find(|s| {
            s.name == "POST /login"
                && attribute(s, "http.response.status_code") == Some(&OtelValue::I64(401))
        })
        .expect("the refused login is a span too");
    assert_eq!(text(refused, "http.route").as_deref(), Some("/login"));
    assert!(
        finished.iter().any(|s| s.name == "find_user_by_email"
            && s.parent_span_id == refused.span_context.span_id()),
        "the login's storage calls are its children"
    );

    let secrets = [
        email.as_str(),
        email.split('@').next().unwrap(),
        PASSWORD,
        wrong,
        cookie_token(&cookie),
    ];
    for span in &finished {
        let exported = exported_text(span);
        for secret in secrets {
            assert!(
                !exported.contains(secret),
                "span {} exports {secret:?}: {exported}",
                span.name
            );
        }
    }
}

/// The meter provider of one test, read back on demand.
struct Meters {
    exporter: InMemoryMetricExporter,
    provider: SdkMeterProvider,
}

impl Meters {
    fn new() -> Self {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        Self { exporter, provider }
    }

    /// The metrics as of now (cumulative).
    fn collect(&self) -> Vec<ResourceMetrics> {
        self.exporter.reset();
        self.provider.force_flush().unwrap();
        self.exporter.get_finished_metrics().unwrap()
    }

    fn data(&self, name: &str) -> Vec<(Vec<(String, String)>, MetricPoint)> {
        let mut points = Vec::new();
        for resource in self.collect() {
            for scope in resource.scope_metrics() {
                for metric in scope.metrics().filter(|m| m.name() == name) {
                    collect_points(metric.data(), &mut points);
                }
            }
        }
        points
    }

    /// The sum of a counter's points that carry every one of `attributes`.
    fn count(&self, name: &str, attributes: &[(&str, &str)]) -> u64 {
        self.data(name)
            .into_iter()
            .filter(|(attrs, _)| has_all(attrs, attributes))
            .map(|(_, point)| match point {
                MetricPoint::Sum(n) | MetricPoint::Histogram(n) => n,
                MetricPoint::Gauge(_) => panic!("{name} is a gauge"),
            })
            .sum()
    }

    fn gauge(&self, name: &str) -> Option<u64> {
        self.data(name)
            .into_iter()
            .find_map(|(_, point)| match point {
                MetricPoint::Gauge(n) => Some(n),
                _ => None,
            })
    }
}

#[derive(Debug)]
enum MetricPoint {
    Sum(u64),
    /// The number of recorded values.
    Histogram(u64),
    Gauge(u64),
}

fn collect_points(data: &AggregatedMetrics, out: &mut Vec<(Vec<(String, String)>, MetricPoint)>) {
    fn attrs<'a>(kvs: impl Iterator<Item = &'a opentelemetry::KeyValue>) -> Vec<(String, String)> {
        kvs.map(|kv| (kv.key.to_string(), kv.value.as_str().into_owned()))
            .collect()
    }
    match data {
        AggregatedMetrics::U64(MetricData::Sum(sum)) => {
            for p in sum.data_points() {
                out.push((attrs(p.attributes()), MetricPoint::Sum(p.value())));
            }
        }
        AggregatedMetrics::U64(MetricData::Gauge(gauge)) => {
            for p in gauge.data_points() {
                out.push((attrs(p.attributes()), MetricPoint::Gauge(p.value())));
            }
        }
        AggregatedMetrics::F64(MetricData::Histogram(histogram)) => {
            for p in histogram.data_points() {
                out.push((attrs(p.attributes()), MetricPoint::Histogram(p.count())));
            }
        }
        other => panic!("unexpected metric data {other:?}"),
    }
}

fn has_all(attrs: &[(String, String)], wanted: &[(&str, &str)]) -> bool {
    wanted
        .iter()
        .all(|(k, v)| attrs.iter().any(|(ak, av)| ak == k && av == v))
}

#[tokio::test]
async fn logins_session_checks_and_rate_limit_refusals_are_counted() {
    let meters = Meters::new();
    let mut ep = ep_config();
    ep.rate_limits.login = yauth::RateLimit::new(4, time::Duration::minutes(1));
    let app = app_with(test_config(ORIGIN), ep, |b| {
        b.with_meter_provider(&meters.provider)
    })
    .await;
    let (email, cookie) = signed_in_user(&app).await;
    for _ in 0..2 {
        let r = req(Method::GET, "/session")
            .cookie(&cookie)
            .send(&app.router)
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = req(Method::GET, "/session").send(&app.router).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(&app, &email, "wrong-password-number-1").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, &unique_email(), PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The fourth attempt from this client is the last the limit lets through: the right
    // password of a banned account.
    ban(&app, &email).await;
    assert_eq!(
        login(&app, &email, PASSWORD).await.status,
        StatusCode::FORBIDDEN
    );
    for _ in 0..2 {
        let r = login(&app, &email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", r.body);
    }

    let outcome = "yauth.login.outcome";
    assert_eq!(
        meters.count(
            names::LOGINS,
            &[(outcome, "succeeded"), ("yauth.login.method", "password")]
        ),
        1
    );
    assert_eq!(
        meters.count(
            names::LOGINS,
            &[
                (outcome, "failed"),
                ("yauth.login.reason", "invalid_password")
            ]
        ),
        1
    );
    assert_eq!(
        meters.count(
            names::LOGINS,
            &[
                (outcome, "failed"),
                ("yauth.login.reason", "account_banned")
            ]
        ),
        1
    );
    assert_eq!(
        meters.count(
            names::LOGINS,
            &[
                (outcome, "failed"),
                ("yauth.login.reason", "unknown_account")
            ]
        ),
        1
    );
    assert_eq!(
        meters.count(names::LOGINS, &[]),
        4,
        "refused attempts are no sign-ins"
    );
    assert_eq!(
        meters.count(
            names::RATE_LIMIT_REFUSALS,
            &[("yauth.rate_limit.operation", "login")]
        ),
        2
    );
    let checks = names::SESSION_CHECK_DURATION;
    assert_eq!(
        meters.count(
            checks,
            &[
                ("yauth.auth.outcome", "authenticated"),
                ("yauth.auth.method", "session")
            ]
        ),
        2
    );
    assert_eq!(
        meters.count(checks, &[("yauth.auth.outcome", "anonymous")]),
        1
    );
}

#[tokio::test]
async fn webhook_outcomes_and_queue_depth_are_measured() {
    let meters = Meters::new();
    let receiver = Receiver::start().await;
    let config = WebhookConfig {
        max_retries: 1,
        ..quick_config()
    };
    let app = app_on(
        InMemoryBackend::new(),
        test_config(ORIGIN),
        generous_ep_config(),
        |b| {
            b.with_secret_key("test", &[9; 32])
                .with_webhooks(config)
                .with_meter_provider(&meters.provider)
        },
    )
    .await;
    let admin = admin_cookie(&app).await;
    let (id, _) = create_webhook(&app, &admin, &receiver.url, &["mfa_enabled"]).await;
    let test = || {
        req(Method::POST, &format!("/webhooks/{id}/test"))
            .cookie(&admin)
            .send(&app.router)
    };
    assert_eq!(test().await.status, StatusCode::ACCEPTED);
    wait_for_delivery(&app, &admin, &id, |d| d["status"] == "succeeded").await;

    receiver.then(Reply::Status(500, "busy".into()));
    receiver.then(Reply::Status(500, "busy".into()));
    assert_eq!(test().await.status, StatusCode::ACCEPTED);
    wait_for_delivery(&app, &admin, &id, |d| d["status"] == "pending").await;
    let depth = eventually(|| meters.gauge(names::WEBHOOK_QUEUE_DEPTH) == Some(1)).await;
    assert!(depth, "the retrying delivery waits in the outbox");
    app.clock.advance(time::Duration::seconds(2));
    wait_for_delivery(&app, &admin, &id, |d| d["status"] == "failed").await;
    let depth = eventually(|| meters.gauge(names::WEBHOOK_QUEUE_DEPTH) == Some(0)).await;
    assert!(depth, "a dead letter leaves the outbox");

    let outcome = "yauth.webhook.outcome";
    let deliveries = names::WEBHOOK_DELIVERIES;
    assert_eq!(meters.count(deliveries, &[(outcome, "delivered")]), 1);
    assert_eq!(meters.count(deliveries, &[(outcome, "retrying")]), 1);
    assert_eq!(meters.count(deliveries, &[(outcome, "dead_lettered")]), 1);
}

/// Whether `condition` holds within five seconds.
async fn eventually(condition: impl Fn() -> bool) -> bool {
    for _ in 0..250 {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// One request the collector received: its path, content type and body.
type Received = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

async fn collector() -> (String, Received) {
    let received: Received = Arc::default();
    let shared = received.clone();
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let shared = shared.clone();
            async move {
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                shared
                    .lock()
                    .unwrap()
                    .push((uri.path().to_owned(), content_type, body.to_vec()));
                StatusCode::OK
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_exports_spans_and_metrics_a_collector_can_decode() {
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

    let (url, received) = collector().await;
    let otlp = yauth::telemetry::otlp::Otlp::with_endpoint(&url).unwrap();
    let email;
    {
        let _guard = tracing::subscriber::set_default(
            tracing_subscriber::registry().with(otlp.tracing_layer()),
        );
        let app = app_with(test_config(ORIGIN), ep_config(), |b| {
            b.with_meter_provider(otlp.meter_provider())
        })
        .await;
        email = signed_in_user(&app).await.0;
    }
    tokio::task::spawn_blocking(move || otlp.shutdown())
        .await
        .unwrap()
        .unwrap();

    let received = received.lock().unwrap().clone();
    let bodies = |path: &str| -> Vec<Vec<u8>> {
        received
            .iter()
            .filter(|(p, content_type, _)| p == path && content_type == "application/x-protobuf")
            .map(|(_, _, body)| body.clone())
            .collect()
    };
    let mut span_names = Vec::new();
    for body in bodies("/v1/traces") {
        let request = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
        for resource in request.resource_spans {
            for scope in resource.scope_spans {
                span_names.extend(scope.spans.into_iter().map(|s| s.name));
            }
        }
    }
    assert!(
        span_names.iter().any(|n| n == "POST /login"),
        "{span_names:?}"
    );
    assert!(
        span_names.iter().any(|n| n == "find_user_by_email"),
        "{span_names:?}"
    );
    let mut metric_names = Vec::new();
    for body in bodies("/v1/metrics") {
        let request = ExportMetricsServiceRequest::decode(body.as_slice()).unwrap();
        for resource in request.resource_metrics {
            for scope in resource.scope_metrics {
                metric_names.extend(scope.metrics.into_iter().map(|m| m.name));
            }
        }
    }
    assert!(
        metric_names.iter().any(|n| n == names::LOGINS),
        "{metric_names:?}"
    );
    for (path, _, body) in &received {
        let needle = email.as_bytes();
        assert!(
            !body.windows(needle.len()).any(|w| w == needle),
            "{path} carries the email"
        );
    }
}
