//! The OAuth2 authorization server: clients, codes, consents, device codes.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use crate::repos::*;
use crate::{StoreError, StoreResult, constraint};

#[async_trait]
impl Oauth2ServerRepository for MemoryStore {
    async fn create_oauth2_client(&self, client: &Oauth2Client) -> StoreResult<()> {
        let mut st = self.state.write();
        if st.oauth2_clients.contains_key(&client.client_id) {
            return Err(StoreError::conflict(constraint::OAUTH2_CLIENTS_CLIENT_ID));
        }
        st.oauth2_clients
            .insert(client.client_id.clone(), client.clone());
        Ok(())
    }

    async fn find_oauth2_client(&self, client_id: &str) -> StoreResult<Option<Oauth2Client>> {
        Ok(self.state.read().oauth2_clients.get(client_id).cloned())
    }

    async fn delete_oauth2_client(&self, client_id: &str) -> StoreResult<bool> {
        Ok(self.state.write().delete_client_cascade(client_id))
    }

    async fn create_authorization_code(&self, code: &AuthorizationCode) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_client(&code.client_id)?;
        st.require_user(code.user_id)?;
        if st.authorization_codes.contains_key(&code.code_hash) {
            return Err(StoreError::conflict(
                constraint::AUTHORIZATION_CODES_CODE_HASH,
            ));
        }
        st.authorization_codes
            .insert(code.code_hash.clone(), code.clone());
        Ok(())
    }

    async fn consume_authorization_code(
        &self,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<AuthorizationCode>> {
        let mut st = self.state.write();
        match st.authorization_codes.get_mut(code_hash) {
            Some(c) if !c.used && c.expires_at > now => {
                c.used = true;
                Ok(Some(c.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn find_authorization_code(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<AuthorizationCode>> {
        Ok(self
            .state
            .read()
            .authorization_codes
            .get(code_hash)
            .cloned())
    }

    async fn upsert_consent(&self, consent: &Consent) -> StoreResult<Consent> {
        let mut st = self.state.write();
        st.require_client(&consent.client_id)?;
        st.require_user(consent.user_id)?;
        if let Some(existing) = st
            .consents
            .values_mut()
            .find(|c| c.user_id == consent.user_id && c.client_id == consent.client_id)
        {
            existing.scopes = consent.scopes.clone();
            existing.updated_at = consent.updated_at;
            return Ok(existing.clone());
        }
        st.consents.insert(consent.id, consent.clone());
        Ok(consent.clone())
    }

    async fn find_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<Option<Consent>> {
        let st = self.state.read();
        Ok(st
            .consents
            .values()
            .find(|c| c.user_id == user_id && c.client_id == client_id)
            .cloned())
    }

    async fn list_user_consents(&self, user_id: Uuid) -> StoreResult<Vec<Consent>> {
        let st = self.state.read();
        let mut consents: Vec<Consent> = st
            .consents
            .values()
            .filter(|c| c.user_id == user_id)
            .cloned()
            .collect();
        consents.sort_by_key(|c| std::cmp::Reverse((c.updated_at, c.id)));
        Ok(consents)
    }

    async fn delete_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<bool> {
        let mut st = self.state.write();
        Ok(super::state::purge(&mut st.consents, |c| {
            c.user_id == user_id && c.client_id == client_id
        }) > 0)
    }

    async fn create_device_code(&self, code: &DeviceCode) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_client(&code.client_id)?;
        if let Some(user_id) = code.user_id {
            st.require_user(user_id)?;
        }
        if st.device_codes.contains_key(&code.device_code_hash) {
            return Err(StoreError::conflict(
                constraint::DEVICE_CODES_DEVICE_CODE_HASH,
            ));
        }
        if st
            .device_codes
            .values()
            .any(|d| d.user_code == code.user_code)
        {
            return Err(StoreError::conflict(constraint::DEVICE_CODES_USER_CODE));
        }
        st.device_codes
            .insert(code.device_code_hash.clone(), code.clone());
        Ok(())
    }

    async fn find_pending_device_code(
        &self,
        user_code: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceCode>> {
        let st = self.state.read();
        Ok(st
            .device_codes
            .values()
            .find(|d| {
                d.user_code == user_code
                    && d.status == DeviceCodeStatus::Pending
                    && d.expires_at > now
            })
            .cloned())
    }

    async fn decide_device_code(
        &self,
        user_code: &str,
        user_id: Uuid,
        approve: bool,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceCode>> {
        let mut st = self.state.write();
        st.require_user(user_id)?;
        let Some(code) = st.device_codes.values_mut().find(|d| {
            d.user_code == user_code && d.status == DeviceCodeStatus::Pending && d.expires_at > now
        }) else {
            return Ok(None);
        };
        code.status = if approve {
            DeviceCodeStatus::Approved
        } else {
            DeviceCodeStatus::Denied
        };
        code.user_id = Some(user_id);
        Ok(Some(code.clone()))
    }

    async fn poll_device_code(
        &self,
        device_code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<DevicePoll> {
        let mut st = self.state.write();
        let Some(code) = st.device_codes.get_mut(device_code_hash) else {
            return Ok(DevicePoll::Invalid);
        };
        let (answer, updated) = DevicePoll::decide(code.clone(), now);
        if let Some(updated) = updated {
            *code = updated;
        }
        Ok(answer)
    }
}
