//! TOTP secrets and backup codes.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use crate::repos::*;
use crate::{StoreError, StoreResult};

#[async_trait]
impl MfaRepository for MemoryStore {
    async fn upsert_totp_secret(&self, secret: &TotpSecret) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(secret.user_id)?;
        st.totp_secrets.insert(secret.user_id, secret.clone());
        Ok(())
    }

    async fn find_totp_secret(&self, user_id: Uuid) -> StoreResult<Option<TotpSecret>> {
        Ok(self.state.read().totp_secrets.get(&user_id).cloned())
    }

    async fn confirm_totp_secret(&self, user_id: Uuid) -> StoreResult<bool> {
        let mut st = self.state.write();
        Ok(st
            .totp_secrets
            .get_mut(&user_id)
            .map(|s| s.verified = true)
            .is_some())
    }

    async fn delete_totp_secret(&self, user_id: Uuid) -> StoreResult<bool> {
        Ok(self.state.write().totp_secrets.remove(&user_id).is_some())
    }

    async fn accept_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool> {
        let mut st = self.state.write();
        match st.totp_secrets.get_mut(&user_id) {
            Some(s) if s.last_used_step.is_none_or(|last| step > last) => {
                s.last_used_step = Some(step);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn replace_backup_codes(&self, user_id: Uuid, codes: &[BackupCode]) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(user_id)?;
        if codes.iter().any(|c| c.user_id != user_id) {
            return Err(StoreError::Internal(
                "backup codes must belong to the user they replace".into(),
            ));
        }
        st.backup_codes.retain(|_, c| c.user_id != user_id);
        for code in codes {
            st.backup_codes.insert(code.id, code.clone());
        }
        Ok(())
    }

    async fn consume_backup_code(
        &self,
        user_id: Uuid,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut st = self.state.write();
        match st
            .backup_codes
            .values_mut()
            .find(|c| c.user_id == user_id && c.code_hash == code_hash && !c.used)
        {
            Some(code) => {
                code.used = true;
                code.used_at = Some(now);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn count_unused_backup_codes(&self, user_id: Uuid) -> StoreResult<u64> {
        let st = self.state.read();
        Ok(st
            .backup_codes
            .values()
            .filter(|c| c.user_id == user_id && !c.used)
            .count() as u64)
    }
}
