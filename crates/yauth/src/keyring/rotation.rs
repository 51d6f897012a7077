//! Re-encryption after a key is added: every value sealed under an older key is opened and
//! sealed again under the current one.
//!
//! Each value is rewritten by one compare-and-swap in the store, so a run can stop anywhere (a
//! crash, a cancelled task, a storage error) and the next run carries on with whatever is left,
//! and several replicas can run at once: when two rewrite one value, the first swap wins and the
//! other finds the value changed and moves on. Both results were valid, so nothing is lost.

use std::sync::Arc;

use yauth_store::{SealedColumn, SealedValueRepository, StoreResult};

use super::{KeyRing, SealedPlace};

/// What one re-encryption run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReencryptionReport {
    /// Values this run sealed again under the current key.
    pub rewritten: u64,
    /// Values that changed between this run reading and rewriting them (another run or a write
    /// by the application got there first); they need nothing more.
    pub changed_meanwhile: u64,
    /// Values that did not open (unknown key, tampered, or not sealed by the ring); they are left
    /// as they are and logged, so an old key still in use is never removed by mistake.
    pub unreadable: u64,
}

/// A re-encryption of some sealed columns under the ring's current key.
///
/// ```no_run
/// # async fn rotate(yauth: yauth::YAuth) -> Result<(), yauth::store::StoreError> {
/// // After adding a key (the last one given to `with_key_ring` seals):
/// let report = yauth.reencrypt_sealed_values().await?;
/// assert_eq!(yauth.sealed_values_under("k2025").await?, 0); // now "k2025" can be dropped
/// # let _ = report; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Reencryption {
    ring: Arc<KeyRing>,
    store: Arc<dyn SealedValueRepository>,
    columns: Vec<SealedColumn>,
    batch_size: u32,
}

impl std::fmt::Debug for Reencryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reencryption")
            .field("current_key", &self.ring.current_key_id())
            .field("columns", &self.columns)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl Reencryption {
    /// A re-encryption of `columns` in `store` under `ring`'s current key, 100 values a batch.
    pub fn new(
        ring: Arc<KeyRing>,
        store: Arc<dyn SealedValueRepository>,
        columns: impl IntoIterator<Item = SealedColumn>,
    ) -> Self {
        Self {
            ring,
            store,
            columns: columns.into_iter().collect(),
            batch_size: 100,
        }
    }

    /// Values read per storage call (at least 1).
    pub fn batch_size(mut self, batch_size: u32) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Rewrites every value of the columns that is not sealed under the current key. Returns on
    /// the first storage error; running again resumes.
    pub async fn run(&self) -> StoreResult<ReencryptionReport> {
        let current = KeyRing::prefix_of(self.ring.current_key_id());
        let mut report = ReencryptionReport::default();
        for &column in &self.columns {
            let mut after: Option<String> = None;
            loop {
                let batch = self
                    .store
                    .list_sealed_values(column, &current, after.as_deref(), self.batch_size)
                    .await?;
                let Some(last) = batch.last() else { break };
                after = Some(last.row.clone());
                for value in batch {
                    let place = SealedPlace::new(column, &value.row);
                    let plaintext = match self.ring.open(&place, &value.value) {
                        Ok(plaintext) => plaintext,
                        Err(error) => {
                            tracing::warn!(
                                table = column.table(),
                                column = column.column(),
                                row = %value.row,
                                %error,
                                "a sealed value does not open; left as it is"
                            );
                            report.unreadable += 1;
                            continue;
                        }
                    };
                    let resealed = self.ring.seal(&place, &plaintext);
                    let swapped = self
                        .store
                        .replace_sealed_value(column, &value.row, &value.value, &resealed)
                        .await?;
                    if swapped {
                        report.rewritten += 1;
                    } else {
                        report.changed_meanwhile += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// How many values of the columns are still sealed under `key_id`: once 0, the key can be
    /// removed from the ring.
    pub async fn values_under(&self, key_id: &str) -> StoreResult<u64> {
        let prefix = KeyRing::prefix_of(key_id);
        let mut total = 0;
        for &column in &self.columns {
            total += self.store.count_sealed_values(column, &prefix).await?;
        }
        Ok(total)
    }
}
