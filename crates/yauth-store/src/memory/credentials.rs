//! Credentials: passwords and their tokens, passkeys, MFA, linked OAuth accounts, API keys and
//! magic links.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use super::state::{newest_first, oldest_first};
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

#[async_trait]
impl MagicLinkRepository for MemoryStore {
    async fn create_magic_link(&self, link: &MagicLink) -> StoreResult<()> {
        let mut st = self.state.write();
        if st.magic_links.contains_key(&link.token_hash) {
            return Err(StoreError::conflict(constraint::MAGIC_LINKS_TOKEN_HASH));
        }
        let mut link = link.clone();
        link.email = normalize_email(&link.email);
        st.magic_links.insert(link.token_hash.clone(), link);
        Ok(())
    }

    async fn consume_magic_link(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<MagicLink>> {
        let mut st = self.state.write();
        match st.magic_links.get_mut(token_hash) {
            Some(l) if !l.used && l.expires_at > now => {
                l.used = true;
                Ok(Some(l.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn delete_magic_links(&self, email: &str) -> StoreResult<u64> {
        let email = normalize_email(email);
        let mut st = self.state.write();
        Ok(super::state::purge(&mut st.magic_links, |l| {
            l.email == email
        }))
    }
}
