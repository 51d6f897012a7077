//! Failed-login counters, locks and unlock tokens.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use crate::repos::*;
use crate::{StoreError, StoreResult, constraint};

#[async_trait]
impl AccountLockoutRepository for MemoryStore {
    async fn find_account_lock(&self, user_id: Uuid) -> StoreResult<Option<AccountLock>> {
        Ok(self.state.read().account_locks.get(&user_id).cloned())
    }

    async fn record_failed_login(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<AccountLock> {
        let mut st = self.state.write();
        st.require_user(user_id)?;
        let lock = st
            .account_locks
            .entry(user_id)
            .or_insert_with(|| fresh_lock(user_id, now));
        lock.failed_count = lock.failed_count.saturating_add(1);
        lock.updated_at = now;
        Ok(lock.clone())
    }

    async fn lock_account(
        &self,
        user_id: Uuid,
        until: OffsetDateTime,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<AccountLock> {
        let mut st = self.state.write();
        st.require_user(user_id)?;
        let lock = st
            .account_locks
            .entry(user_id)
            .or_insert_with(|| fresh_lock(user_id, now));
        lock.locked_until = Some(until);
        lock.locked_reason = reason.map(str::to_owned);
        lock.lock_count = lock.lock_count.saturating_add(1);
        lock.failed_count = 0;
        lock.updated_at = now;
        Ok(lock.clone())
    }

    async fn reset_failed_logins(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<()> {
        if let Some(lock) = self.state.write().account_locks.get_mut(&user_id) {
            lock.failed_count = 0;
            lock.updated_at = now;
        }
        Ok(())
    }

    async fn unlock_account(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<bool> {
        let mut st = self.state.write();
        let Some(lock) = st.account_locks.get_mut(&user_id) else {
            return Ok(false);
        };
        lock.locked_until = None;
        lock.locked_reason = None;
        lock.failed_count = 0;
        lock.updated_at = now;
        Ok(true)
    }

    async fn create_unlock_token(&self, token: &UnlockToken) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(token.user_id)?;
        if st.unlock_tokens.contains_key(&token.token_hash) {
            return Err(StoreError::conflict(constraint::UNLOCK_TOKENS_TOKEN_HASH));
        }
        st.unlock_tokens
            .insert(token.token_hash.clone(), token.clone());
        Ok(())
    }

    async fn consume_unlock_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<UnlockToken>> {
        let mut st = self.state.write();
        match st.unlock_tokens.get(token_hash) {
            Some(t) if t.expires_at > now => Ok(st.unlock_tokens.remove(token_hash)),
            _ => Ok(None),
        }
    }

    async fn delete_unlock_tokens(&self, user_id: Uuid) -> StoreResult<u64> {
        let mut st = self.state.write();
        Ok(super::state::purge(&mut st.unlock_tokens, |t| {
            t.user_id == user_id
        }))
    }
}

fn fresh_lock(user_id: Uuid, now: OffsetDateTime) -> AccountLock {
    AccountLock {
        id: new_id(),
        user_id,
        failed_count: 0,
        locked_until: None,
        lock_count: 0,
        locked_reason: None,
        created_at: now,
        updated_at: now,
    }
}
