//! What the conformance test binaries of this crate share: how a case's pool is built.

/// A deadpool pool of [`POOL_SIZE`](yauth_store::conformance::POOL_SIZE) connections on
/// `$manager`, with [`Setup::warm_connections`](yauth_store::conformance::Setup) of them open
/// before it is returned, so a race case's racers all have a connection when the barrier opens.
///
/// `$connection_setup` (SQLite: the backend's `CONNECTION_SETUP`) runs on every connection
/// opened here: the backend applies it only on a connection's first checkout, and these
/// connections have their first checkout here, outside the backend.
///
/// A macro rather than a function: deadpool's `Manager` bounds for diesel-async connections are
/// long and crate-private to name, and each binary builds one connection type.
macro_rules! case_pool {
    ($manager:expr, $setup:expr) => {
        common::case_pool!($manager, $setup, "")
    };
    ($manager:expr, $setup:expr, $connection_setup:expr) => {{
        let pool = diesel_async::pooled_connection::deadpool::Pool::builder($manager)
            .max_size(yauth_store::conformance::POOL_SIZE as usize)
            .build()
            .expect("build the pool");
        // Holding every connection at once makes the pool open a new one for each `get`.
        let mut held = Vec::new();
        for _ in 0..$setup.warm_connections() {
            let mut conn = pool.get().await.expect("open a pool connection");
            if !$connection_setup.is_empty() {
                diesel_async::SimpleAsyncConnection::batch_execute(&mut *conn, $connection_setup)
                    .await
                    .expect("set the connection up");
            }
            held.push(conn);
        }
        drop(held);
        pool
    }};
}

pub(crate) use case_pool;
