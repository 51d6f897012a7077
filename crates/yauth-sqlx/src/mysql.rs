//! The MySQL / MariaDB backend.

crate::backend::backend!(
    /// yauth's storage on MySQL 8 or MariaDB 10.6+ through sqlx. Cloning is cheap (the pool is
    /// shared).
    SqlxMysqlBackend, mysql, sqlx::MySqlPool,
    example: "# async fn demo() -> Result<(), sqlx::Error> {
let pool = sqlx::MySqlPool::connect(\"mysql://root@127.0.0.1:3306/app\").await?;
let backend = yauth_sqlx::mysql::SqlxMysqlBackend::from_pool(pool);
# Ok(())
# }"
);
