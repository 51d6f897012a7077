//! `ChallengeRepository`: put (replacing), get, take (atomic) and delete, with expiry.

use serde_json::json;
use time::Duration;
use yauth_entity::Challenge;

use crate::Repositories;
use crate::conformance::fixtures::*;

async fn put(repos: &Repositories, challenge: &Challenge) {
    repos
        .challenges
        .put_challenge(challenge)
        .await
        .expect("put_challenge");
}

async fn fresh(repos: &Repositories) -> Challenge {
    let now = now();
    let challenge = challenge(now + Duration::minutes(5), now);
    put(repos, &challenge).await;
    challenge
}

/// A stored challenge is returned by `get` and left in place.
pub async fn challenges_put_and_get(repos: Repositories) {
    let challenge = fresh(&repos).await;
    for _ in 0..2 {
        let got = repos
            .challenges
            .get_challenge(&challenge.key, challenge.created_at)
            .await;
        assert_eq!(
            got.expect("get_challenge"),
            Some(challenge.clone()),
            "get leaves it in place"
        );
    }
}

/// Putting the same key again replaces value and expiry.
pub async fn challenges_put_replaces(repos: Repositories) {
    let first = fresh(&repos).await;
    let second = Challenge {
        value: json!({ "step": 2 }),
        expires_at: first.expires_at + Duration::minutes(5),
        ..first.clone()
    };
    put(&repos, &second).await;
    let got = repos
        .challenges
        .get_challenge(&first.key, first.created_at)
        .await;
    assert_eq!(
        got.expect("get_challenge"),
        Some(second),
        "put_challenge replaces"
    );
}

/// A challenge expiring exactly at `now` is gone for `get` and `take`.
pub async fn challenges_expiry_edge(repos: Repositories) {
    let challenge = fresh(&repos).await;
    let edge = challenge.expires_at;
    let got = repos.challenges.get_challenge(&challenge.key, edge).await;
    assert_eq!(
        got.expect("get_challenge"),
        None,
        "expired exactly at expires_at"
    );
    let taken = repos.challenges.take_challenge(&challenge.key, edge).await;
    assert_eq!(
        taken.expect("take_challenge"),
        None,
        "an expired challenge cannot be taken"
    );
    let got = repos
        .challenges
        .get_challenge(&challenge.key, edge - MICROSECOND)
        .await;
    assert!(
        got.expect("get_challenge").is_some(),
        "alive until the microsecond before"
    );
}

/// `take` returns the challenge once and removes it.
pub async fn challenges_take_removes(repos: Repositories) {
    let challenge = fresh(&repos).await;
    let now = challenge.created_at;
    let taken = repos.challenges.take_challenge(&challenge.key, now).await;
    assert_eq!(taken.expect("take_challenge"), Some(challenge.clone()));
    let again = repos.challenges.take_challenge(&challenge.key, now).await;
    assert_eq!(
        again.expect("take_challenge"),
        None,
        "a taken challenge is gone"
    );
    let got = repos.challenges.get_challenge(&challenge.key, now).await;
    assert_eq!(got.expect("get_challenge"), None);
}

/// `delete` reports whether the challenge existed.
pub async fn challenges_delete(repos: Repositories) {
    let challenge = fresh(&repos).await;
    let deleted = repos.challenges.delete_challenge(&challenge.key).await;
    assert!(deleted.expect("delete_challenge"), "existing: true");
    let got = repos
        .challenges
        .get_challenge(&challenge.key, challenge.created_at)
        .await;
    assert_eq!(got.expect("get_challenge"), None);
    let again = repos.challenges.delete_challenge(&challenge.key).await;
    assert!(!again.expect("delete_challenge"), "missing: false");
}

/// Unknown keys find nothing.
pub async fn challenges_unknown_is_none(repos: Repositories) {
    let key = format!("conformance:{}", marker());
    let got = repos.challenges.get_challenge(&key, now()).await;
    assert_eq!(got.expect("get_challenge"), None);
    let taken = repos.challenges.take_challenge(&key, now()).await;
    assert_eq!(taken.expect("take_challenge"), None);
}

/// Of concurrent `take`s of one challenge, exactly one gets it.
pub async fn challenges_take_race(repos: Repositories) {
    let challenge = fresh(&repos).await;
    let now = challenge.created_at;
    let results = race(RACERS, |_| {
        let (repos, key) = (repos.clone(), challenge.key.clone());
        async move {
            repos
                .challenges
                .take_challenge(&key, now)
                .await
                .expect("take")
        }
    })
    .await;
    let winners = results.iter().filter(|r| r.is_some()).count();
    assert_eq!(
        winners, 1,
        "of {RACERS} concurrent takes exactly one gets the challenge"
    );
}
