//! Linked OAuth accounts and authorization states.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use super::state::oldest_first;
use crate::repos::*;
use crate::{StoreError, StoreResult, constraint};

#[async_trait]
impl OauthRepository for MemoryStore {
    async fn create_oauth_account(&self, account: &OauthAccount) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(account.user_id)?;
        for a in st.oauth_accounts.values() {
            if a.provider == account.provider && a.provider_user_id == account.provider_user_id {
                return Err(StoreError::conflict(
                    constraint::OAUTH_ACCOUNTS_PROVIDER_USER,
                ));
            }
            if a.provider == account.provider && a.user_id == account.user_id {
                return Err(StoreError::conflict(
                    constraint::OAUTH_ACCOUNTS_USER_PROVIDER,
                ));
            }
        }
        st.oauth_accounts.insert(account.id, account.clone());
        Ok(())
    }

    async fn find_oauth_account(
        &self,
        provider: &str,
        provider_user_id: &str,
    ) -> StoreResult<Option<OauthAccount>> {
        let st = self.state.read();
        Ok(st
            .oauth_accounts
            .values()
            .find(|a| a.provider == provider && a.provider_user_id == provider_user_id)
            .cloned())
    }

    async fn list_oauth_accounts(&self, user_id: Uuid) -> StoreResult<Vec<OauthAccount>> {
        let st = self.state.read();
        let mut accounts: Vec<OauthAccount> = st
            .oauth_accounts
            .values()
            .filter(|a| a.user_id == user_id)
            .cloned()
            .collect();
        oldest_first(&mut accounts, |a| (a.created_at, a.id));
        Ok(accounts)
    }

    async fn update_oauth_tokens(
        &self,
        id: Uuid,
        access_token_enc: Option<&str>,
        refresh_token_enc: Option<&str>,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut st = self.state.write();
        let a = st.oauth_accounts.get_mut(&id).ok_or(StoreError::NotFound)?;
        a.access_token_enc = access_token_enc.map(str::to_owned);
        a.refresh_token_enc = refresh_token_enc.map(str::to_owned);
        a.expires_at = expires_at;
        a.updated_at = now;
        Ok(())
    }

    async fn delete_oauth_account(&self, user_id: Uuid, provider: &str) -> StoreResult<bool> {
        let mut st = self.state.write();
        Ok(super::state::purge(&mut st.oauth_accounts, |a| {
            a.user_id == user_id && a.provider == provider
        }) > 0)
    }

    async fn create_oauth_state(&self, state: &OauthState) -> StoreResult<()> {
        let mut st = self.state.write();
        if let Some(user_id) = state.link_user_id {
            st.require_user(user_id)?;
        }
        if st.oauth_states.contains_key(&state.state) {
            return Err(StoreError::conflict(constraint::OAUTH_STATES_STATE));
        }
        st.oauth_states.insert(state.state.clone(), state.clone());
        Ok(())
    }

    async fn consume_oauth_state(
        &self,
        state_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<OauthState>> {
        let mut st = self.state.write();
        match st.oauth_states.get(state_hash) {
            Some(s) if s.expires_at > now => Ok(st.oauth_states.remove(state_hash)),
            _ => Ok(None),
        }
    }
}
