//! Linked OAuth accounts and authorization states.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{OauthAccount, OauthState};
use yauth_store::{OauthRepository, StoreResult};

use crate::dialect::Dialect;
use crate::store::Store;

#[async_trait]
impl<D: Dialect> OauthRepository for Store<D> {
    async fn create_oauth_account(&self, a: &OauthAccount) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}oauth_accounts (id, user_id, provider, provider_user_id, \
                 access_token_enc, refresh_token_enc, expires_at, updated_at, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .uuid(a.id)
            .uuid(a.user_id)
            .text(&a.provider)
            .text(&a.provider_user_id)
            .opt_text(a.access_token_enc.as_deref())
            .opt_text(a.refresh_token_enc.as_deref())
            .opt_ts(a.expires_at)
            .ts(a.updated_at)
            .ts(a.created_at),
        )
        .await
        .map(drop)
    }

    async fn find_oauth_account(
        &self,
        provider: &str,
        provider_user_id: &str,
    ) -> StoreResult<Option<OauthAccount>> {
        self.opt(
            self.q("SELECT * FROM {p}oauth_accounts WHERE provider = ? AND provider_user_id = ?")
                .text(provider)
                .text(provider_user_id),
        )
        .await
    }

    async fn list_oauth_accounts(&self, user_id: Uuid) -> StoreResult<Vec<OauthAccount>> {
        self.all(
            self.q("SELECT * FROM {p}oauth_accounts WHERE user_id = ? ORDER BY created_at, id")
                .uuid(user_id),
        )
        .await
    }

    async fn update_oauth_tokens(
        &self,
        id: Uuid,
        access_token_enc: Option<&str>,
        refresh_token_enc: Option<&str>,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.exec_found(
            self.q(
                "UPDATE {p}oauth_accounts SET access_token_enc = ?, refresh_token_enc = ?, \
                     expires_at = ?, updated_at = ? WHERE id = ?",
            )
            .opt_text(access_token_enc)
            .opt_text(refresh_token_enc)
            .opt_ts(expires_at)
            .ts(now)
            .uuid(id),
        )
        .await
    }

    async fn delete_oauth_account(&self, user_id: Uuid, provider: &str) -> StoreResult<bool> {
        self.changed(
            self.q("DELETE FROM {p}oauth_accounts WHERE user_id = ? AND provider = ?")
                .uuid(user_id)
                .text(provider),
        )
        .await
    }

    async fn create_oauth_state(&self, s: &OauthState) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}oauth_states (state, provider, redirect_url, code_verifier, \
                 nonce, link_user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .text(&s.state)
            .text(&s.provider)
            .opt_text(s.redirect_url.as_deref())
            .text(&s.code_verifier)
            .opt_text(s.nonce.as_deref())
            .opt_uuid(s.link_user_id)
            .ts(s.expires_at)
            .ts(s.created_at),
        )
        .await
        .map(drop)
    }

    async fn consume_oauth_state(
        &self,
        state_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<OauthState>> {
        let cond = "state = ? AND expires_at > ?";
        let select = self
            .q(&format!("SELECT * FROM {{p}}oauth_states WHERE {cond}"))
            .text(state_hash)
            .ts(now);
        let delete = self
            .q(&format!("DELETE FROM {{p}}oauth_states WHERE {cond}"))
            .text(state_hash)
            .ts(now);
        self.delete_returning(select, delete).await
    }
}
