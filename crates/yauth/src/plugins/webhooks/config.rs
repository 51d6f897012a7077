//! The webhooks plugin's configuration.

use std::sync::Arc;
use std::time::Duration;

use crate::client_ip::IpNetwork;

use super::destination::{HostResolver, SystemResolver};

/// Settings of the webhooks plugin.
#[derive(Clone)]
pub struct WebhookConfig {
    /// Retries after a failed first attempt (default 3); then the delivery is dead-lettered
    /// (status `failed`). 0 makes one attempt only.
    pub max_retries: u32,
    /// The first retry's delay (default 30 s). Each further retry waits twice as long, up to
    /// `max_retry_delay`, and every delay is jittered down by up to half, so that receivers
    /// coming back from an outage are not hit by every replica at once.
    pub retry_delay: Duration,
    /// The longest delay between two attempts (default one hour).
    pub max_retry_delay: Duration,
    /// The whole attempt's time limit: connect, send, and read the answer (default 10 s).
    pub timeout: Duration,
    /// How long a worker holds a claimed delivery (default 60 s). A worker that dies mid-attempt
    /// releases it when the lease ends, and another worker (of any replica) takes it. Longer
    /// than `timeout`, so that a live attempt is never taken over.
    pub lease: Duration,
    /// How often the worker looks for due deliveries (default 1 s). New events wake it at once
    /// in the replica that recorded them.
    pub poll_interval: Duration,
    /// Most deliveries one worker claims and sends concurrently (default 16).
    pub batch_size: u32,
    /// How many webhooks one administrator may own (default 10); more is 409
    /// `too_many_webhooks`.
    pub max_webhooks: u64,
    /// Whether this process runs a delivery worker (default `true`). Events are recorded in
    /// the outbox either way; turn it off in replicas that should not send.
    pub run_worker: bool,
    /// Accept `http://` URLs (default `false`: `https://` only, so payloads and signatures are
    /// never sent in clear text).
    pub allow_http: bool,
    /// Networks a webhook may reach although they are refused by default (loopback, private,
    /// link-local, multicast, carrier-grade NAT, cloud metadata and other reserved ranges).
    /// Empty by default: internal services cannot be reached by a webhook.
    pub allowed_networks: Vec<IpNetwork>,
    /// How host names are resolved (default: the system resolver). Every address it answers
    /// is checked, and the connection goes to a checked address, never through a second
    /// lookup.
    pub resolver: Arc<dyn HostResolver>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("max_retries", &self.max_retries)
            .field("retry_delay", &self.retry_delay)
            .field("max_retry_delay", &self.max_retry_delay)
            .field("timeout", &self.timeout)
            .field("lease", &self.lease)
            .field("poll_interval", &self.poll_interval)
            .field("batch_size", &self.batch_size)
            .field("max_webhooks", &self.max_webhooks)
            .field("run_worker", &self.run_worker)
            .field("allow_http", &self.allow_http)
            .field("allowed_networks", &self.allowed_networks)
            .finish_non_exhaustive()
    }
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            max_retries: 3,
            retry_delay: Duration::from_secs(30),
            max_retry_delay: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            batch_size: 16,
            max_webhooks: 10,
            run_worker: true,
            allow_http: false,
            allowed_networks: Vec::new(),
            resolver: Arc::new(SystemResolver),
        }
    }
}

/// Most retries: beyond it, backoff delays stop meaning anything.
const MAX_RETRIES: u32 = 20;

impl WebhookConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.max_retries > MAX_RETRIES {
            return Err(format!("max_retries is at most {MAX_RETRIES}"));
        }
        if self.retry_delay.is_zero() {
            return Err("retry_delay must be positive".into());
        }
        if self.max_retry_delay < self.retry_delay {
            return Err("max_retry_delay must not be shorter than retry_delay".into());
        }
        if self.timeout.is_zero() {
            return Err("timeout must be positive".into());
        }
        if self.lease <= self.timeout {
            return Err(
                "lease must be longer than timeout, or a live attempt could be taken over".into(),
            );
        }
        if self.poll_interval.is_zero() {
            return Err("poll_interval must be positive".into());
        }
        if !(1..=256).contains(&self.batch_size) {
            return Err("batch_size must be 1 to 256".into());
        }
        if self.max_webhooks == 0 {
            return Err("max_webhooks must be at least 1".into());
        }
        Ok(())
    }
}
