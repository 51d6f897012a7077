//! TOTP secrets and backup codes.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, OnConflict};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{BackupCode, TotpSecret};
use yauth_store::{MfaRepository, StoreError, StoreResult};

use crate::db::Db;
use crate::entities::{backup_codes as bc, totp_secrets as ts, users};

#[async_trait]
impl MfaRepository for Db {
    async fn upsert_totp_secret(&self, s: &TotpSecret) -> StoreResult<()> {
        use ts::Column as C;
        let mut q = self.insert(
            ts::Entity,
            vec![
                (C::Id, s.id.into()),
                (C::UserId, s.user_id.into()),
                (C::EncryptedSecret, s.encrypted_secret.clone().into()),
                (C::Verified, s.verified.into()),
                (C::LastUsedStep, s.last_used_step.into()),
                (C::CreatedAt, s.created_at.into()),
            ],
        )?;
        q.on_conflict(
            OnConflict::column(C::UserId)
                .update_columns([
                    C::Id,
                    C::EncryptedSecret,
                    C::Verified,
                    C::LastUsedStep,
                    C::CreatedAt,
                ])
                .to_owned(),
        );
        self.exec(&self.conn, &q).await.map(|_| ())
    }

    async fn find_totp_secret(&self, user_id: Uuid) -> StoreResult<Option<TotpSecret>> {
        let mut q = self.select(ts::Entity);
        q.and_where(Expr::col(ts::Column::UserId).eq(user_id));
        Ok(self
            .one::<ts::Model, _, _>(&self.conn, &q)
            .await?
            .map(|m| TotpSecret {
                id: m.id.0,
                user_id: m.user_id.0,
                encrypted_secret: m.encrypted_secret,
                verified: m.verified,
                last_used_step: m.last_used_step,
                created_at: m.created_at,
            }))
    }

    async fn confirm_totp_secret(&self, user_id: Uuid) -> StoreResult<bool> {
        let mut q = self.update(ts::Entity);
        q.value(ts::Column::Verified, true)
            .and_where(Expr::col(ts::Column::UserId).eq(user_id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn delete_totp_secret(&self, user_id: Uuid) -> StoreResult<bool> {
        let mut q = self.delete(ts::Entity);
        q.and_where(Expr::col(ts::Column::UserId).eq(user_id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn accept_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool> {
        use ts::Column as C;
        let mut q = self.update(ts::Entity);
        q.value(C::LastUsedStep, step)
            .and_where(Expr::col(C::UserId).eq(user_id))
            .cond_where(
                Cond::any()
                    .add(Expr::col(C::LastUsedStep).is_null())
                    .add(Expr::col(C::LastUsedStep).lt(step)),
            );
        Ok(self.exec(&self.conn, &q).await? == 1)
    }

    async fn replace_backup_codes(&self, user_id: Uuid, codes: &[BackupCode]) -> StoreResult<()> {
        use bc::Column as C;
        if codes.iter().any(|c| c.user_id != user_id) {
            return Err(StoreError::Internal(
                "backup codes must belong to the user they replace".into(),
            ));
        }
        crate::db::transaction!(self, |tx| {
            if !super::exists(self, tx, users::Entity, users::Column::Id, user_id.into()).await? {
                return Err(StoreError::NotFound);
            }
            let mut del = self.delete(bc::Entity);
            del.and_where(Expr::col(C::UserId).eq(user_id));
            self.exec(tx, &del).await?;
            for c in codes {
                self.insert_row(
                    tx,
                    bc::Entity,
                    vec![
                        (C::Id, c.id.into()),
                        (C::UserId, c.user_id.into()),
                        (C::CodeHash, c.code_hash.clone().into()),
                        (C::Used, c.used.into()),
                        (C::UsedAt, c.used_at.into()),
                        (C::CreatedAt, c.created_at.into()),
                    ],
                )
                .await?;
            }
            Ok(())
        })
    }

    async fn consume_backup_code(
        &self,
        user_id: Uuid,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        use bc::Column as C;
        // Candidates first, then a guarded update per row: the update's affected-row count names
        // the one caller that spent it.
        let mut sel = self.select(bc::Entity);
        sel.and_where(Expr::col(C::UserId).eq(user_id))
            .and_where(Expr::col(C::CodeHash).eq(code_hash))
            .and_where(Expr::col(C::Used).eq(false));
        for code in self.all::<bc::Model, _, _>(&self.conn, &sel).await? {
            let mut q = self.update(bc::Entity);
            q.value(C::Used, true)
                .value(C::UsedAt, now)
                .and_where(Expr::col(C::Id).eq(code.id.0))
                .and_where(Expr::col(C::Used).eq(false));
            if self.exec(&self.conn, &q).await? == 1 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn count_unused_backup_codes(&self, user_id: Uuid) -> StoreResult<u64> {
        let mut q = self.select(bc::Entity);
        q.and_where(Expr::col(bc::Column::UserId).eq(user_id))
            .and_where(Expr::col(bc::Column::Used).eq(false));
        self.count(q).await
    }
}
