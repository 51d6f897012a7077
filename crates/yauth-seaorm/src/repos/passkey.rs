//! WebAuthn credentials.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::WebauthnCredential;
use yauth_store::{PasskeyRepository, StoreError, StoreResult};

use super::oldest_first;
use crate::db::Db;
use crate::entities::webauthn_credentials::{self as wc, Column as C};

fn to_credential(m: wc::Model) -> WebauthnCredential {
    WebauthnCredential {
        id: m.id.0,
        user_id: m.user_id.0,
        credential_id: m.credential_id,
        name: m.name,
        aaguid: m.aaguid,
        device_name: m.device_name,
        credential: m.credential,
        created_at: m.created_at,
        last_used_at: m.last_used_at,
    }
}

#[async_trait]
impl PasskeyRepository for Db {
    async fn create_webauthn_credential(&self, c: &WebauthnCredential) -> StoreResult<()> {
        self.insert_row(
            &self.conn,
            wc::Entity,
            vec![
                (C::Id, c.id.into()),
                (C::UserId, c.user_id.into()),
                (C::CredentialId, c.credential_id.clone().into()),
                (C::Name, c.name.clone().into()),
                (C::Aaguid, c.aaguid.clone().into()),
                (C::DeviceName, c.device_name.clone().into()),
                (C::Credential, c.credential.clone().into()),
                (C::CreatedAt, c.created_at.into()),
                (C::LastUsedAt, c.last_used_at.into()),
            ],
        )
        .await
    }

    async fn find_webauthn_credential(
        &self,
        credential_id: &str,
    ) -> StoreResult<Option<WebauthnCredential>> {
        let mut q = self.select(wc::Entity);
        q.and_where(Expr::col(C::CredentialId).eq(credential_id));
        Ok(self
            .one::<wc::Model, _, _>(&self.conn, &q)
            .await?
            .map(to_credential))
    }

    async fn list_webauthn_credentials(
        &self,
        user_id: Uuid,
    ) -> StoreResult<Vec<WebauthnCredential>> {
        let mut q = self.select(wc::Entity);
        q.and_where(Expr::col(C::UserId).eq(user_id));
        oldest_first(&mut q, C::CreatedAt, C::Id);
        Ok(self
            .all::<wc::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_credential)
            .collect())
    }

    async fn update_webauthn_credential_use(
        &self,
        id: Uuid,
        credential: &serde_json::Value,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut q = self.update(wc::Entity);
        q.value(C::Credential, credential.clone())
            .value(C::LastUsedAt, now)
            .and_where(Expr::col(C::Id).eq(id));
        match self.exec(&self.conn, &q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    async fn rename_webauthn_credential(
        &self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> StoreResult<bool> {
        let mut q = self.update(wc::Entity);
        q.value(C::Name, name)
            .and_where(Expr::col(C::Id).eq(id))
            .and_where(Expr::col(C::UserId).eq(user_id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn delete_webauthn_credential(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        let mut q = self.delete(wc::Entity);
        q.and_where(Expr::col(C::Id).eq(id))
            .and_where(Expr::col(C::UserId).eq(user_id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }
}
