//! Sealed values, addressed by column for key rotation.

use async_trait::async_trait;

use super::MemoryStore;
use super::state::State;
use crate::StoreResult;
use crate::repos::{SealedColumn, SealedValue, SealedValueRepository};

impl State {
    /// Every row of a nullable sealed column as (row key, the column's slot).
    fn sealed_slots(&mut self, column: SealedColumn) -> Vec<(String, &mut Option<String>)> {
        match column {
            SealedColumn::OauthAccessToken => self
                .oauth_accounts
                .values_mut()
                .map(|a| (a.id.to_string(), &mut a.access_token_enc))
                .collect(),
            SealedColumn::OauthRefreshToken => self
                .oauth_accounts
                .values_mut()
                .map(|a| (a.id.to_string(), &mut a.refresh_token_enc))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Every row of `column` as (row key, value), for the required columns.
    fn required_values(&mut self, column: SealedColumn) -> Vec<(String, &mut String)> {
        match column {
            SealedColumn::TotpSecret => self
                .totp_secrets
                .values_mut()
                .map(|s| (s.id.to_string(), &mut s.encrypted_secret))
                .collect(),
            SealedColumn::WebhookSecret => self
                .webhooks
                .values_mut()
                .map(|w| (w.id.to_string(), &mut w.secret_enc))
                .collect(),
            SealedColumn::SigningKey => self
                .signing_keys
                .values_mut()
                .map(|k| (k.kid.clone(), &mut k.private_key_enc))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Runs `f` on every non-null value of `column` (row key, mutable value).
    fn each_sealed(&mut self, column: SealedColumn, mut f: impl FnMut(&str, &mut String)) {
        for (row, slot) in self.sealed_slots(column) {
            if let Some(value) = slot.as_mut() {
                f(&row, value);
            }
        }
        for (row, value) in self.required_values(column) {
            f(&row, value);
        }
    }
}

#[async_trait]
impl SealedValueRepository for MemoryStore {
    async fn list_sealed_values(
        &self,
        column: SealedColumn,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<SealedValue>> {
        let mut found = Vec::new();
        self.state.write().each_sealed(column, |row, value| {
            if !value.starts_with(prefix) && after.is_none_or(|a| row > a) {
                found.push(SealedValue {
                    row: row.to_owned(),
                    value: value.clone(),
                });
            }
        });
        found.sort_by(|a, b| a.row.cmp(&b.row));
        found.truncate(limit as usize);
        Ok(found)
    }

    async fn replace_sealed_value(
        &self,
        column: SealedColumn,
        row: &str,
        expected: &str,
        replacement: &str,
    ) -> StoreResult<bool> {
        let mut replaced = false;
        self.state.write().each_sealed(column, |key, value| {
            if key == row && value == expected {
                *value = replacement.to_owned();
                replaced = true;
            }
        });
        Ok(replaced)
    }

    async fn count_sealed_values(&self, column: SealedColumn, prefix: &str) -> StoreResult<u64> {
        let mut count = 0;
        self.state.write().each_sealed(column, |_, value| {
            count += u64::from(value.starts_with(prefix));
        });
        Ok(count)
    }
}
