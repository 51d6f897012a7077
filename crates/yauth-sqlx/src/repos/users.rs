//! Users.

/// `UserRepository` for the dialect.
macro_rules! users {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{IntoEntity as _, bound, count, entities, entity};
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::{by_dialect, sql};
            use $crate::repos::Store;
            use $crate::rows::UserRow;
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::{User, UserUpdate, normalize_email};
            use yauth_store::{Page, StoreError, StoreResult, UserQuery, UserRepository, escape_like};

            #[async_trait::async_trait]
            impl UserRepository for Store<c::Db> {
                async fn create_user(&self, user: &User) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(user.id), normalize_email(&user.email), user.display_name.as_deref(),
                        user.email_verified, &user.role, user.banned, user.banned_reason.as_deref(),
                        c::opt_time(user.banned_until), c::time(user.created_at), c::time(user.updated_at)
                    ],
                    pg: r#"INSERT INTO yauth_users (id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"#,
                    mysql: r#"INSERT INTO yauth_users (id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_users (id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn find_user(&self, id: Uuid) -> StoreResult<Option<User>> {
                    let row = sql!($d, query_as(UserRow), [c::uuid(id)],
                        pg: r#"SELECT id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at FROM yauth_users WHERE id = $1"#,
                        mysql: r#"SELECT id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at FROM yauth_users WHERE id = ?"#,
                        sqlite: r#"SELECT id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at FROM yauth_users WHERE id = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
                    let row = sql!($d, query_as(UserRow), [normalize_email(email)],
                        pg: r#"SELECT id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at FROM yauth_users WHERE email = $1"#,
                        mysql: r#"SELECT id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at FROM yauth_users WHERE email = ?"#,
                        sqlite: r#"SELECT id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at FROM yauth_users WHERE email = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn update_user(
                    &self,
                    id: Uuid,
                    update: &UserUpdate,
                    now: OffsetDateTime,
                ) -> StoreResult<User> {
                    let email = update.email.as_deref().map(normalize_email);
                    let set_display_name = update.display_name.is_some();
                    let display_name = update.display_name.clone().flatten();
                    let set_banned_reason = update.banned_reason.is_some();
                    let banned_reason = update.banned_reason.clone().flatten();
                    let set_banned_until = update.banned_until.is_some();
                    let banned_until = c::opt_time(update.banned_until.flatten());
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(UserRow), [
                            c::uuid(id), email, set_display_name, display_name, update.email_verified,
                            update.role.as_deref(), update.banned, set_banned_reason, banned_reason,
                            set_banned_until, banned_until, c::time(now)
                        ],
                        pg: r#"UPDATE yauth_users SET email = COALESCE($2, email), display_name = CASE WHEN $3 THEN $4 ELSE display_name END, email_verified = COALESCE($5, email_verified), role = COALESCE($6, role), banned = COALESCE($7, banned), banned_reason = CASE WHEN $8 THEN $9 ELSE banned_reason END, banned_until = CASE WHEN $10 THEN $11 ELSE banned_until END, updated_at = $12 WHERE id = $1 RETURNING id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at"#,
                        sqlite: r#"UPDATE yauth_users SET email = COALESCE(?2, email), display_name = CASE WHEN ?3 THEN ?4 ELSE display_name END, email_verified = COALESCE(?5, email_verified), role = COALESCE(?6, role), banned = COALESCE(?7, banned), banned_reason = CASE WHEN ?8 THEN ?9 ELSE banned_reason END, banned_until = CASE WHEN ?10 THEN ?11 ELSE banned_until END, updated_at = ?12 WHERE id = ?1 RETURNING id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let pool = &self.pool;
                        let (email, display_name, banned_reason, banned_until) =
                            (&email, &display_name, &banned_reason, &banned_until);
                        $crate::error::retry(|| async move {
                            let mut tx = c::begin_write(pool).await?;
                            let changed = sql!($d, query, [
                                email.as_deref(), set_display_name, display_name.as_deref(),
                                update.email_verified, update.role.as_deref(), update.banned,
                                set_banned_reason, banned_reason.as_deref(), set_banned_until,
                                *banned_until, c::time(now), c::uuid(id)
                            ],
                            mysql: r#"UPDATE yauth_users SET email = COALESCE(?, email), display_name = IF(?, ?, display_name), email_verified = COALESCE(?, email_verified), role = COALESCE(?, role), banned = COALESCE(?, banned), banned_reason = IF(?, ?, banned_reason), banned_until = IF(?, ?, banned_until), updated_at = ? WHERE id = ?"#)
                            .execute(&mut *tx).await?.rows_affected();
                            if changed == 0 {
                                return Ok::<_, $crate::error::TxError>(None);
                            }
                            let row = sql!($d, query_as(UserRow), [c::uuid(id)],
                                mysql: r#"SELECT id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at FROM yauth_users WHERE id = ? FOR UPDATE"#)
                            .fetch_optional(&mut *tx).await?;
                            tx.commit().await?;
                            Ok(row)
                        }).await?
                    });
                    row.ok_or(StoreError::NotFound)?.into_entity()
                }

                async fn delete_user(&self, id: Uuid) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::uuid(id)],
                        pg: r#"DELETE FROM yauth_users WHERE id = $1"#,
                        mysql: r#"DELETE FROM yauth_users WHERE id = ?"#,
                        sqlite: r#"DELETE FROM yauth_users WHERE id = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn list_users(&self, query: &UserQuery) -> StoreResult<Page<User>> {
                    let pattern = query
                        .search
                        .as_deref()
                        .map(|term| format!("%{}%", escape_like(&term.to_lowercase())));
                    let (p, role, banned) = (pattern.as_deref(), query.role.as_deref(), query.banned);
                    let (limit, offset) = (bound(query.page.limit), bound(query.page.offset));
                    let rows = sql!($d, query_as(UserRow), [p, role, banned, limit, offset],
                        pg: r#"SELECT id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at FROM yauth_users WHERE ($1::text IS NULL OR email ILIKE $1 ESCAPE '\' OR display_name ILIKE $1 ESCAPE '\') AND ($2::text IS NULL OR role = $2) AND ($3::bool IS NULL OR banned = $3) ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"#,
                        mysql [p, p, p, role, role, banned, banned, limit, offset]: r#"SELECT id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at FROM yauth_users WHERE (? IS NULL OR LOWER(email) LIKE ? ESCAPE '\\' OR LOWER(display_name) LIKE ? ESCAPE '\\') AND (? IS NULL OR role = ?) AND (? IS NULL OR banned = ?) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"#,
                        sqlite: r#"SELECT id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at FROM yauth_users WHERE (?1 IS NULL OR LOWER(email) LIKE ?1 ESCAPE '\' OR LOWER(display_name) LIKE ?1 ESCAPE '\') AND (?2 IS NULL OR role = ?2) AND (?3 IS NULL OR banned = ?3) ORDER BY created_at DESC, id DESC LIMIT ?4 OFFSET ?5"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    let total = sql!($d, query_scalar, [p, role, banned],
                        pg: r#"SELECT COUNT(*) AS "n!" FROM yauth_users WHERE ($1::text IS NULL OR email ILIKE $1 ESCAPE '\' OR display_name ILIKE $1 ESCAPE '\') AND ($2::text IS NULL OR role = $2) AND ($3::bool IS NULL OR banned = $3)"#,
                        mysql [p, p, p, role, role, banned, banned]: r#"SELECT COUNT(*) AS "n!" FROM yauth_users WHERE (? IS NULL OR LOWER(email) LIKE ? ESCAPE '\\' OR LOWER(display_name) LIKE ? ESCAPE '\\') AND (? IS NULL OR role = ?) AND (? IS NULL OR banned = ?)"#,
                        sqlite: r#"SELECT COUNT(*) AS "n!" FROM yauth_users WHERE (?1 IS NULL OR LOWER(email) LIKE ?1 ESCAPE '\' OR LOWER(display_name) LIKE ?1 ESCAPE '\') AND (?2 IS NULL OR role = ?2) AND (?3 IS NULL OR banned = ?3)"#)
                    .fetch_one(&self.pool).await.map_err(db_err)?;
                    Ok(Page { items: entities(rows)?, total: count(total) })
                }
            }
        };
    };
}
pub(crate) use users;
