//! The OAuth2 authorization server: clients, codes, consents, device codes.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{AuthorizationCode, Consent, DeviceCode, DeviceCodeStatus, Oauth2Client};
use yauth_store::{DevicePoll, Oauth2ServerRepository, StoreError, StoreResult};

use crate::dialect::Dialect;
use crate::rows::Id;
use crate::store::{Store, transaction};

impl<D: Dialect> Store<D> {
    /// One device-code poll inside an open transaction: the row is locked, so the
    /// approved-to-consumed step happens for one poller only.
    async fn poll_in_tx(
        &self,
        conn: &mut D::Conn,
        device_code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<DevicePoll> {
        let code: Option<DeviceCode> = self
            .q(&format!(
                "SELECT * FROM {{p}}device_codes WHERE device_code_hash = ?{}",
                self.for_update(false)
            ))
            .text(device_code_hash)
            .opt(conn)
            .await?;
        let Some(code) = code else {
            return Ok(DevicePoll::Invalid);
        };
        let (outcome, updated) = DevicePoll::decide(code, now);
        let Some(code) = updated else {
            return Ok(outcome);
        };
        self.q("UPDATE {p}device_codes SET last_polled_at = ?, status = ? WHERE id = ?")
            .ts(now)
            .text(code.status.as_str())
            .uuid(code.id)
            .exec(conn)
            .await?;
        Ok(outcome)
    }
}

#[async_trait]
impl<D: Dialect> Oauth2ServerRepository for Store<D> {
    async fn create_oauth2_client(&self, c: &Oauth2Client) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}oauth2_clients (id, client_id, client_secret_hash, redirect_uris, \
                 client_name, grant_types, scopes, is_public, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .uuid(c.id)
            .text(&c.client_id)
            .opt_text(c.client_secret_hash.as_deref())
            .json(&c.redirect_uris)
            .opt_text(c.client_name.as_deref())
            .json(&c.grant_types)
            .opt_json(c.scopes.as_ref())
            .bool(c.is_public)
            .ts(c.created_at),
        )
        .await
        .map(drop)
    }

    async fn find_oauth2_client(&self, client_id: &str) -> StoreResult<Option<Oauth2Client>> {
        self.opt(
            self.q("SELECT * FROM {p}oauth2_clients WHERE client_id = ?")
                .text(client_id),
        )
        .await
    }

    async fn delete_oauth2_client(&self, client_id: &str) -> StoreResult<bool> {
        self.changed(
            self.q("DELETE FROM {p}oauth2_clients WHERE client_id = ?")
                .text(client_id),
        )
        .await
    }

    async fn create_authorization_code(&self, c: &AuthorizationCode) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}authorization_codes (id, code_hash, client_id, user_id, scopes, \
                 redirect_uri, code_challenge, code_challenge_method, nonce, auth_time, amr, \
                 expires_at, used, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .uuid(c.id)
            .text(&c.code_hash)
            .text(&c.client_id)
            .uuid(c.user_id)
            .opt_json(c.scopes.as_ref())
            .text(&c.redirect_uri)
            .text(&c.code_challenge)
            .text(&c.code_challenge_method)
            .opt_text(c.nonce.as_deref())
            .ts(c.auth_time)
            .json(&c.amr)
            .ts(c.expires_at)
            .bool(c.used)
            .ts(c.created_at),
        )
        .await
        .map(drop)
    }

    async fn consume_authorization_code(
        &self,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<AuthorizationCode>> {
        let mut conn = self.conn().await?;
        let update = self
            .q("UPDATE {p}authorization_codes SET used = TRUE \
                 WHERE code_hash = ? AND used = FALSE AND expires_at > ?")
            .text(code_hash)
            .ts(now);
        let reread = self
            .q("SELECT * FROM {p}authorization_codes WHERE code_hash = ?")
            .text(code_hash);
        self.update_returning(&mut conn, update, reread).await
    }

    async fn find_authorization_code(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<AuthorizationCode>> {
        self.opt(
            self.q("SELECT * FROM {p}authorization_codes WHERE code_hash = ?")
                .text(code_hash),
        )
        .await
    }

    async fn upsert_consent(&self, c: &Consent) -> StoreResult<Consent> {
        let sql = format!(
            "INSERT INTO {{p}}consents (id, user_id, client_id, scopes, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?) {} scopes = {}, updated_at = {}",
            self.on_conflict("user_id, client_id"),
            self.excluded("scopes"),
            self.excluded("updated_at"),
        );
        let upsert = || {
            self.q(&sql)
                .uuid(c.id)
                .uuid(c.user_id)
                .text(&c.client_id)
                .json(&c.scopes)
                .ts(c.created_at)
                .ts(c.updated_at)
        };
        let reread = || {
            self.q("SELECT * FROM {p}consents WHERE user_id = ? AND client_id = ?")
                .uuid(c.user_id)
                .text(&c.client_id)
        };
        self.upsert_returning(upsert, reread)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn find_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<Option<Consent>> {
        self.opt(
            self.q("SELECT * FROM {p}consents WHERE user_id = ? AND client_id = ?")
                .uuid(user_id)
                .text(client_id),
        )
        .await
    }

    async fn list_user_consents(&self, user_id: Uuid) -> StoreResult<Vec<Consent>> {
        self.all(
            self.q("SELECT * FROM {p}consents WHERE user_id = ? ORDER BY updated_at DESC, id DESC")
                .uuid(user_id),
        )
        .await
    }

    async fn delete_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<bool> {
        self.changed(
            self.q("DELETE FROM {p}consents WHERE user_id = ? AND client_id = ?")
                .uuid(user_id)
                .text(client_id),
        )
        .await
    }

    async fn create_device_code(&self, c: &DeviceCode) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}device_codes (id, device_code_hash, user_code, client_id, scopes, \
                 user_id, status, \"interval\", expires_at, last_polled_at, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .uuid(c.id)
            .text(&c.device_code_hash)
            .text(&c.user_code)
            .text(&c.client_id)
            .opt_json(c.scopes.as_ref())
            .opt_uuid(c.user_id)
            .text(c.status.as_str())
            .i32(c.interval)
            .ts(c.expires_at)
            .opt_ts(c.last_polled_at)
            .ts(c.created_at),
        )
        .await
        .map(drop)
    }

    async fn find_pending_device_code(
        &self,
        user_code: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceCode>> {
        self.opt(
            self.q(
                "SELECT * FROM {p}device_codes WHERE user_code = ? AND status = 'pending' \
                 AND expires_at > ?",
            )
            .text(user_code)
            .ts(now),
        )
        .await
    }

    async fn decide_device_code(
        &self,
        user_code: &str,
        user_id: Uuid,
        approve: bool,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceCode>> {
        let status = if approve {
            DeviceCodeStatus::Approved
        } else {
            DeviceCodeStatus::Denied
        };
        let mut conn = self.conn().await?;
        let update = self
            .q("UPDATE {p}device_codes SET status = ?, user_id = ? \
                 WHERE user_code = ? AND status = 'pending' AND expires_at > ?")
            .text(status.as_str())
            .uuid(user_id)
            .text(user_code)
            .ts(now);
        let reread = self
            .q("SELECT * FROM {p}device_codes WHERE user_code = ?")
            .text(user_code);
        let decided: Option<DeviceCode> = self.update_returning(&mut conn, update, reread).await?;
        if decided.is_none() {
            // Like the reference backend: an unknown user is `NotFound` even with nothing to
            // decide (with a row to decide, the foreign key already says so).
            let user: Option<Id> = self
                .q("SELECT id FROM {p}users WHERE id = ?")
                .uuid(user_id)
                .opt(&mut conn)
                .await?;
            if user.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        Ok(decided)
    }

    async fn poll_device_code(
        &self,
        device_code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<DevicePoll> {
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        transaction!(
            self,
            conn,
            self.poll_in_tx(conn, device_code_hash, now).await
        )
    }
}
