//! The backend conformance suite: the cases every storage backend must pass.
//!
//! Each case is an `async fn(Repositories)` in [`cases`] that exercises one promise of the
//! repository traits (their doc comments are the specification) and panics, with a message
//! naming the broken promise, when the backend does not keep it. Our own backends and
//! third-party ones run the very same list of cases.
//!
//! # Running the suite against your backend
//!
//! Add the feature to your dev-dependencies:
//!
//! ```toml
//! [dev-dependencies]
//! yauth-store = { version = "0.1", features = ["conformance"] }
//! ```
//!
//! then write `tests/conformance.rs` with one line. The argument is a closure returning a future
//! that yields a backend; it is called once per case, on that case's own multi-thread Tokio
//! runtime, so your crate needs neither `#[tokio::test]` nor the Tokio macros:
//!
//! ```ignore
//! yauth_store::conformance_tests!(|| async { my_backend::MyBackend::connect_for_tests().await });
//! ```
//!
//! This expands to one `#[test]` per case, named after the case (e.g. `users_create_and_find`,
//! `email_password_reset_consume_race`), so `cargo test` / `cargo nextest` report and filter
//! them one by one. To drive the suite from your own harness instead, call [`run_all`] (or
//! [`run_cases`] with a subset of [`CASES`]) from inside a multi-thread Tokio runtime; it returns
//! a [`Report`] instead of panicking.
//!
//! # Pooled backends and the race cases
//!
//! The race cases (named `*_race`) release [`fixtures::RACERS`] tasks at once through a barrier
//! and check that exactly one wins. They only prove something if the racers reach the database
//! together: with a pool smaller than the number of racers, or one that opens its connections
//! lazily, the first racer is done before the others have a connection, and a find-then-mark
//! backend passes. So a factory may take the case's [`Setup`] and, for a race, open
//! [`Setup::warm_connections`] connections before it returns the backend:
//!
//! ```ignore
//! use yauth_store::conformance::{POOL_SIZE, Setup};
//!
//! async fn backend(setup: Setup) -> MyBackend {
//!     let pool = PoolOptions::new()
//!         .max_connections(POOL_SIZE)
//!         .min_connections(setup.warm_connections()) // opened before `connect` returns
//!         .connect(URL)
//!         .await
//!         .unwrap();
//!     MyBackend::from_pool(pool)
//! }
//!
//! yauth_store::conformance_tests!(backend);
//! ```
//!
//! A factory without an argument still works; it just gets no hint. Race cases refuse to run on
//! a current-thread runtime, where racers could only take turns.
//!
//! # Sharing one database between cases
//!
//! Cases only touch rows they create, identified by fresh emails, tokens, keys and ids, and never
//! assert global counts, so a backend may hand every case the same database and let them run in
//! parallel. Two cases act on rows they do not own, and are written so that parallel cases of
//! the same run cannot disturb them: the expiry purge runs at a fixed instant in 1985
//! ([`fixtures::PURGE_NOW`]) that no other case's rows expire by, and the only case that claims
//! webhook deliveries works on a private stretch of time (other cases enqueue deliveries due at
//! [`fixtures::NEVER_DUE`]). Do not run two suites against the same database at the same time.
//!
//! # Time
//!
//! Cases pass explicit `now` values (from [`fixtures::now`], moved by durations) and never
//! sleep. A row whose expiry equals `now` is expired: `expires_at > now` means alive.

// Failing loudly is the purpose of this module: every case asserts, and `unwrap`/`expect` on a
// store call turn an unexpected error into a test failure that says which call broke.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::pin::Pin;

use crate::{DatabaseBackend, Repositories};

pub mod cases;
pub mod controls;
pub mod fixtures;
mod list;
mod single_use;

/// Connections a pooled backend should allow for the suite: one per racer of the race cases,
/// plus headroom so a case's own calls beside the racers never wait for a connection.
pub const POOL_SIZE: u32 = fixtures::RACERS as u32 + 4;

/// The future of one running case.
pub type CaseFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// One conformance case: its name and how to run it.
#[derive(Clone, Copy)]
pub struct Case {
    /// The case's function name, e.g. `sessions_validate_returns_session_and_user`.
    pub name: &'static str,
    /// Runs the case against a backend's repositories; panics when the backend breaks the
    /// contract.
    pub run: fn(Repositories) -> CaseFuture,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("name", &self.name).finish()
    }
}

impl Case {
    /// What the suite tells the factory about this case.
    pub fn setup(&self) -> Setup {
        // The name is the declaration: every case that races is named `*_race`, and `race`
        // refuses to run in a case that is not, so the two cannot drift apart.
        let concurrency = if self.name.contains("_race") {
            fixtures::RACERS
        } else {
            1
        };
        Setup {
            case: self.name,
            concurrency,
        }
    }
}

/// What the suite tells a factory about the case it is about to run, so that a pooled backend
/// can have its connections open before a race starts (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Setup {
    /// The case's name.
    pub case: &'static str,
    /// How many store calls the case makes at the same time: [`fixtures::RACERS`] for a race
    /// case, 1 otherwise.
    pub concurrency: usize,
}

impl Setup {
    /// Whether the case races tasks against each other.
    pub fn is_race(&self) -> bool {
        self.concurrency > 1
    }

    /// How many connections a pooled backend should open before the case starts: [`POOL_SIZE`]
    /// for a race (every racer finds an idle connection the moment the barrier opens), 0
    /// otherwise (connections open on demand, which keeps the other cases fast).
    pub fn warm_connections(&self) -> u32 {
        if self.is_race() { POOL_SIZE } else { 0 }
    }
}

tokio::task_local! {
    /// The setup of the case running in this task, so `race` can check that the case was
    /// declared a race (and its backend warmed for one).
    static CURRENT: Setup;
}

/// The setup of the case the calling task runs, when it runs under [`run_case`] or
/// [`run_cases`].
pub(crate) fn current_setup() -> Option<Setup> {
    CURRENT.try_with(|setup| *setup).ok()
}

/// A conformance factory: a function or closure, called once per case, returning a future
/// that yields a backend (or an `Option` of one, see [`MaybeBackend`]).
///
/// It is implemented for `Fn() -> Fut` and for `Fn(Setup) -> Fut`; the second form learns which
/// case it serves (a closure needs the annotation: `|setup: Setup| async move { .. }`). `Args`
/// only tells the two forms apart.
pub trait Factory<Args> {
    /// What the factory yields.
    type Output: MaybeBackend;
    /// The future yielding it.
    type Future: Future<Output = Self::Output>;
    /// Makes a backend for the case described by `setup`.
    fn make(&self, setup: Setup) -> Self::Future;
}

impl<F, Fut> Factory<()> for F
where
    F: Fn() -> Fut,
    Fut: Future,
    Fut::Output: MaybeBackend,
{
    type Output = Fut::Output;
    type Future = Fut;
    fn make(&self, _setup: Setup) -> Fut {
        self()
    }
}

impl<F, Fut> Factory<(Setup,)> for F
where
    F: Fn(Setup) -> Fut,
    Fut: Future,
    Fut::Output: MaybeBackend,
{
    type Output = Fut::Output;
    type Future = Fut;
    fn make(&self, setup: Setup) -> Fut {
        self(setup)
    }
}

/// Every case of the suite, in the order of [`conformance_tests!`](crate::conformance_tests).
pub const CASES: &[Case] = crate::conformance_tests!(@list array);

/// Runs one case on a fresh multi-thread Tokio runtime (4 workers, all drivers): awaits
/// `factory` for a backend, then the case with its repositories. Panics when the case fails.
///
/// This is what each `#[test]` generated by [`conformance_tests!`](crate::conformance_tests)
/// calls.
pub fn run_case<A, F: Factory<A>>(case: &Case, factory: F) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("the conformance suite needs a Tokio runtime");
    let setup = case.setup();
    runtime.block_on(CURRENT.scope(setup, async move {
        let Some(backend) = factory.make(setup).await.into_backend() else {
            eprintln!("SKIPPED: the factory produced no backend (its server is unavailable)");
            return;
        };
        (case.run)(backend.repositories()).await;
        drop(backend);
    }));
}

/// What a conformance factory may produce: a backend, or an `Option` of one.
///
/// `None` means the backend's server is not available, and the case is skipped with a notice.
/// Return `None` only when skipping is acceptable (e.g. `YAUTH_REQUIRE_SERVICES` is unset); a CI
/// run that must not skip should panic in the factory instead.
pub trait MaybeBackend {
    /// The backend type.
    type Backend: DatabaseBackend;
    /// The backend, if there is one.
    fn into_backend(self) -> Option<Self::Backend>;
}

impl<B: DatabaseBackend> MaybeBackend for B {
    type Backend = B;
    fn into_backend(self) -> Option<B> {
        Some(self)
    }
}

impl<B: DatabaseBackend> MaybeBackend for Option<B> {
    type Backend = B;
    fn into_backend(self) -> Option<B> {
        self
    }
}

/// A case that failed, with its panic message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The case's name.
    pub name: &'static str,
    /// What the case reported (its panic message).
    pub message: String,
}

/// The outcome of [`run_all`] or [`run_cases`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Names of the cases that passed.
    pub passed: Vec<&'static str>,
    /// The cases that failed.
    pub failed: Vec<Failure>,
}

impl Report {
    /// Whether every case passed.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
    }

    /// Names of the cases that failed, sorted.
    pub fn failed_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.failed.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} passed, {} failed",
            self.passed.len(),
            self.failed.len()
        )?;
        for failure in &self.failed {
            writeln!(f, "FAILED {}: {}", failure.name, failure.message)?;
        }
        Ok(())
    }
}

/// Runs every case of [`CASES`] against backends made by `factory` (called once per case) and
/// reports which passed. Call it from inside a multi-thread Tokio runtime (the race cases refuse
/// a current-thread one). Each case runs in its own spawned task, so a failing case is reported
/// instead of aborting the run.
pub async fn run_all<A, F>(factory: F) -> Report
where
    F: Factory<A>,
    F::Output: DatabaseBackend,
{
    run_cases(CASES, factory).await
}

/// Like [`run_all`], for a chosen subset of the cases (e.g. `CASES` filtered by name).
pub async fn run_cases<A, F>(cases: &[Case], factory: F) -> Report
where
    F: Factory<A>,
    F::Output: DatabaseBackend,
{
    let mut report = Report::default();
    for case in cases {
        let setup = case.setup();
        let backend = factory.make(setup).await;
        let outcome = tokio::spawn(CURRENT.scope(setup, (case.run)(backend.repositories()))).await;
        drop(backend);
        match outcome {
            Ok(()) => report.passed.push(case.name),
            Err(error) => {
                let message = if error.is_panic() {
                    panic_message(error.into_panic())
                } else {
                    error.to_string()
                };
                report.failed.push(Failure {
                    name: case.name,
                    message,
                });
            }
        }
    }
    report
}

/// The text of a panic payload.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "the case panicked with a non-text payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InMemoryBackend;

    fn failing(_: Repositories) -> CaseFuture {
        Box::pin(async { panic!("the contract promised something else") })
    }

    fn passing(_: Repositories) -> CaseFuture {
        Box::pin(async {})
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn run_cases_reports_failures_with_their_message() {
        let cases = [
            Case {
                name: "good",
                run: passing,
            },
            Case {
                name: "bad",
                run: failing,
            },
        ];
        let report = run_cases(&cases, || async { InMemoryBackend::new() }).await;
        assert_eq!(report.passed, vec!["good"]);
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].name, "bad");
        assert!(report.failed[0].message.contains("promised something else"));
        assert!(!report.is_success());
    }

    #[test]
    fn case_names_are_unique() {
        let mut names: Vec<_> = CASES.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "case names must be unique");
        assert!(CASES.len() >= 100, "issue 2 requires at least 100 cases");
    }
}
