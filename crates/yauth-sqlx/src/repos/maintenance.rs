//! The expiry purge.

/// `MaintenanceRepository` for the dialect.
macro_rules! maintenance {
    ($d:ident) => {
        const _: () = {
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::sql;
            use $crate::repos::Store;
            use time::OffsetDateTime;
            use yauth_store::schema_probe::{Probe, probe_sql};
            use yauth_store::{MaintenanceRepository, PurgeReport, StoreResult};

            #[async_trait::async_trait]
            impl MaintenanceRepository for Store<c::Db> {
                async fn probe_table(&self, table: &str, columns: &[&str]) -> StoreResult<Probe> {
                    let sql = probe_sql(c::IDENT_QUOTE, &self.table_name_in_sql(table), columns);
                    match sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&self.pool).await.map_err(db_err) {
                        Ok(_) => Ok(Probe::Present),
                        Err(e) if e.is_missing_schema() => Ok(Probe::Missing),
                        Err(e) => Err(e),
                    }
                }

                async fn purge_expired(&self, now: OffsetDateTime) -> StoreResult<PurgeReport> {
                    let now = c::time(now);
                    let pool = &self.pool;
                    let mut report = PurgeReport::default();
                    macro_rules! purge {
                        ($table:literal, $q:expr) => {
                            report.add($table, $q.execute(pool).await.map_err(db_err)?.rows_affected());
                        };
                    }
                    purge!("sessions", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_sessions WHERE expires_at <= $1 OR absolute_expires_at <= $1"#,
                        mysql [now, now]: r#"DELETE FROM yauth_sessions WHERE expires_at <= ? OR absolute_expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_sessions WHERE expires_at <= ?1 OR absolute_expires_at <= ?1"#));
                    purge!("email_verifications", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_email_verifications WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_email_verifications WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_email_verifications WHERE expires_at <= ?1"#));
                    purge!("password_resets", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_password_resets WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_password_resets WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_password_resets WHERE expires_at <= ?1"#));
                    purge!("magic_links", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_magic_links WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_magic_links WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_magic_links WHERE expires_at <= ?1"#));
                    purge!("oauth_states", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_oauth_states WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_oauth_states WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_oauth_states WHERE expires_at <= ?1"#));
                    purge!("refresh_tokens", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_refresh_tokens WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_refresh_tokens WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_refresh_tokens WHERE expires_at <= ?1"#));
                    // Nonces go with their codes (by cascade); count them first.
                    purge!("oidc_nonces", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_oidc_nonces WHERE authorization_code_id IN (SELECT id FROM yauth_authorization_codes WHERE expires_at <= $1)"#,
                        mysql: r#"DELETE FROM yauth_oidc_nonces WHERE authorization_code_id IN (SELECT id FROM yauth_authorization_codes WHERE expires_at <= ?)"#,
                        sqlite: r#"DELETE FROM yauth_oidc_nonces WHERE authorization_code_id IN (SELECT id FROM yauth_authorization_codes WHERE expires_at <= ?1)"#));
                    purge!("authorization_codes", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_authorization_codes WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_authorization_codes WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_authorization_codes WHERE expires_at <= ?1"#));
                    purge!("device_codes", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_device_codes WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_device_codes WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_device_codes WHERE expires_at <= ?1"#));
                    purge!("unlock_tokens", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_unlock_tokens WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_unlock_tokens WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_unlock_tokens WHERE expires_at <= ?1"#));
                    purge!("challenges", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_challenges WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_challenges WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_challenges WHERE expires_at <= ?1"#));
                    purge!("rate_limits", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_rate_limits WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_rate_limits WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_rate_limits WHERE expires_at <= ?1"#));
                    purge!("revocations", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_revocations WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_revocations WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_revocations WHERE expires_at <= ?1"#));
                    purge!("signing_keys", sql!($d, query, [now],
                        pg: r#"DELETE FROM yauth_signing_keys WHERE expires_at <= $1"#,
                        mysql: r#"DELETE FROM yauth_signing_keys WHERE expires_at <= ?"#,
                        sqlite: r#"DELETE FROM yauth_signing_keys WHERE expires_at <= ?1"#));
                    Ok(report)
                }
            }
        };
    };
}
pub(crate) use maintenance;
