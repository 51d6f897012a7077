//! Users.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Func, LikeExpr};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{User, UserUpdate, normalize_email};
use yauth_store::{Page, StoreError, StoreResult, UserQuery, UserRepository, escape_like};

use super::{newest_first, page};
use crate::db::Db;
use crate::entities::users::{self, Column as C};

/// A `yauth_users` row as the domain type.
pub(crate) fn to_user(m: users::Model) -> User {
    User {
        id: m.id.0,
        email: m.email,
        display_name: m.display_name,
        email_verified: m.email_verified,
        role: m.role,
        banned: m.banned,
        banned_reason: m.banned_reason,
        banned_until: m.banned_until,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

impl Db {
    /// Inserts a new user (email normalised) on `c`, shared with registration.
    pub(crate) async fn insert_user<Conn: crate::db::Conn>(
        &self,
        c: &Conn,
        user: &User,
    ) -> StoreResult<()> {
        self.insert_row(
            c,
            users::Entity,
            vec![
                (C::Id, user.id.into()),
                (C::Email, normalize_email(&user.email).into()),
                (C::DisplayName, user.display_name.clone().into()),
                (C::EmailVerified, user.email_verified.into()),
                (C::Role, user.role.clone().into()),
                (C::Banned, user.banned.into()),
                (C::BannedReason, user.banned_reason.clone().into()),
                (C::BannedUntil, user.banned_until.into()),
                (C::CreatedAt, user.created_at.into()),
                (C::UpdatedAt, user.updated_at.into()),
            ],
        )
        .await
    }

    async fn user_where(&self, cond: Cond) -> StoreResult<Option<User>> {
        let mut q = self.select(users::Entity);
        q.cond_where(cond);
        Ok(self
            .one::<users::Model, _, _>(&self.conn, &q)
            .await?
            .map(to_user))
    }
}

#[async_trait]
impl UserRepository for Db {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        self.insert_user(&self.conn, user).await
    }

    async fn find_user(&self, id: Uuid) -> StoreResult<Option<User>> {
        self.user_where(Cond::all().add(Expr::col(C::Id).eq(id)))
            .await
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.user_where(Cond::all().add(Expr::col(C::Email).eq(normalize_email(email))))
            .await
    }

    async fn update_user(
        &self,
        id: Uuid,
        update: &UserUpdate,
        now: OffsetDateTime,
    ) -> StoreResult<User> {
        let mut q = self.update(users::Entity);
        q.value(C::UpdatedAt, now);
        if let Some(email) = &update.email {
            q.value(C::Email, normalize_email(email));
        }
        if let Some(v) = &update.display_name {
            q.value(C::DisplayName, v.clone());
        }
        if let Some(v) = update.email_verified {
            q.value(C::EmailVerified, v);
        }
        if let Some(v) = &update.role {
            q.value(C::Role, v.clone());
        }
        if let Some(v) = update.banned {
            q.value(C::Banned, v);
        }
        if let Some(v) = &update.banned_reason {
            q.value(C::BannedReason, v.clone());
        }
        if let Some(v) = update.banned_until {
            q.value(C::BannedUntil, v);
        }
        q.and_where(Expr::col(C::Id).eq(id));
        let by_id = Cond::all().add(Expr::col(C::Id).eq(id));
        self.update_returning(users::Entity, q, by_id)
            .await?
            .map(to_user)
            .ok_or(StoreError::NotFound)
    }

    async fn delete_user(&self, id: Uuid) -> StoreResult<bool> {
        let mut q = self.delete(users::Entity);
        q.and_where(Expr::col(C::Id).eq(id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn list_users(&self, query: &UserQuery) -> StoreResult<Page<User>> {
        let mut q = self.select(users::Entity);
        if let Some(term) = &query.search {
            let pattern = format!("%{}%", escape_like(&term.to_lowercase()));
            let like = |col: C| case_insensitive_like(self.backend, col, &pattern);
            q.cond_where(Cond::any().add(like(C::Email)).add(like(C::DisplayName)));
        }
        if let Some(role) = &query.role {
            q.and_where(Expr::col(C::Role).eq(role.clone()));
        }
        if let Some(banned) = query.banned {
            q.and_where(Expr::col(C::Banned).eq(banned));
        }
        let total = self.count(q.clone()).await?;
        newest_first(&mut q, C::CreatedAt, C::Id);
        page(&mut q, query.page);
        let items = self
            .all::<users::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_user)
            .collect();
        Ok(Page { items, total })
    }
}

/// `col ILIKE pattern` on PostgreSQL, which its trigram indexes serve; `LOWER(col) LIKE pattern`
/// elsewhere. `pattern` is lowercase, with `\` escaping.
fn case_insensitive_like(backend: sea_orm::DbBackend, col: C, pattern: &str) -> Expr {
    if backend == sea_orm::DbBackend::Postgres {
        // sea-query's `ilike` cannot carry an ESCAPE clause.
        return Expr::cust_with_exprs(
            "$1 ILIKE $2 ESCAPE '\\'",
            [Expr::col(col), Expr::val(pattern.to_owned())],
        );
    }
    Expr::expr(Func::lower(Expr::col(col))).like(LikeExpr::new(pattern.to_owned()).escape('\\'))
}
