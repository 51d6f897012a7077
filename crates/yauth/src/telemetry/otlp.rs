//! OTLP export of yauth's spans and metrics (and the application's), configured by the standard
//! `OTEL_*` variables.
//!
//! ```no_run
//! # async fn demo() -> Result<(), yauth::telemetry::otlp::OtlpError> {
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let otlp = yauth::telemetry::otlp::Otlp::from_env()?;
//! otlp.install_meter_provider(); // before `YAuthBuilder::build`, which makes the instruments
//! let subscriber = tracing_subscriber::registry().with(otlp.tracing_layer());
//! tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
//! // ... serve ...
//! otlp.shutdown()?; // flushes what is buffered, while the runtime still runs
//! # Ok(()) }
//! ```
//!
//! What it reads: `OTEL_SDK_DISABLED`, `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`;
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (`http://localhost:4318` by default) or the per-signal
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, with their
//! `_HEADERS` and `_TIMEOUT`; `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` (`otlp` or
//! `none`); `OTEL_BSP_*` and `OTEL_METRIC_EXPORT_INTERVAL`. The transport is OTLP over HTTP
//! with protobuf: an `OTEL_EXPORTER_OTLP_PROTOCOL` naming another is refused, not ignored.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{
    MetricExporter, Protocol, SpanExporter, WithExportConfig, WithHttpConfig,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::registry::LookupSpan;

/// Why the exporters could not be set up or shut down.
#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    /// An `OTEL_*` variable asks for something this exporter does not do.
    #[error("{variable}={value}: {reason}")]
    Unsupported {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// What is supported instead.
        reason: &'static str,
    },
    /// The OTLP exporter refused its configuration.
    #[error("OTLP exporter: {0}")]
    Exporter(String),
    /// Flushing or stopping the exporters failed.
    #[error("OTLP shutdown: {0}")]
    Shutdown(String),
    /// No Tokio runtime: the exporters send from the runtime `from_env` is called in.
    #[error("the OTLP exporters must be set up inside a Tokio runtime")]
    NoRuntime,
}

/// The trace and meter providers that export over OTLP.
#[derive(Debug)]
pub struct Otlp {
    tracer_provider: SdkTracerProvider,
    meter_provider: SdkMeterProvider,
}

impl Otlp {
    /// Exporters configured by the `OTEL_*` variables (see the [module](self) docs).
    pub fn from_env() -> Result<Self, OtlpError> {
        Self::build(None)
    }

    /// Exporters sending to the collector at `base_url` (as `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// would: `/v1/traces` and `/v1/metrics` are appended); the rest from the environment.
    pub fn with_endpoint(base_url: &str) -> Result<Self, OtlpError> {
        Self::build(Some(base_url.trim_end_matches('/')))
    }

    fn build(base_url: Option<&str>) -> Result<Self, OtlpError> {
        check_protocol()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| OtlpError::NoRuntime)?;
        let disabled = env_is("OTEL_SDK_DISABLED", "true");
        let resource = Resource::builder().build();
        let client = RuntimeClient {
            client: reqwest::Client::builder()
                .timeout(export_timeout())
                .build()
                .map_err(|e| OtlpError::Exporter(e.to_string()))?,
            runtime,
        };
        let mut tracer_provider = SdkTracerProvider::builder().with_resource(resource.clone());
        if !disabled && exporter_wanted("OTEL_TRACES_EXPORTER")? {
            let mut builder = SpanExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpBinary)
                .with_http_client(client.clone());
            if let Some(base) = base_url {
                builder = builder.with_endpoint(format!("{base}/v1/traces"));
            }
            let exporter = builder
                .build()
                .map_err(|e| OtlpError::Exporter(e.to_string()))?;
            tracer_provider = tracer_provider.with_batch_exporter(exporter);
        }
        let mut meter_provider = SdkMeterProvider::builder().with_resource(resource);
        if !disabled && exporter_wanted("OTEL_METRICS_EXPORTER")? {
            let mut builder = MetricExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpBinary)
                .with_http_client(client);
            if let Some(base) = base_url {
                builder = builder.with_endpoint(format!("{base}/v1/metrics"));
            }
            let exporter = builder
                .build()
                .map_err(|e| OtlpError::Exporter(e.to_string()))?;
            meter_provider = meter_provider.with_periodic_exporter(exporter);
        }
        Ok(Self {
            tracer_provider: tracer_provider.build(),
            meter_provider: meter_provider.build(),
        })
    }

    /// A `tracing` layer that exports spans. yauth's request spans are at INFO level and its
    /// storage spans at DEBUG (target `yauth::storage`): filter the layer to choose.
    pub fn tracing_layer<S>(&self) -> OpenTelemetryLayer<S, Tracer>
    where
        S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer().with_tracer(self.tracer_provider.tracer("yauth"))
    }

    /// The meter provider, for [`YAuthBuilder::with_meter_provider`](crate::YAuthBuilder::with_meter_provider)
    /// or the application's own instruments.
    pub fn meter_provider(&self) -> &SdkMeterProvider {
        &self.meter_provider
    }

    /// Makes the meter provider the global one, which yauth uses unless given another.
    pub fn install_meter_provider(&self) {
        opentelemetry::global::set_meter_provider(self.meter_provider.clone());
    }

    /// Exports what is buffered and stops both providers. Call it before the runtime ends.
    pub fn shutdown(&self) -> Result<(), OtlpError> {
        let traces = self.tracer_provider.shutdown();
        let metrics = self.meter_provider.shutdown();
        traces
            .and(metrics)
            .map_err(|e| OtlpError::Shutdown(e.to_string()))
    }
}

/// `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds, 10 s by default), which bounds each request.
fn export_timeout() -> Duration {
    std::env::var("OTEL_EXPORTER_OTLP_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .map_or(Duration::from_secs(10), Duration::from_millis)
}

fn env_is(variable: &str, value: &str) -> bool {
    std::env::var(variable).is_ok_and(|v| v.trim().eq_ignore_ascii_case(value))
}

/// `otlp` (the default) or `none`; any other exporter is refused.
fn exporter_wanted(variable: &'static str) -> Result<bool, OtlpError> {
    match std::env::var(variable) {
        Err(_) => Ok(true),
        Ok(value) => match value.trim() {
            "" | "otlp" => Ok(true),
            "none" => Ok(false),
            _ => Err(OtlpError::Unsupported {
                variable,
                value,
                reason: "yauth exports over OTLP only (`otlp` or `none`)",
            }),
        },
    }
}

fn check_protocol() -> Result<(), OtlpError> {
    for variable in [
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    ] {
        if let Ok(value) = std::env::var(variable)
            && !matches!(value.trim(), "" | "http/protobuf")
        {
            return Err(OtlpError::Unsupported {
                variable,
                value,
                reason: "the transport is OTLP over HTTP with protobuf (`http/protobuf`)",
            });
        }
    }
    Ok(())
}

/// yauth's reqwest sending the exporters' requests on the application's runtime: the SDK's
/// batch processors run on threads of their own, where an async client has no reactor.
#[derive(Debug, Clone)]
struct RuntimeClient {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl HttpClient for RuntimeClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let sent = self.runtime.spawn(async move {
            let request = reqwest::Request::try_from(request)?;
            let response = client.execute(request).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            let mut answer = Response::new(body);
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            Ok::<_, reqwest::Error>(answer)
        });
        // Awaited from the exporter's thread: a join handle needs no runtime to be awaited.
        match sent.await {
            Ok(answer) => Ok(answer?),
            Err(join) => Err(Box::new(join)),
        }
    }
}
