//! Pool and connection failures surface as `StoreError::Unavailable`, without SQL text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use sea_orm::{ConnectOptions, Database};
use yauth_seaorm::SeaOrmBackend;
use yauth_store::{DatabaseBackend, StoreError};

#[test]
fn unreachable_server_is_unavailable() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Nothing listens on port 1; the pool connects lazily, so the failure comes from the
        // repository call.
        let mut options = ConnectOptions::new("postgres://postgres@127.0.0.1:1/nothing");
        options
            .connect_lazy(true)
            .acquire_timeout(Duration::from_secs(2))
            .connect_timeout(Duration::from_secs(2));
        let db = Database::connect(options).await.unwrap();
        let backend = SeaOrmBackend::from_connection(db);
        let err = backend
            .repositories()
            .users
            .find_user_by_email("nobody@example.test")
            .await
            .unwrap_err();
        match &err {
            StoreError::Unavailable(message) => {
                assert!(!message.contains("SELECT"), "no SQL in errors: {message}");
            }
            other => panic!("expected Unavailable, got {other:?}"),
        }
    });
}
