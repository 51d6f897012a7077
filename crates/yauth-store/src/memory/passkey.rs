//! WebAuthn credentials.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use super::state::oldest_first;
use crate::repos::*;
use crate::{StoreError, StoreResult, constraint};

#[async_trait]
impl PasskeyRepository for MemoryStore {
    async fn create_webauthn_credential(&self, credential: &WebauthnCredential) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(credential.user_id)?;
        if st
            .webauthn_credentials
            .values()
            .any(|c| c.credential_id == credential.credential_id)
        {
            return Err(StoreError::conflict(constraint::WEBAUTHN_CREDENTIAL_ID));
        }
        st.webauthn_credentials
            .insert(credential.id, credential.clone());
        Ok(())
    }

    async fn find_webauthn_credential(
        &self,
        credential_id: &str,
    ) -> StoreResult<Option<WebauthnCredential>> {
        let st = self.state.read();
        Ok(st
            .webauthn_credentials
            .values()
            .find(|c| c.credential_id == credential_id)
            .cloned())
    }

    async fn list_webauthn_credentials(
        &self,
        user_id: Uuid,
    ) -> StoreResult<Vec<WebauthnCredential>> {
        let st = self.state.read();
        let mut creds: Vec<WebauthnCredential> = st
            .webauthn_credentials
            .values()
            .filter(|c| c.user_id == user_id)
            .cloned()
            .collect();
        oldest_first(&mut creds, |c| (c.created_at, c.id));
        Ok(creds)
    }

    async fn update_webauthn_credential_use(
        &self,
        id: Uuid,
        credential: &serde_json::Value,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut st = self.state.write();
        let c = st
            .webauthn_credentials
            .get_mut(&id)
            .ok_or(StoreError::NotFound)?;
        c.credential = credential.clone();
        c.last_used_at = Some(now);
        Ok(())
    }

    async fn rename_webauthn_credential(
        &self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> StoreResult<bool> {
        let mut st = self.state.write();
        match st.webauthn_credentials.get_mut(&id) {
            Some(c) if c.user_id == user_id => {
                c.name = name.to_owned();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete_webauthn_credential(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let mut st = self.state.write();
        if st
            .webauthn_credentials
            .get(&id)
            .is_some_and(|c| c.user_id == user_id)
        {
            st.webauthn_credentials.remove(&id);
            return Ok(true);
        }
        Ok(false)
    }
}
