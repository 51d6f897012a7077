//! Linked OAuth accounts and in-flight authorization states.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{OauthAccount, OauthState};
use yauth_store::{OauthRepository, StoreError, StoreResult};

use super::oldest_first;
use crate::db::Db;
use crate::entities::{oauth_accounts as oa, oauth_states as os};

fn to_account(m: oa::Model) -> OauthAccount {
    OauthAccount {
        id: m.id.0,
        user_id: m.user_id.0,
        provider: m.provider,
        provider_user_id: m.provider_user_id,
        access_token_enc: m.access_token_enc,
        refresh_token_enc: m.refresh_token_enc,
        expires_at: m.expires_at,
        updated_at: m.updated_at,
        created_at: m.created_at,
    }
}

#[async_trait]
impl OauthRepository for Db {
    async fn create_oauth_account(&self, a: &OauthAccount) -> StoreResult<()> {
        use oa::Column as C;
        self.insert_row(
            &self.conn,
            oa::Entity,
            vec![
                (C::Id, a.id.into()),
                (C::UserId, a.user_id.into()),
                (C::Provider, a.provider.clone().into()),
                (C::ProviderUserId, a.provider_user_id.clone().into()),
                (C::AccessTokenEnc, a.access_token_enc.clone().into()),
                (C::RefreshTokenEnc, a.refresh_token_enc.clone().into()),
                (C::ExpiresAt, a.expires_at.into()),
                (C::UpdatedAt, a.updated_at.into()),
                (C::CreatedAt, a.created_at.into()),
            ],
        )
        .await
    }

    async fn find_oauth_account(
        &self,
        provider: &str,
        provider_user_id: &str,
    ) -> StoreResult<Option<OauthAccount>> {
        let mut q = self.select(oa::Entity);
        q.and_where(Expr::col(oa::Column::Provider).eq(provider))
            .and_where(Expr::col(oa::Column::ProviderUserId).eq(provider_user_id));
        Ok(self
            .one::<oa::Model, _, _>(&self.conn, &q)
            .await?
            .map(to_account))
    }

    async fn list_oauth_accounts(&self, user_id: Uuid) -> StoreResult<Vec<OauthAccount>> {
        let mut q = self.select(oa::Entity);
        q.and_where(Expr::col(oa::Column::UserId).eq(user_id));
        oldest_first(&mut q, oa::Column::CreatedAt, oa::Column::Id);
        Ok(self
            .all::<oa::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_account)
            .collect())
    }

    async fn update_oauth_tokens(
        &self,
        id: Uuid,
        access_token_enc: Option<&str>,
        refresh_token_enc: Option<&str>,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        use oa::Column as C;
        let mut q = self.update(oa::Entity);
        q.value(C::AccessTokenEnc, access_token_enc.map(str::to_owned))
            .value(C::RefreshTokenEnc, refresh_token_enc.map(str::to_owned))
            .value(C::ExpiresAt, expires_at)
            .value(C::UpdatedAt, now)
            .and_where(Expr::col(C::Id).eq(id));
        match self.exec(&self.conn, &q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    async fn delete_oauth_account(&self, user_id: Uuid, provider: &str) -> StoreResult<bool> {
        let mut q = self.delete(oa::Entity);
        q.and_where(Expr::col(oa::Column::UserId).eq(user_id))
            .and_where(Expr::col(oa::Column::Provider).eq(provider));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn create_oauth_state(&self, s: &OauthState) -> StoreResult<()> {
        use os::Column as C;
        self.insert_row(
            &self.conn,
            os::Entity,
            vec![
                (C::State, s.state.clone().into()),
                (C::Provider, s.provider.clone().into()),
                (C::RedirectUrl, s.redirect_url.clone().into()),
                (C::CodeVerifier, s.code_verifier.clone().into()),
                (C::Nonce, s.nonce.clone().into()),
                (C::LinkUserId, s.link_user_id.into()),
                (C::ExpiresAt, s.expires_at.into()),
                (C::CreatedAt, s.created_at.into()),
            ],
        )
        .await
    }

    async fn consume_oauth_state(
        &self,
        state_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<OauthState>> {
        use os::Column as C;
        let cond = Cond::all()
            .add(Expr::col(C::State).eq(state_hash))
            .add(Expr::col(C::ExpiresAt).gt(now));
        Ok(self.take(os::Entity, cond).await?.map(|m| OauthState {
            state: m.state,
            provider: m.provider,
            redirect_url: m.redirect_url,
            code_verifier: m.code_verifier,
            nonce: m.nonce,
            link_user_id: m.link_user_id.map(|u| u.0),
            expires_at: m.expires_at,
            created_at: m.created_at,
        }))
    }
}
