//! Time, passed into the store: repositories never read the clock themselves.

use std::sync::Arc;

use parking_lot::Mutex;
use time::{Duration, OffsetDateTime};

/// A source of "now". The library reads it once per operation and hands the value to the store,
/// so tests can move time without sleeping.
pub trait Clock: Send + Sync + 'static {
    /// The current instant, UTC, truncated to microseconds.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        yauth_entity::truncate_to_micros(OffsetDateTime::now_utc())
    }
}

/// A clock that only moves when told to; clones share the same time.
///
/// ```
/// use yauth_store::{Clock, ManualClock};
/// use time::Duration;
///
/// let clock = ManualClock::starting_now();
/// let before = clock.now();
/// clock.advance(Duration::minutes(5));
/// assert_eq!(clock.now() - before, Duration::minutes(5));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<OffsetDateTime>>,
}

impl ManualClock {
    /// A clock stopped at `at` (truncated to microseconds).
    pub fn at(at: OffsetDateTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(yauth_entity::truncate_to_micros(at))),
        }
    }

    /// A clock stopped at the current system time.
    pub fn starting_now() -> Self {
        Self::at(OffsetDateTime::now_utc())
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock();
        *now = yauth_entity::truncate_to_micros(*now + by);
    }

    /// Sets the clock.
    pub fn set(&self, at: OffsetDateTime) {
        *self.now.lock() = yauth_entity::truncate_to_micros(at);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock()
    }
}
