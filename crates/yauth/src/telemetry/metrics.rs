//! The metrics yauth records, through the OpenTelemetry metrics API.

#[cfg(feature = "webhooks")]
use std::sync::Arc;
#[cfg(feature = "webhooks")]
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use opentelemetry::KeyValue;
#[cfg(feature = "webhooks")]
use opentelemetry::metrics::ObservableGauge;
use opentelemetry::metrics::{Counter, Histogram, Meter};

use crate::auth::AuthMethod;
use crate::events::{AuthEvent, EventResponse};

/// Names of the instruments, for dashboards and tests.
pub mod names {
    /// Counter of sign-in attempts, by `yauth.login.outcome` (`succeeded`, `mfa_required`,
    /// `blocked`, `failed`), with `yauth.login.method` when the credential was accepted and
    /// `yauth.login.reason` when it failed.
    pub const LOGINS: &str = "yauth.logins";
    /// Histogram (seconds) of the authentication check of protected routes, by
    /// `yauth.auth.outcome` (`authenticated`, `anonymous`, `refused`, `error`) and, when
    /// authenticated, `yauth.auth.method` (`session`, `bearer`, `api_key`).
    pub const SESSION_CHECK_DURATION: &str = "yauth.session.check.duration";
    /// Counter of requests refused by a rate limit, by `yauth.rate_limit.operation`.
    pub const RATE_LIMIT_REFUSALS: &str = "yauth.rate_limit.refusals";
    /// Counter of webhook delivery attempts, by `yauth.webhook.outcome` (`delivered`,
    /// `retrying`, `dead_lettered`).
    pub const WEBHOOK_DELIVERIES: &str = "yauth.webhook.deliveries";
    /// Gauge of webhook deliveries waiting in the outbox (pending or in flight), as the
    /// delivery worker last counted them.
    pub const WEBHOOK_QUEUE_DEPTH: &str = "yauth.webhook.queue.depth";
}

/// Bucket boundaries (seconds) of the session check: it takes microseconds from a cache and
/// milliseconds from a database.
const CHECK_BOUNDARIES: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0,
];

/// The instruments, made once when yauth is built.
pub(crate) struct Metrics {
    logins: Counter<u64>,
    session_checks: Histogram<f64>,
    rate_limit_refusals: Counter<u64>,
    #[cfg(feature = "webhooks")]
    webhooks: WebhookInstruments,
}

#[cfg(feature = "webhooks")]
struct WebhookInstruments {
    deliveries: Counter<u64>,
    queue_depth: Arc<AtomicU64>,
    // Kept so that its callback stays registered.
    _queue_gauge: ObservableGauge<u64>,
}

/// What the authentication check of a protected route concluded.
#[derive(Clone, Copy)]
pub(crate) enum CheckOutcome {
    Authenticated(AuthMethod),
    Anonymous,
    Refused,
    Error,
}

/// What became of one webhook delivery attempt.
#[cfg(feature = "webhooks")]
#[derive(Clone, Copy)]
pub(crate) enum DeliveryResult {
    Delivered,
    Retrying,
    DeadLettered,
}

impl Metrics {
    pub(crate) fn new(meter: &Meter) -> Self {
        Self {
            logins: meter
                .u64_counter(names::LOGINS)
                .with_description("Sign-in attempts by outcome")
                .with_unit("{login}")
                .build(),
            session_checks: meter
                .f64_histogram(names::SESSION_CHECK_DURATION)
                .with_description("Duration of the authentication check of protected routes")
                .with_unit("s")
                .with_boundaries(CHECK_BOUNDARIES.to_vec())
                .build(),
            rate_limit_refusals: meter
                .u64_counter(names::RATE_LIMIT_REFUSALS)
                .with_description("Requests refused by a rate limit")
                .with_unit("{request}")
                .build(),
            #[cfg(feature = "webhooks")]
            webhooks: WebhookInstruments::new(meter),
        }
    }

    /// Counts a sign-in from the event that reports it and what the plugins answered.
    pub(crate) fn event(&self, event: &AuthEvent, answer: &EventResponse) {
        let attributes = match (event, answer) {
            (AuthEvent::LoginSucceeded { method, .. }, answer) => {
                let outcome = match answer {
                    EventResponse::Continue => "succeeded",
                    EventResponse::RequireMfa { .. } => "mfa_required",
                    EventResponse::Block { .. } => "blocked",
                };
                [
                    KeyValue::new("yauth.login.outcome", outcome),
                    KeyValue::new("yauth.login.method", *method),
                ]
            }
            (AuthEvent::LoginFailed { reason, .. }, _) => return self.login_failed(reason),
            _ => return,
        };
        self.logins.add(1, &attributes);
    }

    /// Counts a sign-in refused for `reason`, also where no event reports it (a banned
    /// account's valid credentials).
    pub(crate) fn login_failed(&self, reason: &'static str) {
        self.logins.add(
            1,
            &[
                KeyValue::new("yauth.login.outcome", "failed"),
                KeyValue::new("yauth.login.reason", reason),
            ],
        );
    }

    pub(crate) fn session_check(&self, took: Duration, outcome: CheckOutcome) {
        let seconds = took.as_secs_f64();
        match outcome {
            CheckOutcome::Authenticated(method) => self.session_checks.record(
                seconds,
                &[
                    KeyValue::new("yauth.auth.outcome", "authenticated"),
                    KeyValue::new("yauth.auth.method", method_name(method)),
                ],
            ),
            CheckOutcome::Anonymous => self
                .session_checks
                .record(seconds, &[KeyValue::new("yauth.auth.outcome", "anonymous")]),
            CheckOutcome::Refused => self
                .session_checks
                .record(seconds, &[KeyValue::new("yauth.auth.outcome", "refused")]),
            CheckOutcome::Error => self
                .session_checks
                .record(seconds, &[KeyValue::new("yauth.auth.outcome", "error")]),
        }
    }

    pub(crate) fn rate_limited(&self, operation: &str) {
        self.rate_limit_refusals.add(
            1,
            &[KeyValue::new(
                "yauth.rate_limit.operation",
                operation.to_owned(),
            )],
        );
    }

    #[cfg(feature = "webhooks")]
    pub(crate) fn webhook_delivery(&self, result: DeliveryResult) {
        let outcome = match result {
            DeliveryResult::Delivered => "delivered",
            DeliveryResult::Retrying => "retrying",
            DeliveryResult::DeadLettered => "dead_lettered",
        };
        self.webhooks
            .deliveries
            .add(1, &[KeyValue::new("yauth.webhook.outcome", outcome)]);
    }

    #[cfg(feature = "webhooks")]
    pub(crate) fn webhook_queue_depth(&self, depth: u64) {
        self.webhooks.queue_depth.store(depth, Ordering::Relaxed);
    }
}

#[cfg(feature = "webhooks")]
impl WebhookInstruments {
    fn new(meter: &Meter) -> Self {
        let queue_depth = Arc::new(AtomicU64::new(0));
        let depth = queue_depth.clone();
        Self {
            deliveries: meter
                .u64_counter(names::WEBHOOK_DELIVERIES)
                .with_description("Webhook delivery attempts by outcome")
                .with_unit("{delivery}")
                .build(),
            queue_depth,
            _queue_gauge: meter
                .u64_observable_gauge(names::WEBHOOK_QUEUE_DEPTH)
                .with_description("Webhook deliveries waiting in the outbox")
                .with_unit("{delivery}")
                .with_callback(move |observer| observer.observe(depth.load(Ordering::Relaxed), &[]))
                .build(),
        }
    }
}

fn method_name(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::Session => "session",
        AuthMethod::Bearer => "bearer",
        AuthMethod::ApiKey => "api_key",
    }
}
