//! One generic set of checks for every single-use token kind: consume once, expiry edge, race.

use futures::future::BoxFuture;
use time::{Duration, OffsetDateTime};

use super::fixtures::{MICROSECOND, RACERS, now, race};
use crate::Repositories;

/// A single-use token kind, described by how to issue one and how to try to consume one.
pub(crate) struct SingleUse<K> {
    /// What the token is, for failure messages.
    pub what: &'static str,
    /// The backend under test.
    pub repos: Repositories,
    /// Stores a fresh token valid until the given instant and returns its key.
    pub issue: fn(Repositories, OffsetDateTime) -> BoxFuture<'static, K>,
    /// Tries to consume the token at the given instant; `true` when this caller got it.
    pub consume: fn(Repositories, K, OffsetDateTime) -> BoxFuture<'static, bool>,
    /// A key like the given one (same user, where the key has one) that names no token.
    pub unknown: fn(&K) -> K,
}

impl<K: Clone + Send + 'static> SingleUse<K> {
    async fn issue(&self, expires_at: OffsetDateTime) -> K {
        (self.issue)(self.repos.clone(), expires_at).await
    }

    async fn consume(&self, key: &K, at: OffsetDateTime) -> bool {
        (self.consume)(self.repos.clone(), key.clone(), at).await
    }

    /// The first consume returns the token, a second one finds nothing, an unknown key nothing.
    pub(crate) async fn consume_once(&self) {
        let what = self.what;
        let now = now();
        let key = self.issue(now + Duration::hours(1)).await;
        assert!(
            self.consume(&key, now).await,
            "{what}: consuming a valid token must return it"
        );
        assert!(
            !self.consume(&key, now).await,
            "{what}: a token is single-use: the second consume must return nothing"
        );
        assert!(
            !self.consume(&(self.unknown)(&key), now).await,
            "{what}: consuming an unknown token must return nothing"
        );
    }

    /// A token expiring exactly at `now` is expired; one microsecond earlier it is valid.
    pub(crate) async fn expiry(&self) {
        let what = self.what;
        let expires_at = now() + Duration::minutes(10);
        let at_edge = self.issue(expires_at).await;
        assert!(
            !self.consume(&at_edge, expires_at).await,
            "{what}: a token whose expires_at equals now is expired and must not be consumed"
        );
        let late = self.issue(expires_at).await;
        assert!(
            !self.consume(&late, expires_at + Duration::hours(1)).await,
            "{what}: an expired token must not be consumed"
        );
        let in_time = self.issue(expires_at).await;
        assert!(
            self.consume(&in_time, expires_at - MICROSECOND).await,
            "{what}: a token is valid until the microsecond before expires_at"
        );
    }

    /// `RACERS` tasks consume the same token at once: exactly one gets it.
    pub(crate) async fn race(&self) {
        let what = self.what;
        let now = now();
        let key = self.issue(now + Duration::hours(1)).await;
        let consume = self.consume;
        let repos = self.repos.clone();
        let wins = race(RACERS, |_| consume(repos.clone(), key.clone(), now))
            .await
            .into_iter()
            .filter(|won| *won)
            .count();
        assert_eq!(
            wins, 1,
            "{what}: of {RACERS} concurrent consumers exactly one must get the token"
        );
    }
}

impl<K: Clone + Send + 'static> SingleUse<K> {
    /// For the purge case: issues one token expiring exactly at `at` and one a microsecond later.
    pub(crate) async fn plant_around(&self, at: OffsetDateTime) -> (K, K) {
        (self.issue(at).await, self.issue(at + MICROSECOND).await)
    }

    /// After a purge at `at`: the token expiring at `at` is gone (not even consumable at an
    /// earlier instant), the later one is still there.
    pub(crate) async fn check_purged(&self, (expired, live): (K, K), at: OffsetDateTime) {
        let what = self.what;
        assert!(
            !self.consume(&expired, at - Duration::hours(1)).await,
            "{what}: purge_expired(now) deletes rows whose lifetime ended at or before now"
        );
        assert!(
            self.consume(&live, at).await,
            "{what}: purge_expired(now) keeps rows still alive at now"
        );
    }
}
