//! OpenID Connect nonces.

use async_trait::async_trait;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use crate::repos::*;
use crate::{StoreError, StoreResult};

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
}
