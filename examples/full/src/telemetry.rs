//! Logs on stdout, and OTLP export of traces and metrics when the standard `OTEL_*` variables
//! name a collector.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};
use yauth::telemetry::otlp::Otlp;

use crate::Error;

/// Any of these set turns the export on; unset, nothing is sent anywhere.
const ENDPOINTS: [&str; 3] = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
];

/// What is exported: the application at INFO and yauth's storage calls (DEBUG) too.
const EXPORTED: &str = "info,yauth=debug";

/// Installs the subscriber (logs filtered by `RUST_LOG`, `info` by default) and, when a
/// collector is configured, the OTLP exporters, whose meter provider becomes the global one
/// yauth records on. Call it before the app is built; shut the answer down after serving.
pub fn init() -> Result<Option<Otlp>, Error> {
    let logs = tracing_subscriber::fmt::layer()
        .with_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()));
    let wanted = ENDPOINTS
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
    let otlp = if wanted {
        Some(Otlp::from_env()?)
    } else {
        None
    };
    let exported = otlp.as_ref().map(|otlp| {
        otlp.install_meter_provider();
        otlp.tracing_layer().with_filter(EnvFilter::new(EXPORTED))
    });
    tracing_subscriber::registry()
        .with(logs)
        .with(exported)
        .try_init()?;
    Ok(otlp)
}
