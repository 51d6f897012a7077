//! Login sessions.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{Session, User};

use super::MemoryStore;
use super::state::{newest_first, paginate};
use crate::repos::*;
use crate::{Page, PageRequest, StoreError, StoreResult, constraint};

#[async_trait]
impl SessionRepository for MemoryStore {
    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        let mut st = self.state.write();
        st.require_user(session.user_id)?;
        if let Some(admin) = session.impersonator_id {
            st.require_user(admin)?;
        }
        if st.sessions.contains_key(&session.token_hash) {
            return Err(StoreError::conflict(constraint::SESSIONS_TOKEN_HASH));
        }
        st.sessions
            .insert(session.token_hash.clone(), session.clone());
        Ok(())
    }

    async fn validate_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(Session, User)>> {
        let st = self.state.read();
        Ok(st
            .sessions
            .get(token_hash)
            .filter(|s| s.is_active_at(now))
            .and_then(|s| st.users.get(&s.user_id).map(|u| (s.clone(), u.clone()))))
    }

    async fn extend_session(
        &self,
        id: Uuid,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut st = self.state.write();
        let Some(session) = st
            .sessions
            .values_mut()
            .find(|s| s.id == id && s.is_active_at(now))
        else {
            return Ok(false);
        };
        session.expires_at = expires_at.min(session.absolute_expires_at);
        session.last_seen_at = now;
        Ok(true)
    }

    async fn find_session(&self, id: Uuid) -> StoreResult<Option<Session>> {
        let st = self.state.read();
        Ok(st.sessions.values().find(|s| s.id == id).cloned())
    }

    async fn list_user_sessions(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<Session>> {
        let st = self.state.read();
        let mut sessions: Vec<Session> = st
            .sessions
            .values()
            .filter(|s| s.user_id == user_id && s.is_active_at(now))
            .cloned()
            .collect();
        newest_first(&mut sessions, |s| (s.created_at, s.id));
        Ok(sessions)
    }

    async fn list_sessions(
        &self,
        page: PageRequest,
        now: OffsetDateTime,
    ) -> StoreResult<Page<Session>> {
        let st = self.state.read();
        let mut sessions: Vec<Session> = st
            .sessions
            .values()
            .filter(|s| s.is_active_at(now))
            .cloned()
            .collect();
        newest_first(&mut sessions, |s| (s.created_at, s.id));
        Ok(paginate(sessions, page))
    }

    async fn delete_session(&self, id: Uuid) -> StoreResult<bool> {
        let mut st = self.state.write();
        let before = st.sessions.len();
        st.sessions.retain(|_, s| s.id != id);
        Ok(st.sessions.len() < before)
    }

    async fn delete_user_session(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let mut st = self.state.write();
        let before = st.sessions.len();
        st.sessions
            .retain(|_, s| !(s.id == id && s.user_id == user_id));
        Ok(st.sessions.len() < before)
    }

    async fn delete_user_sessions(&self, user_id: Uuid, keep: Option<Uuid>) -> StoreResult<u64> {
        let mut st = self.state.write();
        let before = st.sessions.len();
        st.sessions
            .retain(|_, s| s.user_id != user_id || Some(s.id) == keep);
        Ok((before - st.sessions.len()) as u64)
    }
}
