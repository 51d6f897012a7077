//! Magic sign-in links.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait};
use time::OffsetDateTime;
use yauth_entity::{MagicLink, normalize_email};
use yauth_store::{MagicLinkRepository, StoreResult};

use crate::db::Db;
use crate::entities::magic_links::{self as ml, Column as C};

#[async_trait]
impl MagicLinkRepository for Db {
    async fn create_magic_link(&self, l: &MagicLink) -> StoreResult<()> {
        self.insert_row(
            &self.conn,
            ml::Entity,
            vec![
                (C::Id, l.id.into()),
                (C::Email, normalize_email(&l.email).into()),
                (C::TokenHash, l.token_hash.clone().into()),
                (C::ExpiresAt, l.expires_at.into()),
                (C::Used, l.used.into()),
                (C::CreatedAt, l.created_at.into()),
            ],
        )
        .await
    }

    async fn consume_magic_link(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<MagicLink>> {
        let mut q = self.update(ml::Entity);
        q.value(C::Used, true)
            .and_where(Expr::col(C::TokenHash).eq(token_hash))
            .and_where(Expr::col(C::Used).eq(false))
            .and_where(Expr::col(C::ExpiresAt).gt(now));
        let key = Cond::all().add(Expr::col(C::TokenHash).eq(token_hash));
        Ok(self
            .update_returning(ml::Entity, q, key)
            .await?
            .map(|m| MagicLink {
                id: m.id.0,
                email: m.email,
                token_hash: m.token_hash,
                expires_at: m.expires_at,
                used: m.used,
                created_at: m.created_at,
            }))
    }

    async fn delete_magic_links(&self, email: &str) -> StoreResult<u64> {
        let mut q = self.delete(ml::Entity);
        q.and_where(Expr::col(C::Email).eq(normalize_email(email)));
        self.exec(&self.conn, &q).await
    }
}
