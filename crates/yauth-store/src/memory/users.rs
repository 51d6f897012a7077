//! Users.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{User, UserUpdate, normalize_email};

use super::MemoryStore;
use super::state::{State, newest_first, paginate};
use crate::repos::*;
use crate::{Page, StoreError, StoreResult, UserQuery, constraint};

/// Stores a new user (email normalised); nothing changes on a conflict.
pub(super) fn insert_user(st: &mut State, user: &User) -> StoreResult<()> {
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

#[async_trait]
impl UserRepository for MemoryStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        insert_user(&mut self.state.write(), user)
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
            .filter(|u| query.role.as_ref().is_none_or(|r| &u.role == r))
            .filter(|u| query.banned.is_none_or(|b| u.banned == b))
            .cloned()
            .collect();
        newest_first(&mut users, |u| (u.created_at, u.id));
        Ok(paginate(users, query.page))
    }
}
