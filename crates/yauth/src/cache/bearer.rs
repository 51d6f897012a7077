//! The bearer repository with access-token revocation answers cached in Redis.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{JtiRevocation, RefreshToken, SigningKey};
use yauth_store::{BearerRepository, RefreshTokenSeed, RotateOutcome, StoreResult};

use super::{Generation, Redis};

/// Bearer storage as it is, except that whether an access token is revoked is cached per token
/// and invalidated by its revocation.
pub(crate) struct CachedRevocations {
    pub inner: Arc<dyn BearerRepository>,
    pub redis: Arc<Redis>,
}

#[async_trait]
impl BearerRepository for CachedRevocations {
    async fn create_refresh_token(&self, token: &RefreshToken) -> StoreResult<()> {
        self.inner.create_refresh_token(token).await
    }

    async fn find_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        self.inner.find_refresh_token(token_hash).await
    }

    async fn rotate_refresh_token(
        &self,
        old_token_hash: &str,
        new: &RefreshTokenSeed,
        now: OffsetDateTime,
    ) -> StoreResult<RotateOutcome> {
        self.inner
            .rotate_refresh_token(old_token_hash, new, now)
            .await
    }

    async fn revoke_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        self.inner.revoke_refresh_token(token_hash).await
    }

    async fn revoke_refresh_family(&self, family_id: Uuid) -> StoreResult<u64> {
        self.inner.revoke_refresh_family(family_id).await
    }

    async fn revoke_user_refresh_tokens(&self, user_id: Uuid) -> StoreResult<u64> {
        self.inner.revoke_user_refresh_tokens(user_id).await
    }

    async fn list_user_refresh_tokens(
        &self,
        user_id: Uuid,
        created_since: OffsetDateTime,
    ) -> StoreResult<Vec<RefreshToken>> {
        self.inner
            .list_user_refresh_tokens(user_id, created_since)
            .await
    }

    async fn revoke_jti(&self, revocation: &JtiRevocation) -> StoreResult<()> {
        let result = self.inner.revoke_jti(revocation).await;
        self.redis
            .invalidate(Generation::Jti(revocation.jti.clone()))
            .await;
        result
    }

    async fn is_jti_revoked(&self, jti: &str, now: OffsetDateTime) -> StoreResult<bool> {
        if !self.redis.usable().await {
            return self.inner.is_jti_revoked(jti, now).await;
        }
        let entry = format!("j:{jti}");
        let generations = [Generation::Jti(jti.to_owned())];
        match self.redis.lookup(&entry, &generations).await.as_deref() {
            Some("1") => return Ok(true),
            Some("0") => return Ok(false),
            _ => {}
        }
        let epoch = self.redis.epoch().await;
        let revoked = self.inner.is_jti_revoked(jti, now).await?;
        if let Some(epoch) = epoch {
            let value = if revoked { "1" } else { "0" };
            self.redis
                .fill(
                    &entry,
                    &generations,
                    epoch,
                    value.to_owned(),
                    self.redis.config.session_ttl,
                )
                .await;
        }
        Ok(revoked)
    }

    async fn create_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        self.inner.create_signing_key(key).await
    }

    async fn list_signing_keys(&self, now: OffsetDateTime) -> StoreResult<Vec<SigningKey>> {
        self.inner.list_signing_keys(now).await
    }

    async fn retire_signing_key(
        &self,
        kid: &str,
        retired_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<bool> {
        self.inner
            .retire_signing_key(kid, retired_at, expires_at)
            .await
    }
}
