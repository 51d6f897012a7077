//! The background tasks: deleting expired rows, re-encrypting sealed values after a key
//! rotation, and the plugins' own.

use crate::state::YAuthState;

/// A running background task; dropping it stops the task.
pub(crate) struct RunningTask(tokio::task::JoinHandle<()>);

impl Drop for RunningTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs a plugin's background task until the handle is dropped.
pub(crate) fn spawn_plugin_task(task: crate::plugin::BackgroundTask) -> RunningTask {
    RunningTask(tokio::spawn(task))
}

/// Purges every `every`, starting after one interval.
pub(crate) fn spawn(state: YAuthState, every: std::time::Duration) -> RunningTask {
    RunningTask(tokio::spawn(async move {
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

/// Re-encrypts sealed values every `every` while the key ring holds more than one key (a
/// rotation is under way); `None` when there is nothing to rotate.
pub(crate) fn spawn_reencryption(
    state: &YAuthState,
    every: std::time::Duration,
) -> Option<RunningTask> {
    let job = state.reencryption()?;
    if state.key_ring()?.key_ids().count() < 2 {
        return None;
    }
    Some(RunningTask(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match job.run().await {
                Ok(report) => tracing::info!(
                    rewritten = report.rewritten,
                    unreadable = report.unreadable,
                    "re-encrypted sealed values under the current key"
                ),
                Err(error) => tracing::warn!(%error, "re-encrypting sealed values failed"),
            }
        }
    })))
}
