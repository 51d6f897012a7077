//! `EmailPasswordRepository::find_password_reset`: the read-only lookup that lets the reset route
//! check every password rule before spending the single-use token. It follows the consume's
//! validity rule exactly (unused, `expires_at > now`) and changes nothing.

use std::sync::Arc;

use time::Duration;
use yauth_entity::PasswordReset;

use crate::conformance::fixtures::*;
use crate::{EmailPasswordRepository, Repositories};

fn repo(repos: &Repositories) -> Arc<dyn EmailPasswordRepository> {
    need(&repos.email_password, "email-password")
}

/// A fresh unused reset of a fresh user, stored.
async fn stored_reset(repos: &Repositories, expires_at: time::OffsetDateTime) -> PasswordReset {
    let user = create_user(repos).await;
    let row = password_reset(user.id, expires_at);
    repo(repos)
        .create_password_reset(&row)
        .await
        .expect("create_password_reset");
    row
}

/// Before it is consumed, the reset is found with every field as stored.
pub async fn email_password_reset_find_before_consume(repos: Repositories) {
    let now = now();
    let row = stored_reset(&repos, now + Duration::hours(1)).await;
    let found = repo(&repos).find_password_reset(&row.token_hash, now).await;
    assert_eq!(
        found.expect("find_password_reset"),
        Some(row),
        "an unused, unexpired reset is found with every field as stored"
    );
}

/// Finding does not consume: after two finds the reset is still unused and the consume gets it.
pub async fn email_password_reset_find_does_not_consume(repos: Repositories) {
    let now = now();
    let row = stored_reset(&repos, now + Duration::hours(1)).await;
    let ep = repo(&repos);
    for _ in 0..2 {
        let found = ep.find_password_reset(&row.token_hash, now).await;
        let found = found.expect("find_password_reset");
        assert_eq!(
            found.map(|r| r.used_at),
            Some(None),
            "find_password_reset finds the reset and leaves used_at unset"
        );
    }
    let consumed = ep.consume_password_reset(&row.token_hash, now).await;
    let consumed = consumed.expect("consume_password_reset");
    assert_eq!(
        consumed.as_ref().map(|r| r.id),
        Some(row.id),
        "a reset that was only found is still consumable"
    );
    assert_eq!(
        consumed.and_then(|r| r.used_at),
        Some(now),
        "the consume marks it used at now"
    );
}

/// Once consumed, the reset is no longer found.
pub async fn email_password_reset_find_after_consume_is_none(repos: Repositories) {
    let now = now();
    let row = stored_reset(&repos, now + Duration::hours(1)).await;
    let ep = repo(&repos);
    let consumed = ep.consume_password_reset(&row.token_hash, now).await;
    assert!(
        consumed.expect("consume_password_reset").is_some(),
        "the fresh reset is consumed"
    );
    let found = ep.find_password_reset(&row.token_hash, now).await;
    assert_eq!(
        found.expect("find_password_reset"),
        None,
        "a used reset is not found"
    );
    let later = ep
        .find_password_reset(&row.token_hash, now + Duration::minutes(1))
        .await;
    assert_eq!(
        later.expect("find_password_reset"),
        None,
        "a used reset stays not found"
    );
}

/// The same expiry edge as the consume: found until the microsecond before `expires_at`, not at
/// `expires_at` nor after it.
pub async fn email_password_reset_find_expiry(repos: Repositories) {
    let expires_at = now() + Duration::minutes(10);
    let row = stored_reset(&repos, expires_at).await;
    let ep = repo(&repos);
    let at_edge = ep.find_password_reset(&row.token_hash, expires_at).await;
    assert_eq!(
        at_edge.expect("find_password_reset"),
        None,
        "a reset whose expires_at equals now is expired and not found"
    );
    let late = ep
        .find_password_reset(&row.token_hash, expires_at + Duration::hours(1))
        .await;
    assert_eq!(
        late.expect("find_password_reset"),
        None,
        "an expired reset is not found"
    );
    let in_time = ep
        .find_password_reset(&row.token_hash, expires_at - MICROSECOND)
        .await;
    assert_eq!(
        in_time.expect("find_password_reset").map(|r| r.id),
        Some(row.id),
        "a reset is found until the microsecond before expires_at"
    );
}

/// A token hash that was never stored is not found.
pub async fn email_password_reset_find_unknown_is_none(repos: Repositories) {
    let now = now();
    // Another user's live reset must not be returned for an unrelated hash.
    stored_reset(&repos, now + Duration::hours(1)).await;
    let found = repo(&repos).find_password_reset(&token_hash(), now).await;
    assert_eq!(
        found.expect("find_password_reset"),
        None,
        "an unknown token hash is not found"
    );
}
