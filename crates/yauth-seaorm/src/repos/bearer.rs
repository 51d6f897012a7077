//! Refresh tokens (rotation with reuse detection), JWT-id revocations and signing keys.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, LockType, OnConflict, Order};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{JtiRevocation, RefreshToken, SigningKey};
use yauth_store::{BearerRepository, RefreshTokenSeed, RotateOutcome, StoreResult};

use crate::db::Db;
use crate::entities::refresh_tokens::{self as rt, Column as C};
use crate::entities::{revocations, signing_keys as sk};

fn to_token(m: rt::Model) -> RefreshToken {
    RefreshToken {
        id: m.id.0,
        user_id: m.user_id.0,
        token_hash: m.token_hash,
        family_id: m.family_id.0,
        client_id: m.client_id,
        scopes: m.scopes,
        expires_at: m.expires_at,
        revoked: m.revoked,
        created_at: m.created_at,
    }
}

fn token_row(t: &RefreshToken) -> Vec<(C, sea_orm::Value)> {
    vec![
        (C::Id, t.id.into()),
        (C::UserId, t.user_id.into()),
        (C::TokenHash, t.token_hash.clone().into()),
        (C::FamilyId, t.family_id.into()),
        (C::ClientId, t.client_id.clone().into()),
        (C::Scopes, t.scopes.clone().into()),
        (C::ExpiresAt, t.expires_at.into()),
        (C::Revoked, t.revoked.into()),
        (C::CreatedAt, t.created_at.into()),
    ]
}

impl Db {
    /// Revokes the unrevoked tokens where `col = value`; returns how many changed.
    async fn revoke_where(&self, col: C, value: Uuid) -> StoreResult<u64> {
        let mut q = self.update(rt::Entity);
        q.value(C::Revoked, true)
            .and_where(Expr::col(col).eq(value))
            .and_where(Expr::col(C::Revoked).eq(false));
        self.exec(&self.conn, &q).await
    }
}

#[async_trait]
impl BearerRepository for Db {
    async fn create_refresh_token(&self, t: &RefreshToken) -> StoreResult<()> {
        self.insert_row(&self.conn, rt::Entity, token_row(t)).await
    }

    async fn find_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        let mut q = self.select(rt::Entity);
        q.and_where(Expr::col(C::TokenHash).eq(token_hash));
        Ok(self
            .one::<rt::Model, _, _>(&self.conn, &q)
            .await?
            .map(to_token))
    }

    async fn rotate_refresh_token(
        &self,
        old_token_hash: &str,
        new: &RefreshTokenSeed,
        now: OffsetDateTime,
    ) -> StoreResult<RotateOutcome> {
        // One transaction holding the old token's row lock (SELECT ... FOR UPDATE; SQLite's
        // BEGIN IMMEDIATE serialises writers): a concurrent rotation waits, then sees it revoked.
        crate::db::transaction!(self, |tx| {
            let mut sel = self.select(rt::Entity);
            sel.and_where(Expr::col(C::TokenHash).eq(old_token_hash))
                .lock(LockType::Update);
            let Some(old) = self.one::<rt::Model, _, _>(tx, &sel).await?.map(to_token) else {
                return Ok(RotateOutcome::Invalid);
            };
            if old.revoked {
                let mut q = self.update(rt::Entity);
                q.value(C::Revoked, true)
                    .and_where(Expr::col(C::FamilyId).eq(old.family_id));
                self.exec(tx, &q).await?;
                return Ok(RotateOutcome::Reused {
                    family_id: old.family_id,
                    user_id: old.user_id,
                });
            }
            if old.expires_at <= now {
                return Ok(RotateOutcome::Invalid);
            }
            let mut q = self.update(rt::Entity);
            q.value(C::Revoked, true)
                .and_where(Expr::col(C::Id).eq(old.id));
            self.exec(tx, &q).await?;
            let issued = new.issue_after(&old);
            self.insert_row(tx, rt::Entity, token_row(&issued)).await?;
            Ok(RotateOutcome::Rotated {
                previous: old,
                issued,
            })
        })
    }

    async fn revoke_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        let mut q = self.update(rt::Entity);
        q.value(C::Revoked, true)
            .and_where(Expr::col(C::TokenHash).eq(token_hash))
            .and_where(Expr::col(C::Revoked).eq(false));
        let key = sea_orm::sea_query::Cond::all().add(Expr::col(C::TokenHash).eq(token_hash));
        Ok(self
            .update_returning(rt::Entity, q, key)
            .await?
            .map(|m| RefreshToken {
                // The row as it was before: unrevoked.
                revoked: false,
                ..to_token(m)
            }))
    }

    async fn revoke_refresh_family(&self, family_id: Uuid) -> StoreResult<u64> {
        self.revoke_where(C::FamilyId, family_id).await
    }

    async fn revoke_user_refresh_tokens(&self, user_id: Uuid) -> StoreResult<u64> {
        self.revoke_where(C::UserId, user_id).await
    }

    async fn list_user_refresh_tokens(
        &self,
        user_id: Uuid,
        created_since: OffsetDateTime,
    ) -> StoreResult<Vec<RefreshToken>> {
        let mut q = self.select(rt::Entity);
        q.and_where(Expr::col(C::UserId).eq(user_id))
            .and_where(Expr::col(C::CreatedAt).gte(created_since))
            .order_by(C::CreatedAt, Order::Desc)
            .order_by(C::Id, Order::Desc);
        Ok(self
            .all::<rt::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_token)
            .collect())
    }

    async fn revoke_jti(&self, r: &JtiRevocation) -> StoreResult<()> {
        use revocations::Column as R;
        let mut q = self.insert(
            revocations::Entity,
            vec![
                (R::Jti, r.jti.clone().into()),
                (R::ExpiresAt, r.expires_at.into()),
                (R::CreatedAt, r.created_at.into()),
            ],
        )?;
        q.on_conflict(
            OnConflict::column(R::Jti)
                .update_columns([R::ExpiresAt, R::CreatedAt])
                .to_owned(),
        );
        self.exec(&self.conn, &q).await.map(|_| ())
    }

    async fn is_jti_revoked(&self, jti: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let mut q = self.select(revocations::Entity);
        q.and_where(Expr::col(revocations::Column::Jti).eq(jti))
            .and_where(Expr::col(revocations::Column::ExpiresAt).gt(now));
        Ok(!self.rows(&self.conn, &q).await?.is_empty())
    }

    async fn create_signing_key(&self, k: &SigningKey) -> StoreResult<()> {
        use sk::Column as C;
        self.insert_row(
            &self.conn,
            sk::Entity,
            vec![
                (C::Kid, k.kid.clone().into()),
                (C::Algorithm, k.algorithm.clone().into()),
                (C::PrivateKeyEnc, k.private_key_enc.clone().into()),
                (C::PublicJwk, k.public_jwk.clone().into()),
                (C::CreatedAt, k.created_at.into()),
                (C::RetiredAt, k.retired_at.into()),
                (C::ExpiresAt, k.expires_at.into()),
            ],
        )
        .await
    }

    async fn list_signing_keys(&self, now: OffsetDateTime) -> StoreResult<Vec<SigningKey>> {
        use sk::Column as C;
        let mut q = self.select(sk::Entity);
        q.cond_where(
            Cond::any()
                .add(Expr::col(C::ExpiresAt).is_null())
                .add(Expr::col(C::ExpiresAt).gt(now)),
        )
        .order_by(C::CreatedAt, Order::Desc)
        .order_by(C::Kid, Order::Desc);
        Ok(self
            .all::<sk::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(|m| SigningKey {
                kid: m.kid,
                algorithm: m.algorithm,
                private_key_enc: m.private_key_enc,
                public_jwk: m.public_jwk,
                created_at: m.created_at,
                retired_at: m.retired_at,
                expires_at: m.expires_at,
            })
            .collect())
    }

    async fn retire_signing_key(
        &self,
        kid: &str,
        retired_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut q = self.update(sk::Entity);
        q.value(sk::Column::RetiredAt, retired_at)
            .value(sk::Column::ExpiresAt, expires_at)
            .and_where(Expr::col(sk::Column::Kid).eq(kid));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }
}
