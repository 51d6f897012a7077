//! Users.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{User, UserUpdate, normalize_email};
use yauth_store::{Page, StoreError, StoreResult, UserQuery, UserRepository, escape_like};

use crate::dialect::Dialect;
use crate::rows::Count;
use crate::store::{Sql, Store};

impl<D: Dialect> Store<D> {
    /// The `INSERT` of a new user (email normalised), shared with registration.
    pub(crate) fn insert_user<'f>(&self, user: &'f User) -> Sql<'f, D> {
        self.q(
            "INSERT INTO {p}users (id, email, display_name, email_verified, role, banned, \
             banned_reason, banned_until, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .uuid(user.id)
        .string(normalize_email(&user.email))
        .opt_text(user.display_name.as_deref())
        .bool(user.email_verified)
        .text(&user.role)
        .bool(user.banned)
        .opt_text(user.banned_reason.as_deref())
        .opt_ts(user.banned_until)
        .ts(user.created_at)
        .ts(user.updated_at)
    }
}

#[async_trait]
impl<D: Dialect> UserRepository for Store<D> {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        self.exec(self.insert_user(user)).await.map(drop)
    }

    async fn find_user(&self, id: Uuid) -> StoreResult<Option<User>> {
        self.opt(self.q("SELECT * FROM {p}users WHERE id = ?").uuid(id))
            .await
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.opt(
            self.q("SELECT * FROM {p}users WHERE email = ?")
                .string(normalize_email(email)),
        )
        .await
    }

    async fn update_user(
        &self,
        id: Uuid,
        update: &UserUpdate,
        now: OffsetDateTime,
    ) -> StoreResult<User> {
        // One statement: each field is replaced only when its flag says so.
        let email = update.email.as_deref().map(normalize_email);
        let mut conn = self.conn().await?;
        let template = "UPDATE {p}users SET \
             email = CASE WHEN ? THEN ? ELSE email END, \
             display_name = CASE WHEN ? THEN ? ELSE display_name END, \
             email_verified = CASE WHEN ? THEN ? ELSE email_verified END, \
             role = CASE WHEN ? THEN ? ELSE role END, \
             banned = CASE WHEN ? THEN ? ELSE banned END, \
             banned_reason = CASE WHEN ? THEN ? ELSE banned_reason END, \
             banned_until = CASE WHEN ? THEN ? ELSE banned_until END, \
             updated_at = ? WHERE id = ?";
        let update_q = self
            .q(template)
            .bool(email.is_some())
            .opt_text(email.as_deref())
            .bool(update.display_name.is_some())
            .opt_text(update.display_name.as_ref().and_then(|v| v.as_deref()))
            .bool(update.email_verified.is_some())
            .bool(update.email_verified.unwrap_or(false))
            .bool(update.role.is_some())
            .opt_text(update.role.as_deref())
            .bool(update.banned.is_some())
            .bool(update.banned.unwrap_or(false))
            .bool(update.banned_reason.is_some())
            .opt_text(update.banned_reason.as_ref().and_then(|v| v.as_deref()))
            .bool(update.banned_until.is_some())
            .opt_ts(update.banned_until.flatten())
            .ts(now)
            .uuid(id);
        let reread = self.q("SELECT * FROM {p}users WHERE id = ?").uuid(id);
        self.update_returning(&mut conn, update_q, reread)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn delete_user(&self, id: Uuid) -> StoreResult<bool> {
        // Foreign keys cascade (and set the audit log's user_id to NULL).
        self.changed(self.q("DELETE FROM {p}users WHERE id = ?").uuid(id))
            .await
    }

    async fn list_users(&self, query: &UserQuery) -> StoreResult<Page<User>> {
        let pattern = query
            .search
            .as_deref()
            .map(|s| format!("%{}%", escape_like(&s.to_lowercase())));
        // The banned filter is added only when asked: a NULL bool parameter has no portable type.
        let banned = if query.banned.is_some() {
            " AND banned = ?"
        } else {
            ""
        };
        let filter = format!(
            "(? IS NULL OR {{lower}}(email) {{ci_like}} ? ESCAPE {{esc}} \
             OR {{lower}}(display_name) {{ci_like}} ? ESCAPE {{esc}}) \
             AND (? IS NULL OR role = ?){banned}"
        );
        let p = pattern.as_deref();
        let mut conn = self.conn().await?;
        let total: Option<Count> = user_filter(
            self.q(&format!(
                "SELECT COUNT(*) AS n FROM {{p}}users WHERE {filter}"
            )),
            p,
            query,
        )
        .opt(&mut conn)
        .await?;
        let items = user_filter(
            self.q(&format!(
                "SELECT * FROM {{p}}users WHERE {filter} \
                 ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
            )),
            p,
            query,
        )
        .count(query.page.limit)
        .count(query.page.offset)
        .all(&mut conn)
        .await?;
        Ok(Page {
            items,
            total: total.map_or(0, |c| c.0 as u64),
        })
    }
}

/// Binds the parameters of `list_users`' filter, in its order.
fn user_filter<'f, D: Dialect>(
    q: Sql<'f, D>,
    pattern: Option<&'f str>,
    query: &'f UserQuery,
) -> Sql<'f, D> {
    let q = q
        .opt_text(pattern)
        .opt_text(pattern)
        .opt_text(pattern)
        .opt_text(query.role.as_deref())
        .opt_text(query.role.as_deref());
    match query.banned {
        Some(banned) => q.bool(banned),
        None => q,
    }
}
