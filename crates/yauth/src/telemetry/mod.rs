//! OpenTelemetry instrumentation (feature `telemetry`).
//!
//! With the feature on, yauth:
//!
//! - opens a `tracing` span for every request it serves (INFO, target `yauth::http`) and for
//!   every storage call (DEBUG, target `yauth::storage`), with OpenTelemetry's semantic
//!   attributes. No email, token, secret, address or user agent is recorded: requests are
//!   named by their route template, storage calls by their method, never by their arguments;
//! - records the metrics of [`names`] through the OpenTelemetry metrics API, on the meter
//!   provider given to [`YAuthBuilder::with_meter_provider`](crate::YAuthBuilder::with_meter_provider)
//!   or else the global one when `build()` runs;
//! - exports both over OTLP when the application sets up [`otlp::Otlp`] from the standard
//!   `OTEL_*` variables.
//!
//! Without a subscriber or a meter provider, the spans and instruments are no-ops.

mod http;
mod metrics;
pub mod otlp;
mod storage;

pub(crate) use http::trace_request;
#[cfg(feature = "webhooks")]
pub(crate) use metrics::DeliveryResult;
pub use metrics::names;
pub(crate) use metrics::{CheckOutcome, Metrics};
pub(crate) use storage::traced;

use opentelemetry::metrics::MeterProvider;

use crate::builder::YAuthBuilder;

/// The instrumentation scope of yauth's metrics.
pub(crate) const SCOPE: &str = "yauth";

impl YAuthBuilder {
    /// Records yauth's metrics on `provider` instead of the global meter provider.
    pub fn with_meter_provider(mut self, provider: &impl MeterProvider) -> Self {
        self.meter = Some(provider.meter(SCOPE));
        self
    }
}
