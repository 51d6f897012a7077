//! `RateLimitRepository`: atomic fixed-window counters.

use time::{Duration, OffsetDateTime};

use crate::conformance::fixtures::*;
use crate::{RateDecision, Repositories};

const WINDOW: Duration = Duration::minutes(1);

fn key() -> String {
    format!("conformance:rl:{}", marker())
}

async fn hit(repos: &Repositories, key: &str, limit: u32, now: OffsetDateTime) -> RateDecision {
    let decision = repos
        .rate_limits
        .hit_rate_limit(key, limit, WINDOW, now)
        .await;
    decision.expect("hit_rate_limit")
}

/// Hits within a window count up from 1; the window ends `window` after its first hit.
pub async fn rate_limits_count_within_window(repos: Repositories) {
    let key = key();
    let start = now();
    for i in 1..=3u32 {
        let at = start + Duration::seconds(i64::from(i));
        let decision = hit(&repos, &key, 5, at - Duration::seconds(1)).await;
        assert_eq!(
            decision.count, i,
            "hits in one window count up, this one included"
        );
        assert!(decision.allowed, "within the limit");
        assert_eq!(decision.limit, 5, "the decision reports the limit");
        assert_eq!(
            decision.reset_at,
            start + WINDOW,
            "the window ends window after its start"
        );
        assert_eq!(decision.remaining(), 5 - i);
    }
}

/// The hit that reaches the limit is allowed, the next one is not.
pub async fn rate_limits_limit_is_exact(repos: Repositories) {
    let key = key();
    let now = now();
    for i in 1..=3u32 {
        assert!(
            hit(&repos, &key, 3, now).await.allowed,
            "hit {i} of limit 3 is allowed"
        );
    }
    let refused = hit(&repos, &key, 3, now).await;
    assert!(!refused.allowed, "the hit after the limit is refused");
    assert_eq!(refused.count, 4, "a refused hit is counted too");
    assert_eq!(refused.remaining(), 0);
}

/// A hit at or after the end of the window starts a new one at count 1.
pub async fn rate_limits_new_window_after_expiry(repos: Repositories) {
    let key = key();
    let start = now();
    hit(&repos, &key, 1, start).await;
    assert!(
        !hit(&repos, &key, 1, start + WINDOW - MICROSECOND)
            .await
            .allowed,
        "same window"
    );
    let fresh = hit(&repos, &key, 1, start + WINDOW).await;
    assert!(
        fresh.allowed,
        "the window ends at reset_at: a new one starts"
    );
    assert_eq!(fresh.count, 1, "a new window starts at count 1");
    assert_eq!(
        fresh.reset_at,
        start + WINDOW + WINDOW,
        "the new window starts at its first hit"
    );
}

/// `retry_after` is the time left in the window, at least one second.
pub async fn rate_limits_retry_after(repos: Repositories) {
    let key = key();
    let start = now();
    hit(&repos, &key, 1, start).await;
    let refused = hit(&repos, &key, 1, start + Duration::seconds(20)).await;
    assert!(!refused.allowed);
    assert_eq!(
        refused.retry_after(start + Duration::seconds(20)),
        Duration::seconds(40)
    );
    let late = hit(&repos, &key, 1, start + WINDOW - MICROSECOND).await;
    assert_eq!(
        late.retry_after(start + WINDOW - MICROSECOND),
        Duration::seconds(1)
    );
}

/// Different keys count independently.
pub async fn rate_limits_keys_independent(repos: Repositories) {
    let (first, second) = (key(), key());
    let now = now();
    hit(&repos, &first, 1, now).await;
    assert!(!hit(&repos, &first, 1, now).await.allowed);
    let other = hit(&repos, &second, 1, now).await;
    assert!(
        other.allowed && other.count == 1,
        "another key has its own counter"
    );
}

/// `reset` forgets the counter; resetting an unknown key is fine.
pub async fn rate_limits_reset(repos: Repositories) {
    let key = key();
    let now = now();
    hit(&repos, &key, 1, now).await;
    repos
        .rate_limits
        .reset_rate_limit(&key)
        .await
        .expect("reset_rate_limit");
    let after = hit(&repos, &key, 1, now).await;
    assert!(
        after.allowed && after.count == 1,
        "after a reset counting starts again"
    );
    repos
        .rate_limits
        .reset_rate_limit(&self::key())
        .await
        .expect("reset of an unknown key");
}

/// `RACERS` concurrent hits on a limit of 6: exactly 6 allowed, every hit counted once.
pub async fn rate_limits_race_never_exceeds_limit(repos: Repositories) {
    const LIMIT: u32 = 6;
    let key = key();
    let now = now();
    let decisions = race(RACERS, |_| {
        let (repos, key) = (repos.clone(), key.clone());
        async move { hit(&repos, &key, LIMIT, now).await }
    })
    .await;
    let allowed = decisions.iter().filter(|d| d.allowed).count();
    assert_eq!(
        allowed, LIMIT as usize,
        "concurrent callers never get more than limit allowed hits"
    );
    let mut counts: Vec<u32> = decisions.iter().map(|d| d.count).collect();
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=RACERS as u32).collect::<Vec<_>>(),
        "each concurrent hit is counted once"
    );
}
