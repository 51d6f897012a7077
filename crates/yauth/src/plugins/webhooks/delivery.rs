//! The delivery worker: claims due deliveries from the outbox, sends them, records each
//! outcome and schedules retries.

use std::sync::Arc;
use std::time::Duration;

use yauth_entity::{WebhookDelivery, truncate_to_micros};
use yauth_store::{DeliveryOutcome, SealedColumn, StoreResult};

use super::Inner;
use super::config::WebhookConfig;
use super::destination::{DestinationPolicy, GuardedResolver, Refused};
use super::signing;
use crate::keyring::SealedPlace;
use crate::state::YAuthState;

/// How much of a receiver's answer is kept in the history.
pub(crate) const RESPONSE_BODY_LIMIT: usize = 1024;
/// How much of a transport error is kept.
const ERROR_LIMIT: usize = 512;

/// The HTTP client deliveries go out with: the guarded resolver, no redirects, no proxy from
/// the environment (a proxy would resolve the name itself, past the guard), and timeouts.
pub(crate) fn client(
    config: &WebhookConfig,
    policy: &DestinationPolicy,
) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver {
            policy: policy.clone(),
            resolver: config.resolver.clone(),
        }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("yauth-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The worker loop: runs for as long as the [`YAuth`](crate::YAuth) that started it.
pub(crate) async fn run(inner: Arc<Inner>, state: YAuthState) {
    loop {
        match deliver_due(&inner, &state).await {
            // A full batch: more may be due at once.
            Ok(claimed) if claimed == inner.config.batch_size as usize => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "claiming webhook deliveries failed"),
        }
        #[cfg(feature = "telemetry")]
        match inner.repo.count_queued_deliveries(None).await {
            Ok(depth) => state.metrics().webhook_queue_depth(depth),
            Err(error) => tracing::warn!(%error, "counting queued webhook deliveries failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(inner.config.poll_interval) => {}
            () = inner.wake.notified() => {}
        }
    }
}

/// Claims the due deliveries and sends them concurrently; answers how many were claimed.
pub(crate) async fn deliver_due(inner: &Arc<Inner>, state: &YAuthState) -> StoreResult<usize> {
    let now = state.now();
    let claimed = inner
        .repo
        .claim_due_deliveries(
            now,
            truncate_to_micros(now + inner.config.lease),
            inner.config.batch_size,
        )
        .await?;
    let count = claimed.len();
    // Attempts are children of this task: when the worker stops, they stop with it, and their
    // leases hand the rows to the next worker.
    let mut attempts = tokio::task::JoinSet::new();
    for delivery in claimed {
        attempts.spawn(attempt(inner.clone(), state.clone(), delivery));
    }
    while attempts.join_next().await.is_some() {}
    Ok(count)
}

/// One attempt of one claimed delivery, and the record of its outcome.
async fn attempt(inner: Arc<Inner>, state: YAuthState, delivery: WebhookDelivery) {
    let webhook = match inner.repo.find_webhook(delivery.webhook_id).await {
        Ok(Some(webhook)) => webhook,
        // Deleted since: its deliveries went with it.
        Ok(None) => return,
        Err(error) => {
            // The lease ends and another attempt takes the row.
            tracing::warn!(%error, delivery_id = %delivery.id, "loading a webhook failed");
            return;
        }
    };
    let outcome = if webhook.active {
        let started = std::time::Instant::now();
        let mut outcome = match send(&inner, &state, &webhook, &delivery).await {
            Ok(answer) => answer.into_outcome(&inner.config, &state, delivery.attempt),
            Err(failure) => failure.into_outcome(&inner.config, &state, delivery.attempt),
        };
        outcome.duration_ms =
            Some(i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX));
        outcome
    } else {
        Failure::permanent("the webhook is disabled").into_outcome(&inner.config, &state, 0)
    };
    tracing::info!(
        delivery_id = %delivery.id,
        webhook_id = %webhook.id,
        event = %delivery.event_type,
        attempt = delivery.attempt,
        status_code = outcome.status_code,
        success = outcome.success,
        retry = outcome.retry_at.is_some(),
        duration_ms = outcome.duration_ms,
        "webhook delivery attempted"
    );
    #[cfg(feature = "telemetry")]
    state
        .metrics()
        .webhook_delivery(match (outcome.success, outcome.retry_at) {
            (true, _) => crate::telemetry::DeliveryResult::Delivered,
            (false, Some(_)) => crate::telemetry::DeliveryResult::Retrying,
            (false, None) => crate::telemetry::DeliveryResult::DeadLettered,
        });
    if let Err(error) = inner
        .repo
        .complete_delivery(delivery.id, &outcome, state.now())
        .await
    {
        tracing::warn!(%error, delivery_id = %delivery.id, "recording a delivery outcome failed");
    }
}

/// A receiver's answer.
struct Answer {
    status: u16,
    body: String,
}

/// An attempt that got no answer.
struct Failure {
    error: String,
    /// Whether trying again could help (a refused destination will be refused again).
    retryable: bool,
}

impl Failure {
    fn permanent(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            retryable: false,
        }
    }

    fn into_outcome(
        self,
        config: &WebhookConfig,
        state: &YAuthState,
        attempt: i32,
    ) -> DeliveryOutcome {
        DeliveryOutcome {
            success: false,
            status_code: None,
            response_body: None,
            error: Some(truncate(self.error, ERROR_LIMIT)),
            duration_ms: None,
            retry_at: self
                .retryable
                .then(|| retry_at(config, state, attempt))
                .flatten(),
        }
    }
}

impl Answer {
    fn into_outcome(
        self,
        config: &WebhookConfig,
        state: &YAuthState,
        attempt: i32,
    ) -> DeliveryOutcome {
        let success = (200..300).contains(&self.status);
        DeliveryOutcome {
            success,
            status_code: Some(i32::from(self.status)),
            response_body: Some(self.body),
            error: None,
            duration_ms: None,
            retry_at: if success {
                None
            } else {
                retry_at(config, state, attempt)
            },
        }
    }
}

/// When to try again after the `attempt`-th attempt failed; `None` once `max_retries` retries
/// were made.
fn retry_at(
    config: &WebhookConfig,
    state: &YAuthState,
    attempt: i32,
) -> Option<time::OffsetDateTime> {
    let made = u32::try_from(attempt).unwrap_or(0);
    (made <= config.max_retries).then(|| truncate_to_micros(state.now() + backoff(config, made)))
}

/// The delay after the `made`-th attempt: `retry_delay` doubled per earlier retry, capped at
/// `max_retry_delay`, then jittered to between half and all of it.
pub(crate) fn backoff(config: &WebhookConfig, made: u32) -> Duration {
    let doublings = made.saturating_sub(1).min(30);
    let full = config
        .retry_delay
        .saturating_mul(1 << doublings)
        .min(config.max_retry_delay);
    let half = full / 2;
    half + half.mul_f64(rand::random::<f64>())
}

/// Signs and sends one delivery.
async fn send(
    inner: &Inner,
    state: &YAuthState,
    webhook: &yauth_entity::Webhook,
    delivery: &WebhookDelivery,
) -> Result<Answer, Failure> {
    // IP literals never reach the resolver: check them here (names are checked by it).
    inner
        .policy
        .check_url(&webhook.url)
        .map_err(|refused| Failure::permanent(refused.to_string()))?;
    let key = open_secret(state, webhook)?;
    let body = serde_json::to_vec(&delivery.payload)
        .map_err(|error| Failure::permanent(format!("payload: {error}")))?;
    let id = delivery.id.to_string();
    let timestamp = state.now().unix_timestamp();
    let signature = signing::signature(&key, &id, timestamp, &body);
    let response = inner
        .client
        .post(&webhook.url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", &signature)
        .header("x-webhook-signature", &signature)
        .body(body)
        .send()
        .await
        .map_err(transport_failure)?;
    let status = response.status().as_u16();
    Ok(Answer {
        status,
        body: read_capped(response).await,
    })
}

/// The plaintext signing key of a webhook.
fn open_secret(
    state: &YAuthState,
    webhook: &yauth_entity::Webhook,
) -> Result<zeroize::Zeroizing<Vec<u8>>, Failure> {
    let ring = state
        .key_ring()
        .ok_or_else(|| Failure::permanent("no key ring to open the signing secret"))?;
    let row = webhook.id.to_string();
    ring.open(
        &SealedPlace::new(SealedColumn::WebhookSecret, &row),
        &webhook.secret_enc,
    )
    .map_err(|error| Failure::permanent(format!("the signing secret does not open: {error}")))
}

/// What a transport error is recorded as; refusals by the SSRF guard are final.
fn transport_failure(error: reqwest::Error) -> Failure {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return Failure::permanent(refused.to_string());
        }
        source = cause.source();
    }
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    Failure {
        error: format!("{kind}: {}", error.without_url()),
        retryable: true,
    }
}

/// Up to [`RESPONSE_BODY_LIMIT`] bytes of the answer, as text; the rest is never read.
async fn read_capped(mut response: reqwest::Response) -> String {
    let mut kept = Vec::new();
    while kept.len() < RESPONSE_BODY_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    kept.truncate(RESPONSE_BODY_LIMIT);
    truncate(
        String::from_utf8_lossy(&kept).into_owned(),
        RESPONSE_BODY_LIMIT,
    )
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_jitters_and_caps() {
        let config = WebhookConfig {
            retry_delay: Duration::from_secs(10),
            max_retry_delay: Duration::from_secs(60),
            ..WebhookConfig::default()
        };
        for _ in 0..200 {
            let first = backoff(&config, 1);
            assert!(first >= Duration::from_secs(5) && first <= Duration::from_secs(10));
            let third = backoff(&config, 3);
            assert!(third >= Duration::from_secs(20) && third <= Duration::from_secs(40));
            let late = backoff(&config, 25);
            assert!(late >= Duration::from_secs(30) && late <= Duration::from_secs(60));
        }
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("héllo".into(), 2), "h");
        assert_eq!(truncate("hello".into(), 10), "hello");
    }
}
