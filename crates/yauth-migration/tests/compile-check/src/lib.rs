//! Compiles the diesel `schema.rs` and the SeaORM entities that `yauth-migration` generates for the
//! full plugin set, in every dialect. The files under `src/generated/` are written by the generator
//! and checked for freshness by `yauth-migration`'s `golden` test
//! (`UPDATE_GOLDEN=1 cargo test -p yauth-migration --test golden` rewrites them).

/// diesel, PostgreSQL.
#[path = "generated/diesel_pg/schema.rs"]
pub mod diesel_pg;

/// diesel, MySQL / MariaDB.
#[path = "generated/diesel_mysql/schema.rs"]
pub mod diesel_mysql;

/// diesel, SQLite.
#[path = "generated/diesel_sqlite/schema.rs"]
pub mod diesel_sqlite;

/// SeaORM, PostgreSQL.
#[path = "generated/seaorm_pg/entities/mod.rs"]
pub mod seaorm_pg;

/// SeaORM, MySQL / MariaDB.
#[path = "generated/seaorm_mysql/entities/mod.rs"]
pub mod seaorm_mysql;

/// SeaORM, SQLite.
#[path = "generated/seaorm_sqlite/entities/mod.rs"]
pub mod seaorm_sqlite;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use diesel::prelude::*;
    use sea_orm::EntityName;

    #[test]
    fn diesel_tables_join_and_build_queries() {
        use crate::diesel_pg::{yauth_sessions, yauth_users};
        let query = yauth_sessions::table
            .inner_join(yauth_users::table.on(yauth_users::id.eq(yauth_sessions::user_id)))
            .filter(yauth_sessions::token_hash.eq("x"))
            .select((yauth_sessions::id, yauth_users::email));
        let sql = diesel::debug_query::<diesel::pg::Pg, _>(&query).to_string();
        assert!(sql.contains("\"yauth_sessions\""), "{sql}");
    }

    #[test]
    fn seaorm_entities_name_their_tables() {
        assert_eq!(
            crate::seaorm_pg::yauth_users::Entity.table_name(),
            "yauth_users"
        );
        assert_eq!(
            crate::seaorm_sqlite::yauth_webhook_deliveries::Entity.table_name(),
            "yauth_webhook_deliveries"
        );
    }
}
