//! The user repository: users by id cached, and every change invalidating the user's cached
//! copies and sessions.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{User, UserUpdate};
use yauth_store::{Page, StoreResult, UserQuery, UserRepository};

use super::{Generation, Redis};

/// Users as stored; a change (ban, role, name, verification) or a deletion invalidates the
/// user's cached sessions, after the database write.
pub(crate) struct InvalidatingUsers {
    pub inner: Arc<dyn UserRepository>,
    pub redis: Arc<Redis>,
}

#[async_trait]
impl UserRepository for InvalidatingUsers {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        self.inner.create_user(user).await
    }

    async fn find_user(&self, id: Uuid) -> StoreResult<Option<User>> {
        if !self.redis.usable().await {
            return self.inner.find_user(id).await;
        }
        let entry = format!("u:{id}");
        let generations = [Generation::User(id)];
        if let Some(json) = self.redis.lookup(&entry, &generations).await
            && let Ok(user) = serde_json::from_str::<User>(&json)
        {
            return Ok(Some(user));
        }
        let epoch = self.redis.epoch().await;
        let found = self.inner.find_user(id).await?;
        if let (Some(epoch), Some(user)) = (epoch, &found)
            && let Ok(json) = serde_json::to_string(user)
        {
            self.redis
                .fill(
                    &entry,
                    &generations,
                    epoch,
                    json,
                    self.redis.config.session_ttl,
                )
                .await;
        }
        Ok(found)
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.inner.find_user_by_email(email).await
    }

    async fn update_user(
        &self,
        id: Uuid,
        update: &UserUpdate,
        now: OffsetDateTime,
    ) -> StoreResult<User> {
        let result = self.inner.update_user(id, update, now).await;
        // Even a failed write may have reached the database (a lost connection after COMMIT).
        self.redis.invalidate(Generation::User(id)).await;
        result
    }

    async fn delete_user(&self, id: Uuid) -> StoreResult<bool> {
        let result = self.inner.delete_user(id).await;
        self.redis.invalidate(Generation::User(id)).await;
        result
    }

    async fn list_users(&self, query: &UserQuery) -> StoreResult<Page<User>> {
        self.inner.list_users(query).await
    }
}
