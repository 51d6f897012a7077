//! API keys.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use super::state::oldest_first;
use crate::repos::*;
use crate::{StoreError, StoreResult, constraint};

#[async_trait]
impl ApiKeyRepository for MemoryStore {
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(key.user_id)?;
        if st.api_keys.contains_key(&key.key_prefix) {
            return Err(StoreError::conflict(constraint::API_KEYS_PREFIX));
        }
        st.api_keys.insert(key.key_prefix.clone(), key.clone());
        Ok(())
    }

    async fn find_api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<(ApiKey, User)>> {
        let st = self.state.read();
        Ok(st
            .api_keys
            .get(prefix)
            .and_then(|k| st.users.get(&k.user_id).map(|u| (k.clone(), u.clone()))))
    }

    async fn list_api_keys(&self, user_id: Uuid) -> StoreResult<Vec<ApiKey>> {
        let st = self.state.read();
        let mut keys: Vec<ApiKey> = st
            .api_keys
            .values()
            .filter(|k| k.user_id == user_id)
            .cloned()
            .collect();
        oldest_first(&mut keys, |k| (k.created_at, k.id));
        Ok(keys)
    }

    async fn delete_api_key(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let mut st = self.state.write();
        Ok(super::state::purge(&mut st.api_keys, |k| k.id == id && k.user_id == user_id) > 0)
    }

    async fn touch_api_key(&self, id: Uuid, now: OffsetDateTime) -> StoreResult<()> {
        let mut st = self.state.write();
        let key = st
            .api_keys
            .values_mut()
            .find(|k| k.id == id)
            .ok_or(StoreError::NotFound)?;
        key.last_used_at = Some(now);
        Ok(())
    }
}
