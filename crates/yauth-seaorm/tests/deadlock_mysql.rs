//! A transaction that InnoDB rolls back to break a deadlock runs again, so the caller sees its
//! result and never the deadlock. The deadlock is made on purpose: a second connection holds the
//! user row that the rotation's insert needs, then asks for the token row the rotation holds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use yauth_store::conformance::fixtures::{create_user, now, refresh_token, token_hash};
use yauth_store::{DatabaseBackend, RefreshTokenSeed, RotateOutcome};

/// The one integer a query answers.
async fn scalar(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("one row");
    row.try_get_by_index::<i64>(0).expect("an integer")
}

/// Deadlocks InnoDB has resolved since the server started.
async fn deadlocks(db: &DatabaseConnection) -> i64 {
    scalar(
        db,
        "SELECT CAST(VARIABLE_VALUE AS SIGNED) FROM information_schema.GLOBAL_STATUS \
         WHERE VARIABLE_NAME = 'INNODB_DEADLOCKS'",
    )
    .await
}

/// Waits until the rotation's insert of the new token is running, that is waiting for the held
/// user row (it cannot finish while the holder is open).
async fn until_the_insert_waits(db: &DatabaseConnection) {
    for _ in 0..400 {
        let waiting = scalar(
            db,
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
             WHERE db = DATABASE() AND info LIKE 'INSERT INTO `yauth_refresh_tokens`%'",
        )
        .await;
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the rotation never waited for the held user row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_chosen_as_deadlock_victim_runs_again() {
    let db = common::connect("seaorm_deadlock", yauth_test_support::Target::Mysql).await;
    let backend = yauth_seaorm::mysql::SeaOrmMysqlBackend::from_connection(db.clone());
    let repos = backend.repositories();
    let bearer = repos.bearer.clone().expect("bearer repository");
    let user = create_user(&repos).await;
    // Extra rows the holder changes, so that InnoDB picks the rotation (fewer changed rows) as
    // the victim.
    let mut weight = vec![user.email.clone()];
    for _ in 0..4 {
        weight.push(create_user(&repos).await.email);
    }
    let old = refresh_token(user.id, now() + time::Duration::days(1));
    bearer.create_refresh_token(&old).await.expect("create");
    let before = deadlocks(&db).await;

    // The holder changes the user rows, so the rotation's insert (whose foreign key needs the
    // user row) will wait for it.
    let holder = db.begin().await.expect("begin");
    let emails = weight
        .iter()
        .map(|e| format!("'{e}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let held = holder
        .execute_unprepared(&format!(
            "UPDATE yauth_users SET display_name = 'held' WHERE email IN ({emails})"
        ))
        .await
        .expect("hold the user rows");
    assert_eq!(held.rows_affected(), 5, "the holder holds every user row");

    let seed = RefreshTokenSeed {
        id: uuid::Uuid::now_v7(),
        token_hash: token_hash(),
        expires_at: now() + time::Duration::days(1),
        created_at: now(),
    };
    let rotation = tokio::spawn({
        let bearer = bearer.clone();
        let (hash, seed) = (old.token_hash.clone(), seed.clone());
        async move { bearer.rotate_refresh_token(&hash, &seed, now()).await }
    });
    // The rotation has locked the old token and waits on the user row; asking for the token
    // closes the cycle, and InnoDB rolls the rotation back.
    until_the_insert_waits(&db).await;
    holder
        .execute_unprepared(&format!(
            "SELECT id FROM yauth_refresh_tokens WHERE token_hash = '{}' FOR UPDATE",
            old.token_hash
        ))
        .await
        .expect("the holder survives the deadlock: the rotation was the victim");
    holder.rollback().await.expect("rollback");

    let outcome = rotation
        .await
        .expect("join")
        .expect("the rotation succeeds");
    assert!(
        deadlocks(&db).await > before,
        "a deadlock happened and was resolved"
    );
    match outcome {
        RotateOutcome::Rotated { previous, issued } => {
            assert_eq!(previous.id, old.id);
            assert_eq!(issued.token_hash, seed.token_hash);
        }
        other => panic!("the retried rotation rotates, got {other:?}"),
    }
    let stored_old = bearer
        .find_refresh_token(&old.token_hash)
        .await
        .expect("find")
        .expect("the old token is kept");
    assert!(stored_old.revoked, "the old token is revoked once");
    assert!(
        bearer
            .find_refresh_token(&seed.token_hash)
            .await
            .expect("find")
            .is_some(),
        "the new token is stored"
    );
}
