//! Users, sessions, audit log, challenges, rate limits and the purge.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth_entity::{AuditLogEntry, Challenge, Session, User, UserUpdate, normalize_email};

use super::MemoryStore;
use super::state::{RateWindow, newest_first, paginate, purge};
use crate::repos::*;
use crate::{
    AuditQuery, Page, PageRequest, PurgeReport, RateDecision, StoreError, StoreResult, UserQuery,
    constraint,
};

#[async_trait]
impl UserRepository for MemoryStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let mut st = self.state.write();
        let mut user = user.clone();
        user.email = normalize_email(&user.email);
        if st.user_ids_by_email.contains_key(&user.email) {
            return Err(StoreError::conflict(constraint::USERS_EMAIL));
        }
        if st.users.contains_key(&user.id) {
            return Err(StoreError::conflict(constraint::PRIMARY_KEY));
        }
        st.user_ids_by_email.insert(user.email.clone(), user.id);
        st.users.insert(user.id, user);
        Ok(())
    }

    async fn find_user(&self, id: Uuid) -> StoreResult<Option<User>> {
        Ok(self.state.read().users.get(&id).cloned())
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let st = self.state.read();
        Ok(st
            .user_ids_by_email
            .get(&normalize_email(email))
            .and_then(|id| st.users.get(id))
            .cloned())
    }

    async fn update_user(
        &self,
        id: Uuid,
        update: &UserUpdate,
        now: OffsetDateTime,
    ) -> StoreResult<User> {
        let mut st = self.state.write();
        let old_email = st.users.get(&id).ok_or(StoreError::NotFound)?.email.clone();
        let new_email = update.email.as_deref().map(normalize_email);
        if let Some(email) = &new_email {
            if *email != old_email && st.user_ids_by_email.contains_key(email) {
                return Err(StoreError::conflict(constraint::USERS_EMAIL));
            }
            st.user_ids_by_email.remove(&old_email);
            st.user_ids_by_email.insert(email.clone(), id);
        }
        let user = st.users.get_mut(&id).ok_or(StoreError::NotFound)?;
        if let Some(email) = new_email {
            user.email = email;
        }
        if let Some(v) = &update.display_name {
            user.display_name = v.clone();
        }
        if let Some(v) = update.email_verified {
            user.email_verified = v;
        }
        if let Some(v) = &update.role {
            user.role = v.clone();
        }
        if let Some(v) = update.banned {
            user.banned = v;
        }
        if let Some(v) = &update.banned_reason {
            user.banned_reason = v.clone();
        }
        if let Some(v) = update.banned_until {
            user.banned_until = v;
        }
        user.updated_at = now;
        Ok(user.clone())
    }

    async fn delete_user(&self, id: Uuid) -> StoreResult<bool> {
        Ok(self.state.write().delete_user_cascade(id))
    }

    async fn list_users(&self, query: &UserQuery) -> StoreResult<Page<User>> {
        let st = self.state.read();
        let needle = query.search.as_deref().map(str::to_lowercase);
        let mut users: Vec<User> = st
            .users
            .values()
            .filter(|u| match &needle {
                None => true,
                Some(n) => {
                    u.email.contains(n.as_str())
                        || u.display_name
                            .as_deref()
                            .is_some_and(|d| d.to_lowercase().contains(n.as_str()))
                }
            })
            .cloned()
            .collect();
        newest_first(&mut users, |u| (u.created_at, u.id));
        Ok(paginate(users, query.page))
    }
}

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

#[async_trait]
impl AuditLogRepository for MemoryStore {
    async fn append_audit(&self, entry: &AuditLogEntry) -> StoreResult<()> {
        let mut st = self.state.write();
        if let Some(user_id) = entry.user_id {
            st.require_user(user_id)?;
        }
        st.audit.push(entry.clone());
        Ok(())
    }

    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Page<AuditLogEntry>> {
        let st = self.state.read();
        let mut entries: Vec<AuditLogEntry> = st
            .audit
            .iter()
            .filter(|e| query.user_id.is_none_or(|u| e.user_id == Some(u)))
            .filter(|e| {
                query
                    .event_type
                    .as_deref()
                    .is_none_or(|t| e.event_type == t)
            })
            .filter(|e| query.since.is_none_or(|t| e.created_at >= t))
            .filter(|e| query.until.is_none_or(|t| e.created_at < t))
            .cloned()
            .collect();
        newest_first(&mut entries, |e| (e.created_at, e.id));
        Ok(paginate(entries, query.page))
    }
}

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

#[async_trait]
impl RateLimitRepository for MemoryStore {
    async fn hit_rate_limit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: OffsetDateTime,
    ) -> StoreResult<RateDecision> {
        let mut st = self.state.write();
        let entry = st
            .rate_limits
            .entry(key.to_owned())
            .and_modify(|w| {
                if w.window_end <= now {
                    *w = RateWindow {
                        count: 0,
                        window_end: now + window,
                    };
                }
            })
            .or_insert(RateWindow {
                count: 0,
                window_end: now + window,
            });
        entry.count = entry.count.saturating_add(1);
        Ok(RateDecision {
            allowed: entry.count <= limit,
            count: entry.count,
            limit,
            reset_at: entry.window_end,
        })
    }

    async fn reset_rate_limit(&self, key: &str) -> StoreResult<()> {
        self.state.write().rate_limits.remove(key);
        Ok(())
    }
}

#[async_trait]
impl MaintenanceRepository for MemoryStore {
    async fn purge_expired(&self, now: OffsetDateTime) -> StoreResult<PurgeReport> {
        let mut st = self.state.write();
        let st = &mut *st;
        let mut report = PurgeReport::default();
        report.add(
            "sessions",
            purge(&mut st.sessions, |s| !s.is_active_at(now)),
        );
        report.add(
            "email_verifications",
            purge(&mut st.email_verifications, |v| v.expires_at <= now),
        );
        report.add(
            "password_resets",
            purge(&mut st.password_resets, |r| r.expires_at <= now),
        );
        report.add(
            "magic_links",
            purge(&mut st.magic_links, |l| l.expires_at <= now),
        );
        report.add(
            "oauth_states",
            purge(&mut st.oauth_states, |s| s.expires_at <= now),
        );
        report.add(
            "refresh_tokens",
            purge(&mut st.refresh_tokens, |t| t.expires_at <= now),
        );
        let expired_codes: Vec<Uuid> = st
            .authorization_codes
            .values()
            .filter(|c| c.expires_at <= now)
            .map(|c| c.id)
            .collect();
        report.add(
            "authorization_codes",
            purge(&mut st.authorization_codes, |c| c.expires_at <= now),
        );
        report.add(
            "oidc_nonces",
            purge(&mut st.oidc_nonces, |n| {
                expired_codes.contains(&n.authorization_code_id)
            }),
        );
        report.add(
            "device_codes",
            purge(&mut st.device_codes, |d| d.expires_at <= now),
        );
        report.add(
            "unlock_tokens",
            purge(&mut st.unlock_tokens, |t| t.expires_at <= now),
        );
        report.add(
            "challenges",
            purge(&mut st.challenges, |c| c.expires_at <= now),
        );
        report.add(
            "rate_limits",
            purge(&mut st.rate_limits, |w| w.window_end <= now),
        );
        report.add(
            "revocations",
            purge(&mut st.revocations, |r| r.expires_at <= now),
        );
        report.add(
            "signing_keys",
            purge(&mut st.signing_keys, |k| {
                k.expires_at.is_some_and(|at| at <= now)
            }),
        );
        Ok(report)
    }
}
