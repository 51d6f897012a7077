//! OAuth2 server: clients, authorization codes, consents and device codes.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, LockType, OnConflict};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{AuthorizationCode, Consent, DeviceCode, DeviceCodeStatus, Oauth2Client};
use yauth_store::{DevicePoll, Oauth2ServerRepository, StoreError, StoreResult};

use super::newest_first;
use crate::db::Db;
use crate::entities::{
    authorization_codes as ac, consents as cs, device_codes as dc, oauth2_clients as oc, users,
};

fn to_code(m: ac::Model) -> AuthorizationCode {
    AuthorizationCode {
        id: m.id.0,
        code_hash: m.code_hash,
        client_id: m.client_id,
        user_id: m.user_id.0,
        scopes: m.scopes,
        redirect_uri: m.redirect_uri,
        code_challenge: m.code_challenge,
        code_challenge_method: m.code_challenge_method,
        nonce: m.nonce,
        auth_time: m.auth_time,
        amr: m.amr,
        expires_at: m.expires_at,
        used: m.used,
        created_at: m.created_at,
    }
}

fn to_consent(m: cs::Model) -> Consent {
    Consent {
        id: m.id.0,
        user_id: m.user_id.0,
        client_id: m.client_id,
        scopes: m.scopes,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn to_device(m: dc::Model) -> StoreResult<DeviceCode> {
    Ok(DeviceCode {
        id: m.id.0,
        device_code_hash: m.device_code_hash,
        user_code: m.user_code,
        client_id: m.client_id,
        scopes: m.scopes,
        user_id: m.user_id.map(|u| u.0),
        status: DeviceCodeStatus::parse(&m.status)
            .ok_or_else(|| StoreError::Internal(format!("unknown device status {}", m.status)))?,
        interval: m.interval,
        expires_at: m.expires_at,
        last_polled_at: m.last_polled_at,
        created_at: m.created_at,
    })
}

#[async_trait]
impl Oauth2ServerRepository for Db {
    async fn create_oauth2_client(&self, c: &Oauth2Client) -> StoreResult<()> {
        use oc::Column as C;
        self.insert_row(
            &self.conn,
            oc::Entity,
            vec![
                (C::Id, c.id.into()),
                (C::ClientId, c.client_id.clone().into()),
                (C::ClientSecretHash, c.client_secret_hash.clone().into()),
                (C::RedirectUris, c.redirect_uris.clone().into()),
                (C::ClientName, c.client_name.clone().into()),
                (C::GrantTypes, c.grant_types.clone().into()),
                (C::Scopes, c.scopes.clone().into()),
                (C::IsPublic, c.is_public.into()),
                (C::CreatedAt, c.created_at.into()),
            ],
        )
        .await
    }

    async fn find_oauth2_client(&self, client_id: &str) -> StoreResult<Option<Oauth2Client>> {
        let mut q = self.select(oc::Entity);
        q.and_where(Expr::col(oc::Column::ClientId).eq(client_id));
        Ok(self
            .one::<oc::Model, _, _>(&self.conn, &q)
            .await?
            .map(|m| Oauth2Client {
                id: m.id.0,
                client_id: m.client_id,
                client_secret_hash: m.client_secret_hash,
                redirect_uris: m.redirect_uris,
                client_name: m.client_name,
                grant_types: m.grant_types,
                scopes: m.scopes,
                is_public: m.is_public,
                created_at: m.created_at,
            }))
    }

    async fn delete_oauth2_client(&self, client_id: &str) -> StoreResult<bool> {
        let mut q = self.delete(oc::Entity);
        q.and_where(Expr::col(oc::Column::ClientId).eq(client_id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn create_authorization_code(&self, c: &AuthorizationCode) -> StoreResult<()> {
        use ac::Column as C;
        self.insert_row(
            &self.conn,
            ac::Entity,
            vec![
                (C::Id, c.id.into()),
                (C::CodeHash, c.code_hash.clone().into()),
                (C::ClientId, c.client_id.clone().into()),
                (C::UserId, c.user_id.into()),
                (C::Scopes, c.scopes.clone().into()),
                (C::RedirectUri, c.redirect_uri.clone().into()),
                (C::CodeChallenge, c.code_challenge.clone().into()),
                (
                    C::CodeChallengeMethod,
                    c.code_challenge_method.clone().into(),
                ),
                (C::Nonce, c.nonce.clone().into()),
                (C::AuthTime, c.auth_time.into()),
                (C::Amr, c.amr.clone().into()),
                (C::ExpiresAt, c.expires_at.into()),
                (C::Used, c.used.into()),
                (C::CreatedAt, c.created_at.into()),
            ],
        )
        .await
    }

    async fn consume_authorization_code(
        &self,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<AuthorizationCode>> {
        use ac::Column as C;
        let mut q = self.update(ac::Entity);
        q.value(C::Used, true)
            .and_where(Expr::col(C::CodeHash).eq(code_hash))
            .and_where(Expr::col(C::Used).eq(false))
            .and_where(Expr::col(C::ExpiresAt).gt(now));
        let key = Cond::all().add(Expr::col(C::CodeHash).eq(code_hash));
        Ok(self
            .update_returning(ac::Entity, q, key)
            .await?
            .map(to_code))
    }

    async fn find_authorization_code(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<AuthorizationCode>> {
        let mut q = self.select(ac::Entity);
        q.and_where(Expr::col(ac::Column::CodeHash).eq(code_hash));
        Ok(self
            .one::<ac::Model, _, _>(&self.conn, &q)
            .await?
            .map(to_code))
    }

    async fn upsert_consent(&self, c: &Consent) -> StoreResult<Consent> {
        use cs::Column as C;
        let mut q = self.insert(
            cs::Entity,
            vec![
                (C::Id, c.id.into()),
                (C::UserId, c.user_id.into()),
                (C::ClientId, c.client_id.clone().into()),
                (C::Scopes, c.scopes.clone().into()),
                (C::CreatedAt, c.created_at.into()),
                (C::UpdatedAt, c.updated_at.into()),
            ],
        )?;
        q.on_conflict(
            OnConflict::columns([C::UserId, C::ClientId])
                .update_columns([C::Scopes, C::UpdatedAt])
                .to_owned(),
        );
        let key = Cond::all()
            .add(Expr::col(C::UserId).eq(c.user_id))
            .add(Expr::col(C::ClientId).eq(c.client_id.clone()));
        Ok(to_consent(self.upsert_returning(cs::Entity, q, key).await?))
    }

    async fn find_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<Option<Consent>> {
        let mut q = self.select(cs::Entity);
        q.and_where(Expr::col(cs::Column::UserId).eq(user_id))
            .and_where(Expr::col(cs::Column::ClientId).eq(client_id));
        Ok(self
            .one::<cs::Model, _, _>(&self.conn, &q)
            .await?
            .map(to_consent))
    }

    async fn list_user_consents(&self, user_id: Uuid) -> StoreResult<Vec<Consent>> {
        use cs::Column as C;
        let mut q = self.select(cs::Entity);
        q.and_where(Expr::col(C::UserId).eq(user_id));
        newest_first(&mut q, C::UpdatedAt, C::Id);
        Ok(self
            .all::<cs::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_consent)
            .collect())
    }

    async fn delete_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<bool> {
        let mut q = self.delete(cs::Entity);
        q.and_where(Expr::col(cs::Column::UserId).eq(user_id))
            .and_where(Expr::col(cs::Column::ClientId).eq(client_id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn create_device_code(&self, d: &DeviceCode) -> StoreResult<()> {
        use dc::Column as C;
        self.insert_row(
            &self.conn,
            dc::Entity,
            vec![
                (C::Id, d.id.into()),
                (C::DeviceCodeHash, d.device_code_hash.clone().into()),
                (C::UserCode, d.user_code.clone().into()),
                (C::ClientId, d.client_id.clone().into()),
                (C::Scopes, d.scopes.clone().into()),
                (C::UserId, d.user_id.into()),
                (C::Status, d.status.as_str().into()),
                (C::Interval, d.interval.into()),
                (C::ExpiresAt, d.expires_at.into()),
                (C::LastPolledAt, d.last_polled_at.into()),
                (C::CreatedAt, d.created_at.into()),
            ],
        )
        .await
    }

    async fn find_pending_device_code(
        &self,
        user_code: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceCode>> {
        use dc::Column as C;
        let mut q = self.select(dc::Entity);
        q.and_where(Expr::col(C::UserCode).eq(user_code))
            .and_where(Expr::col(C::Status).eq(DeviceCodeStatus::Pending.as_str()))
            .and_where(Expr::col(C::ExpiresAt).gt(now));
        self.one::<dc::Model, _, _>(&self.conn, &q)
            .await?
            .map(to_device)
            .transpose()
    }

    async fn decide_device_code(
        &self,
        user_code: &str,
        user_id: Uuid,
        approve: bool,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceCode>> {
        use dc::Column as C;
        if !super::exists(
            self,
            &self.conn,
            users::Entity,
            users::Column::Id,
            user_id.into(),
        )
        .await?
        {
            return Err(StoreError::NotFound);
        }
        let status = if approve {
            DeviceCodeStatus::Approved
        } else {
            DeviceCodeStatus::Denied
        };
        let mut q = self.update(dc::Entity);
        q.value(C::Status, status.as_str())
            .value(C::UserId, user_id)
            .and_where(Expr::col(C::UserCode).eq(user_code))
            .and_where(Expr::col(C::Status).eq(DeviceCodeStatus::Pending.as_str()))
            .and_where(Expr::col(C::ExpiresAt).gt(now));
        let key = Cond::all().add(Expr::col(C::UserCode).eq(user_code));
        self.update_returning(dc::Entity, q, key)
            .await?
            .map(to_device)
            .transpose()
    }

    async fn poll_device_code(
        &self,
        device_code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<DevicePoll> {
        use dc::Column as C;
        // One transaction holding the row's lock: of concurrent pollers of an approved code,
        // exactly one moves it to consumed.
        crate::db::transaction!(self, |tx| {
            let mut sel = self.select(dc::Entity);
            sel.and_where(Expr::col(C::DeviceCodeHash).eq(device_code_hash))
                .lock(LockType::Update);
            let Some(row) = self.one::<dc::Model, _, _>(tx, &sel).await? else {
                return Ok(DevicePoll::Invalid);
            };
            let (outcome, updated) = DevicePoll::decide(to_device(row)?, now);
            let Some(code) = updated else {
                return Ok(outcome);
            };
            let mut q = self.update(dc::Entity);
            q.value(C::LastPolledAt, now)
                .value(C::Status, code.status.as_str())
                .and_where(Expr::col(C::Id).eq(code.id));
            self.exec(tx, &q).await?;
            Ok(outcome)
        })
    }
}
