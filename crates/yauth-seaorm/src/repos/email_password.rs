//! Passwords, password history, email verifications and password resets.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, OnConflict};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{
    EmailVerification, PasswordCredential, PasswordHistoryEntry, PasswordReset, User,
};
use yauth_store::{EmailPasswordRepository, StoreResult, check_password_owner};

use super::newest_first;
use crate::db::Db;
use crate::entities::{
    email_verifications as ev, password_history as ph, password_resets as pr, passwords,
};

fn to_reset(m: pr::Model) -> PasswordReset {
    PasswordReset {
        id: m.id.0,
        user_id: m.user_id.0,
        token_hash: m.token_hash,
        expires_at: m.expires_at,
        used_at: m.used_at,
        created_at: m.created_at,
    }
}

fn to_history(m: ph::Model) -> PasswordHistoryEntry {
    PasswordHistoryEntry {
        id: m.id.0,
        user_id: m.user_id.0,
        password_hash: m.password_hash,
        created_at: m.created_at,
    }
}

impl Db {
    /// Inserts or replaces a user's password on `conn`.
    async fn upsert_password<Conn: crate::db::Conn>(
        &self,
        conn: &Conn,
        c: &PasswordCredential,
    ) -> StoreResult<()> {
        use passwords::Column as C;
        let mut q = self.insert(
            passwords::Entity,
            vec![
                (C::UserId, c.user_id.into()),
                (C::PasswordHash, c.password_hash.clone().into()),
                (C::UpdatedAt, c.updated_at.into()),
            ],
        )?;
        q.on_conflict(
            OnConflict::column(C::UserId)
                .update_columns([C::PasswordHash, C::UpdatedAt])
                .to_owned(),
        );
        self.exec(conn, &q).await.map(|_| ())
    }
}

#[async_trait]
impl EmailPasswordRepository for Db {
    async fn find_password(&self, user_id: Uuid) -> StoreResult<Option<PasswordCredential>> {
        let mut q = self.select(passwords::Entity);
        q.and_where(Expr::col(passwords::Column::UserId).eq(user_id));
        Ok(self
            .one::<passwords::Model, _, _>(&self.conn, &q)
            .await?
            .map(|m| PasswordCredential {
                user_id: m.user_id.0,
                password_hash: m.password_hash,
                updated_at: m.updated_at,
            }))
    }

    async fn set_password(&self, c: &PasswordCredential) -> StoreResult<()> {
        self.upsert_password(&self.conn, c).await
    }

    async fn create_user_with_password(
        &self,
        user: &User,
        c: &PasswordCredential,
    ) -> StoreResult<()> {
        check_password_owner(user, c)?;
        crate::db::transaction!(self, |tx| {
            self.insert_user(tx, user).await?;
            self.upsert_password(tx, c).await
        })
    }

    async fn add_password_history(&self, e: &PasswordHistoryEntry, keep: u32) -> StoreResult<()> {
        use ph::Column as C;
        crate::db::transaction!(self, |tx| {
            self.insert_row(
                tx,
                ph::Entity,
                vec![
                    (C::Id, e.id.into()),
                    (C::UserId, e.user_id.into()),
                    (C::PasswordHash, e.password_hash.clone().into()),
                    (C::CreatedAt, e.created_at.into()),
                ],
            )
            .await?;
            let mut old = self.select(ph::Entity);
            old.and_where(Expr::col(C::UserId).eq(e.user_id));
            newest_first(&mut old, C::CreatedAt, C::Id);
            old.limit(u64::MAX >> 2).offset(u64::from(keep));
            let dropped: Vec<Uuid> = self
                .all::<ph::Model, _, _>(tx, &old)
                .await?
                .into_iter()
                .map(|m| m.id.0)
                .collect();
            if !dropped.is_empty() {
                let mut del = self.delete(ph::Entity);
                del.and_where(Expr::col(C::Id).is_in(dropped));
                self.exec(tx, &del).await?;
            }
            Ok(())
        })
    }

    async fn password_history(
        &self,
        user_id: Uuid,
        limit: u32,
    ) -> StoreResult<Vec<PasswordHistoryEntry>> {
        let mut q = self.select(ph::Entity);
        q.and_where(Expr::col(ph::Column::UserId).eq(user_id));
        newest_first(&mut q, ph::Column::CreatedAt, ph::Column::Id);
        q.limit(u64::from(limit));
        Ok(self
            .all::<ph::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_history)
            .collect())
    }

    async fn create_email_verification(&self, v: &EmailVerification) -> StoreResult<()> {
        use ev::Column as C;
        self.insert_row(
            &self.conn,
            ev::Entity,
            vec![
                (C::Id, v.id.into()),
                (C::UserId, v.user_id.into()),
                (C::TokenHash, v.token_hash.clone().into()),
                (C::ExpiresAt, v.expires_at.into()),
                (C::CreatedAt, v.created_at.into()),
            ],
        )
        .await
    }

    async fn consume_email_verification(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<EmailVerification>> {
        use ev::Column as C;
        let cond = Cond::all()
            .add(Expr::col(C::TokenHash).eq(token_hash))
            .add(Expr::col(C::ExpiresAt).gt(now));
        Ok(self
            .take(ev::Entity, cond)
            .await?
            .map(|m| EmailVerification {
                id: m.id.0,
                user_id: m.user_id.0,
                token_hash: m.token_hash,
                expires_at: m.expires_at,
                created_at: m.created_at,
            }))
    }

    async fn delete_email_verifications(&self, user_id: Uuid) -> StoreResult<u64> {
        let mut q = self.delete(ev::Entity);
        q.and_where(Expr::col(ev::Column::UserId).eq(user_id));
        self.exec(&self.conn, &q).await
    }

    async fn create_password_reset(&self, r: &PasswordReset) -> StoreResult<()> {
        use pr::Column as C;
        self.insert_row(
            &self.conn,
            pr::Entity,
            vec![
                (C::Id, r.id.into()),
                (C::UserId, r.user_id.into()),
                (C::TokenHash, r.token_hash.clone().into()),
                (C::ExpiresAt, r.expires_at.into()),
                (C::UsedAt, r.used_at.into()),
                (C::CreatedAt, r.created_at.into()),
            ],
        )
        .await
    }

    async fn find_password_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PasswordReset>> {
        use pr::Column as C;
        let mut q = self.select(pr::Entity);
        q.and_where(Expr::col(C::TokenHash).eq(token_hash))
            .and_where(Expr::col(C::UsedAt).is_null())
            .and_where(Expr::col(C::ExpiresAt).gt(now));
        Ok(self
            .one::<pr::Model, _, _>(&self.conn, &q)
            .await?
            .map(to_reset))
    }

    async fn consume_password_reset(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<PasswordReset>> {
        use pr::Column as C;
        let mut q = self.update(pr::Entity);
        q.value(C::UsedAt, now)
            .and_where(Expr::col(C::TokenHash).eq(token_hash))
            .and_where(Expr::col(C::UsedAt).is_null())
            .and_where(Expr::col(C::ExpiresAt).gt(now));
        let key = Cond::all().add(Expr::col(C::TokenHash).eq(token_hash));
        Ok(self
            .update_returning(pr::Entity, q, key)
            .await?
            .map(to_reset))
    }

    async fn delete_password_resets(&self, user_id: Uuid) -> StoreResult<u64> {
        let mut q = self.delete(pr::Entity);
        q.and_where(Expr::col(pr::Column::UserId).eq(user_id));
        self.exec(&self.conn, &q).await
    }
}
