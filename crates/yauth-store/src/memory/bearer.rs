//! Refresh tokens (rotation with reuse detection), JWT-id revocations and signing keys.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use super::state::newest_first;
use crate::repos::*;
use crate::{StoreError, StoreResult, constraint};

#[async_trait]
impl BearerRepository for MemoryStore {
    async fn create_refresh_token(&self, token: &RefreshToken) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(token.user_id)?;
        if st.refresh_tokens.contains_key(&token.token_hash) {
            return Err(StoreError::conflict(constraint::REFRESH_TOKENS_TOKEN_HASH));
        }
        st.refresh_tokens
            .insert(token.token_hash.clone(), token.clone());
        Ok(())
    }

    async fn find_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        Ok(self.state.read().refresh_tokens.get(token_hash).cloned())
    }

    async fn rotate_refresh_token(
        &self,
        old_token_hash: &str,
        new: &RefreshTokenSeed,
        now: OffsetDateTime,
    ) -> StoreResult<RotateOutcome> {
        let mut st = self.state.write();
        let Some(old) = st.refresh_tokens.get(old_token_hash).cloned() else {
            return Ok(RotateOutcome::Invalid);
        };
        if old.revoked {
            for t in st.refresh_tokens.values_mut() {
                if t.family_id == old.family_id {
                    t.revoked = true;
                }
            }
            return Ok(RotateOutcome::Reused {
                family_id: old.family_id,
                user_id: old.user_id,
            });
        }
        if old.expires_at <= now {
            return Ok(RotateOutcome::Invalid);
        }
        if st.refresh_tokens.contains_key(&new.token_hash) {
            return Err(StoreError::conflict(constraint::REFRESH_TOKENS_TOKEN_HASH));
        }
        let issued = new.issue_after(&old);
        if let Some(t) = st.refresh_tokens.get_mut(old_token_hash) {
            t.revoked = true;
        }
        st.refresh_tokens
            .insert(issued.token_hash.clone(), issued.clone());
        Ok(RotateOutcome::Rotated {
            previous: old,
            issued,
        })
    }

    async fn revoke_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        let mut st = self.state.write();
        match st.refresh_tokens.get_mut(token_hash) {
            Some(t) if !t.revoked => {
                let before = t.clone();
                t.revoked = true;
                Ok(Some(before))
            }
            _ => Ok(None),
        }
    }

    async fn revoke_refresh_family(&self, family_id: Uuid) -> StoreResult<u64> {
        let mut st = self.state.write();
        Ok(revoke_where(&mut st.refresh_tokens, |t| {
            t.family_id == family_id
        }))
    }

    async fn revoke_user_refresh_tokens(&self, user_id: Uuid) -> StoreResult<u64> {
        let mut st = self.state.write();
        Ok(revoke_where(&mut st.refresh_tokens, |t| {
            t.user_id == user_id
        }))
    }

    async fn list_user_refresh_tokens(
        &self,
        user_id: Uuid,
        created_since: OffsetDateTime,
    ) -> StoreResult<Vec<RefreshToken>> {
        let st = self.state.read();
        let mut tokens: Vec<RefreshToken> = st
            .refresh_tokens
            .values()
            .filter(|t| t.user_id == user_id && t.created_at >= created_since)
            .cloned()
            .collect();
        newest_first(&mut tokens, |t| (t.created_at, t.id));
        Ok(tokens)
    }

    async fn revoke_jti(&self, revocation: &JtiRevocation) -> StoreResult<()> {
        self.state
            .write()
            .revocations
            .insert(revocation.jti.clone(), revocation.clone());
        Ok(())
    }

    async fn is_jti_revoked(&self, jti: &str, now: OffsetDateTime) -> StoreResult<bool> {
        Ok(self
            .state
            .read()
            .revocations
            .get(jti)
            .is_some_and(|r| r.expires_at > now))
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

/// Revokes the unrevoked tokens matching `which`; returns how many changed.
fn revoke_where(
    tokens: &mut std::collections::HashMap<String, RefreshToken>,
    which: impl Fn(&RefreshToken) -> bool,
) -> u64 {
    let mut changed = 0;
    for t in tokens.values_mut().filter(|t| !t.revoked && which(t)) {
        t.revoked = true;
        changed += 1;
    }
    changed
}
