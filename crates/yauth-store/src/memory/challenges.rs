//! Short-lived challenges.

use async_trait::async_trait;
use time::OffsetDateTime;
use yauth_entity::Challenge;

use super::MemoryStore;
use crate::StoreResult;
use crate::repos::*;

#[async_trait]
impl ChallengeRepository for MemoryStore {
    async fn put_challenge(&self, challenge: &Challenge) -> StoreResult<()> {
        self.state
            .write()
            .challenges
            .insert(challenge.key.clone(), challenge.clone());
        Ok(())
    }

    async fn get_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        let st = self.state.read();
        Ok(st
            .challenges
            .get(key)
            .filter(|c| c.expires_at > now)
            .cloned())
    }

    async fn take_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        let mut st = self.state.write();
        match st.challenges.get(key) {
            Some(c) if c.expires_at > now => Ok(st.challenges.remove(key)),
            _ => Ok(None),
        }
    }

    async fn delete_challenge(&self, key: &str) -> StoreResult<bool> {
        Ok(self.state.write().challenges.remove(key).is_some())
    }
}
