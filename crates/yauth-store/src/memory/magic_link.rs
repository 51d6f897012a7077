//! Magic links.

use async_trait::async_trait;
use time::OffsetDateTime;
use yauth_entity::*;

use super::MemoryStore;
use crate::repos::*;
use crate::{StoreError, StoreResult, constraint};

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
