//! Refresh tokens (rotation with reuse detection), JWT-id revocations and signing keys.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{JtiRevocation, RefreshToken, SigningKey};
use yauth_store::{BearerRepository, RefreshTokenSeed, RotateOutcome, StoreResult};

use crate::dialect::Dialect;
use crate::rows::Count;
use crate::store::{Store, transaction};

impl<D: Dialect> Store<D> {
    async fn insert_refresh_token(&self, conn: &mut D::Conn, t: &RefreshToken) -> StoreResult<()> {
        self.q(
            "INSERT INTO {p}refresh_tokens (id, user_id, token_hash, family_id, client_id, \
             scopes, expires_at, revoked, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .uuid(t.id)
        .uuid(t.user_id)
        .text(&t.token_hash)
        .uuid(t.family_id)
        .opt_text(t.client_id.as_deref())
        .opt_json(t.scopes.as_ref())
        .ts(t.expires_at)
        .bool(t.revoked)
        .ts(t.created_at)
        .exec(conn)
        .await
        .map(drop)
    }

    /// One attempt at a rotation, inside an open transaction.
    async fn rotate_in_tx(
        &self,
        conn: &mut D::Conn,
        old_token_hash: &str,
        new: &RefreshTokenSeed,
        now: OffsetDateTime,
    ) -> StoreResult<RotateOutcome> {
        // The guarded revoke decides the winner: only one caller flips `revoked`.
        let update = self
            .q("UPDATE {p}refresh_tokens SET revoked = TRUE \
                 WHERE token_hash = ? AND revoked = FALSE AND expires_at > ?")
            .text(old_token_hash)
            .ts(now);
        let reread = self
            .q("SELECT * FROM {p}refresh_tokens WHERE token_hash = ?")
            .text(old_token_hash);
        let won: Option<RefreshToken> = self.update_returning(conn, update, reread).await?;
        if let Some(mut previous) = won {
            previous.revoked = false;
            let issued = new.issue_after(&previous);
            self.insert_refresh_token(conn, &issued).await?;
            return Ok(RotateOutcome::Rotated { previous, issued });
        }
        let current: Option<RefreshToken> = self
            .q(&format!(
                "SELECT * FROM {{p}}refresh_tokens WHERE token_hash = ?{}",
                self.for_update(false)
            ))
            .text(old_token_hash)
            .opt(conn)
            .await?;
        match current {
            Some(t) if t.revoked => {
                self.q("UPDATE {p}refresh_tokens SET revoked = TRUE WHERE family_id = ?")
                    .uuid(t.family_id)
                    .exec(conn)
                    .await?;
                Ok(RotateOutcome::Reused {
                    family_id: t.family_id,
                    user_id: t.user_id,
                })
            }
            _ => Ok(RotateOutcome::Invalid),
        }
    }
}

#[async_trait]
impl<D: Dialect> BearerRepository for Store<D> {
    async fn create_refresh_token(&self, token: &RefreshToken) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        self.insert_refresh_token(&mut conn, token).await
    }

    async fn find_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        self.opt(
            self.q("SELECT * FROM {p}refresh_tokens WHERE token_hash = ?")
                .text(token_hash),
        )
        .await
    }

    async fn rotate_refresh_token(
        &self,
        old_token_hash: &str,
        new: &RefreshTokenSeed,
        now: OffsetDateTime,
    ) -> StoreResult<RotateOutcome> {
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        transaction!(
            self,
            conn,
            self.rotate_in_tx(conn, old_token_hash, new, now).await
        )
    }

    async fn revoke_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        let mut conn = self.conn().await?;
        let update = self
            .q("UPDATE {p}refresh_tokens SET revoked = TRUE WHERE token_hash = ? AND revoked = FALSE")
            .text(token_hash);
        let reread = self
            .q("SELECT * FROM {p}refresh_tokens WHERE token_hash = ?")
            .text(token_hash);
        let row: Option<RefreshToken> = self.update_returning(&mut conn, update, reread).await?;
        Ok(row.map(|mut t| {
            t.revoked = false;
            t
        }))
    }

    async fn revoke_refresh_family(&self, family_id: Uuid) -> StoreResult<u64> {
        self.exec(
            self.q("UPDATE {p}refresh_tokens SET revoked = TRUE WHERE family_id = ? AND revoked = FALSE")
                .uuid(family_id),
        )
        .await
    }

    async fn revoke_user_refresh_tokens(&self, user_id: Uuid) -> StoreResult<u64> {
        self.exec(
            self.q(
                "UPDATE {p}refresh_tokens SET revoked = TRUE WHERE user_id = ? AND revoked = FALSE",
            )
            .uuid(user_id),
        )
        .await
    }

    async fn list_user_refresh_tokens(
        &self,
        user_id: Uuid,
        created_since: OffsetDateTime,
    ) -> StoreResult<Vec<RefreshToken>> {
        self.all(
            self.q(
                "SELECT * FROM {p}refresh_tokens WHERE user_id = ? AND created_at >= ? \
                 ORDER BY created_at DESC, id DESC",
            )
            .uuid(user_id)
            .ts(created_since),
        )
        .await
    }

    async fn revoke_jti(&self, r: &JtiRevocation) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO {{p}}revocations (jti, expires_at, created_at) VALUES (?, ?, ?) \
             {} expires_at = {}, created_at = {}",
            self.on_conflict("jti"),
            self.excluded("expires_at"),
            self.excluded("created_at"),
        );
        self.exec(self.q(&sql).text(&r.jti).ts(r.expires_at).ts(r.created_at))
            .await
            .map(drop)
    }

    async fn is_jti_revoked(&self, jti: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let n: Option<Count> = self
            .opt(
                self.q("SELECT COUNT(*) AS n FROM {p}revocations WHERE jti = ? AND expires_at > ?")
                    .text(jti)
                    .ts(now),
            )
            .await?;
        Ok(n.is_some_and(|c| c.0 > 0))
    }

    async fn create_signing_key(&self, k: &SigningKey) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}signing_keys (kid, algorithm, private_key_enc, public_jwk, \
                 created_at, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .text(&k.kid)
            .text(&k.algorithm)
            .text(&k.private_key_enc)
            .json(&k.public_jwk)
            .ts(k.created_at)
            .opt_ts(k.retired_at)
            .opt_ts(k.expires_at),
        )
        .await
        .map(drop)
    }

    async fn list_signing_keys(&self, now: OffsetDateTime) -> StoreResult<Vec<SigningKey>> {
        self.all(
            self.q(
                "SELECT * FROM {p}signing_keys WHERE expires_at IS NULL OR expires_at > ? \
                 ORDER BY created_at DESC, kid DESC",
            )
            .ts(now),
        )
        .await
    }

    async fn retire_signing_key(
        &self,
        kid: &str,
        retired_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<bool> {
        self.changed(
            self.q("UPDATE {p}signing_keys SET retired_at = ?, expires_at = ? WHERE kid = ?")
                .ts(retired_at)
                .ts(expires_at)
                .text(kid),
        )
        .await
    }
}
