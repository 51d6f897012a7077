//! OpenID Connect nonces and signing keys.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use crate::repos::*;
use crate::{StoreError, StoreResult, constraint};

#[async_trait]
impl OidcRepository for MemoryStore {
    async fn create_oidc_nonce(&self, nonce: &OidcNonce) -> StoreResult<()> {
        let mut st = self.state.write();
        if !st
            .authorization_codes
            .values()
            .any(|c| c.id == nonce.authorization_code_id)
        {
            return Err(StoreError::NotFound);
        }
        st.oidc_nonces.insert(nonce.id, nonce.clone());
        Ok(())
    }

    async fn find_oidc_nonce(&self, authorization_code_id: Uuid) -> StoreResult<Option<OidcNonce>> {
        let st = self.state.read();
        Ok(st
            .oidc_nonces
            .values()
            .find(|n| n.authorization_code_id == authorization_code_id)
            .cloned())
    }

    async fn create_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        let mut st = self.state.write();
        if st.signing_keys.contains_key(&key.kid) {
            return Err(StoreError::conflict(constraint::SIGNING_KEYS_KID));
        }
        st.signing_keys.insert(key.kid.clone(), key.clone());
        Ok(())
    }

    async fn list_signing_keys(&self, now: OffsetDateTime) -> StoreResult<Vec<SigningKey>> {
        let st = self.state.read();
        let mut keys: Vec<SigningKey> = st
            .signing_keys
            .values()
            .filter(|k| k.expires_at.is_none_or(|at| at > now))
            .cloned()
            .collect();
        // Newest first; kid breaks ties so the order is total.
        keys.sort_by(|a, b| (b.created_at, &b.kid).cmp(&(a.created_at, &a.kid)));
        Ok(keys)
    }

    async fn retire_signing_key(
        &self,
        kid: &str,
        retired_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut st = self.state.write();
        let Some(key) = st.signing_keys.get_mut(kid) else {
            return Ok(false);
        };
        key.retired_at = Some(retired_at);
        key.expires_at = Some(expires_at);
        Ok(true)
    }
}
