//! The background task that deletes expired rows.

use crate::state::YAuthState;

/// The running purge task; dropping it stops the task.
pub(crate) struct PurgeTask(tokio::task::JoinHandle<()>);

impl Drop for PurgeTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Purges every `every`, starting after one interval.
pub(crate) fn spawn(state: YAuthState, every: std::time::Duration) -> PurgeTask {
    PurgeTask(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            match state.repos().maintenance.purge_expired(state.now()).await {
                Ok(report) => tracing::debug!(removed = report.total(), "purged expired rows"),
                Err(error) => tracing::warn!(%error, "purging expired rows failed"),
            }
        }
    }))
}
