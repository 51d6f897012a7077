//! The example binary exports its traces and metrics over OTLP when the standard `OTEL_*`
//! variables name a collector: here, one on loopback that decodes what it receives.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{StatusCode, Uri};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

#[derive(Default)]
struct Collected {
    spans: Vec<String>,
    metrics: Vec<String>,
    services: Vec<String>,
}

async fn collector() -> (String, Arc<Mutex<Collected>>) {
    let collected = Arc::new(Mutex::new(Collected::default()));
    let shared = collected.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, body: axum::body::Bytes| {
        let shared = shared.clone();
        async move {
            let mut collected = shared.lock().unwrap();
            match uri.path() {
                "/v1/traces" => {
                    let request = ExportTraceServiceRequest::decode(body).unwrap();
                    for resource in request.resource_spans {
                        collected.services.extend(service_name(resource.resource));
                        for scope in resource.scope_spans {
                            collected
                                .spans
                                .extend(scope.spans.into_iter().map(|s| s.name));
                        }
                    }
                }
                "/v1/metrics" => {
                    let request = ExportMetricsServiceRequest::decode(body).unwrap();
                    for resource in request.resource_metrics {
                        for scope in resource.scope_metrics {
                            collected
                                .metrics
                                .extend(scope.metrics.into_iter().map(|m| m.name));
                        }
                    }
                }
                other => panic!("unexpected OTLP path {other}"),
            }
            StatusCode::OK
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, collected)
}

fn service_name(
    resource: Option<opentelemetry_proto::tonic::resource::v1::Resource>,
) -> Option<String> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    resource?
        .attributes
        .into_iter()
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| match kv.value?.value? {
            Value::StringValue(name) => Some(name),
            _ => None,
        })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_exports_over_otlp_from_the_standard_variables() {
    let (collector_url, collected) = collector().await;
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_yauth-example-full"))
        .current_dir(dir.path())
        .env("YAUTH_EXAMPLE_ADDR", &addr)
        .env("DATABASE_URL", "sqlite://yauth-example.db?mode=rwc")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &collector_url)
        .env("OTEL_SERVICE_NAME", "yauth-example-test")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("OTEL_METRIC_EXPORT_INTERVAL", "200")
        .env_remove("REDIS_URL")
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let client = reqwest::Client::new();
    let session = format!("http://{addr}/api/auth/session");
    let mut answered = None;
    for _ in 0..300 {
        if let Ok(response) = client.get(&session).send().await {
            answered = Some(response.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        answered,
        Some(reqwest::StatusCode::UNAUTHORIZED),
        "the example serves"
    );

    let mut exported = false;
    for _ in 0..100 {
        {
            let collected = collected.lock().unwrap();
            exported = collected.spans.iter().any(|s| s == "GET /api/auth/session")
                && collected
                    .metrics
                    .iter()
                    .any(|m| m == "yauth.session.check.duration");
        }
        if exported {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().await.unwrap();
    let collected = collected.lock().unwrap();
    assert!(
        exported,
        "spans {:?}, metrics {:?}",
        collected.spans, collected.metrics
    );
    assert!(
        collected
            .spans
            .iter()
            .any(|s| s == "validate_session" || s == "probe_table"),
        "storage spans are exported too: {:?}",
        collected.spans
    );
    assert!(
        collected.services.iter().all(|s| s == "yauth-example-test"),
        "OTEL_SERVICE_NAME names the service: {:?}",
        collected.services
    );
}
