//! The backend type of each dialect, declared once.

/// Declares a dialect's backend: the type, `from_pool`, `pool` and `DatabaseBackend`, and
/// implements every repository for the dialect.
macro_rules! backend {
    (
        $(#[$doc:meta])*
        $name:ident, $d:ident, $pool:ty, example: $example:literal
    ) => {
        $crate::repos::impl_repositories!($d);

        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            store: std::sync::Arc<$crate::repos::Store<$crate::dialect::$d::Db>>,
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }

        impl $name {
            /// A backend on `pool`, whose database holds the yauth tables (created by the
            /// migrations `cargo yauth generate` writes). The backend never runs DDL.
            ///
            /// ```no_run
            #[doc = $example]
            /// ```
            pub fn from_pool(pool: $pool) -> Self {
                Self {
                    store: std::sync::Arc::new($crate::repos::Store { pool }),
                }
            }

            /// The pool the backend queries.
            pub fn pool(&self) -> &$pool {
                &self.store.pool
            }
        }

        impl yauth_store::DatabaseBackend for $name {
            fn repositories(&self) -> yauth_store::Repositories {
                yauth_store::Repositories::all(&self.store)
            }

            fn db_system(&self) -> &'static str {
                match stringify!($d) {
                    "pg" => "postgresql",
                    "mysql" => "mysql",
                    _ => "sqlite",
                }
            }
        }
    };
}
pub(crate) use backend;
