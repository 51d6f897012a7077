//! The PostgreSQL backend.

use sqlx::PgPool;

crate::backend::backend!(
    /// yauth's storage on PostgreSQL through sqlx. Cloning is cheap (the pool is shared).
    SqlxPgBackend, pg, PgPool,
    example: "# async fn demo() -> Result<(), sqlx::Error> {
let pool = sqlx::PgPool::connect(\"postgres://postgres@127.0.0.1:5432/app\").await?;
let backend = yauth_sqlx::pg::SqlxPgBackend::from_pool(pool);
# Ok(())
# }"
);

impl SqlxPgBackend {
    /// A backend whose tables live in `schema` (as written by
    /// `cargo yauth init --dialect postgres --pg-schema <schema>`).
    ///
    /// Cost: the backend does not query `pool` itself but a new pool with the same connection
    /// and pool options, whose connections start with `search_path` set to `schema` (a startup
    /// parameter, so no extra round trip per operation). Budget its `max_connections` in
    /// addition to your own pool's; `pool` stays yours for your own tables. The new pool
    /// connects lazily, so this constructor needs no connection; like any sqlx pool it must be
    /// created inside the Tokio runtime.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), sqlx::Error> {
    /// use yauth_sqlx::pg::SqlxPgBackend;
    ///
    /// let pool = sqlx::PgPool::connect("postgres://postgres@127.0.0.1:5432/app").await?;
    /// let backend = SqlxPgBackend::from_pool_with_schema(pool, "auth");
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_pool_with_schema(pool: PgPool, schema: &str) -> Self {
        let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
        let connect = (*pool.connect_options())
            .clone()
            .options([("search_path", quoted)]);
        Self::from_pool(pool.options().clone().connect_lazy_with(connect))
    }
}
