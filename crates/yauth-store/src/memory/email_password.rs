//! Passwords, their history, email verifications and password resets.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use super::state::newest_first;
use super::users::insert_user;
use crate::repos::*;
use crate::{StoreError, StoreResult, constraint};

#[async_trait]
impl EmailPasswordRepository for MemoryStore {
    async fn find_password(&self, user_id: Uuid) -> StoreResult<Option<PasswordCredential>> {
        Ok(self.state.read().passwords.get(&user_id).cloned())
    }

    async fn set_password(&self, credential: &PasswordCredential) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(credential.user_id)?;
        st.passwords.insert(credential.user_id, credential.clone());
        Ok(())
    }

    async fn create_user_with_password(
        &self,
        user: &User,
        credential: &PasswordCredential,
    ) -> StoreResult<()> {
        check_password_owner(user, credential)?;
        // One write lock for both rows: nobody sees the user without its password.
        let mut st = self.state.write();
        insert_user(&mut st, user)?;
        st.passwords.insert(credential.user_id, credential.clone());
        Ok(())
    }

    async fn add_password_history(
        &self,
        entry: &PasswordHistoryEntry,
        keep: u32,
    ) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(entry.user_id)?;
        st.password_history.push(entry.clone());
        let mut mine: Vec<(OffsetDateTime, Uuid)> = st
            .password_history
            .iter()
            .filter(|h| h.user_id == entry.user_id)
            .map(|h| (h.created_at, h.id))
            .collect();
        newest_first(&mut mine, |k| *k);
        let dropped: Vec<Uuid> = mine.iter().skip(keep as usize).map(|(_, id)| *id).collect();
        st.password_history.retain(|h| !dropped.contains(&h.id));
        Ok(())
    }

    async fn password_history(
        &self,
        user_id: Uuid,
        limit: u32,
    ) -> StoreResult<Vec<PasswordHistoryEntry>> {
        let st = self.state.read();
        let mut mine: Vec<PasswordHistoryEntry> = st
            .password_history
            .iter()
            .filter(|h| h.user_id == user_id)
            .cloned()
            .collect();
        newest_first(&mut mine, |h| (h.created_at, h.id));
        mine.truncate(limit as usize);
        Ok(mine)
    }

    async fn create_email_verification(&self, verification: &EmailVerification) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(verification.user_id)?;
        if st
            .email_verifications
            .contains_key(&verification.token_hash)
        {
            return Err(StoreError::conflict(
                constraint::EMAIL_VERIFICATIONS_TOKEN_HASH,
            ));
        }
        st.email_verifications
            .insert(verification.token_hash.clone(), verification.clone());
        Ok(())
    }

    async fn consume_email_verification(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<EmailVerification>> {
        let mut st = self.state.write();
        match st.email_verifications.get(token_hash) {
            Some(v) if v.expires_at > now => Ok(st.email_verifications.remove(token_hash)),
            _ => Ok(None),
        }
    }

    async fn delete_email_verifications(&self, user_id: Uuid) -> StoreResult<u64> {
        let mut st = self.state.write();
        Ok(super::state::purge(&mut st.email_verifications, |v| {
            v.user_id == user_id
        }))
    }

    async fn create_password_reset(&self, reset: &PasswordReset) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(reset.user_id)?;
        if st.password_resets.contains_key(&reset.token_hash) {
            return Err(StoreError::conflict(constraint::PASSWORD_RESETS_TOKEN_HASH));
        }
        st.password_resets
            .insert(reset.token_hash.clone(), reset.clone());
        Ok(())
    }

    async fn find_password_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PasswordReset>> {
        let st = self.state.read();
        Ok(st
            .password_resets
            .get(token_hash)
            .filter(|r| r.used_at.is_none() && r.expires_at > now)
            .cloned())
    }

    async fn consume_password_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PasswordReset>> {
        let mut st = self.state.write();
        match st.password_resets.get_mut(token_hash) {
            Some(r) if r.used_at.is_none() && r.expires_at > now => {
                r.used_at = Some(now);
                Ok(Some(r.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn delete_password_resets(&self, user_id: Uuid) -> StoreResult<u64> {
        let mut st = self.state.write();
        Ok(super::state::purge(&mut st.password_resets, |r| {
            r.user_id == user_id
        }))
    }
}
