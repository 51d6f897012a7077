//! The conformance suite against the in-memory backend: one test per case.

// A test: failing loudly on a broken runtime is the point.
#![allow(clippy::expect_used)]

yauth_store::conformance_tests!(|| async { yauth_store::InMemoryBackend::new() });

/// The same cases through `run_all`, the harness-friendly entry point.
#[test]
fn run_all_reports_every_case_passing() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime.block_on(yauth_store::conformance::run_all(|| async {
        yauth_store::InMemoryBackend::new()
    }));
    assert!(report.is_success(), "{report}");
    assert_eq!(report.passed.len(), yauth_store::conformance::CASES.len());
}

/// A factory may return `Option<B>`: `None` (server unavailable) skips the case instead of
/// running it.
#[test]
fn a_factory_without_a_backend_skips_the_case() {
    let case = yauth_store::conformance::Case {
        name: "must_not_run",
        run: |_repos| Box::pin(async { panic!("a case must not run without a backend") }),
    };
    yauth_store::conformance::run_case(&case, || async { None::<yauth_store::InMemoryBackend> });
}

/// A factory may take the case's `Setup`: race cases announce their racers, others do not.
#[test]
fn a_factory_learns_which_case_it_serves() {
    use yauth_store::conformance::{CASES, POOL_SIZE, Setup, fixtures::RACERS};
    let race = CASES
        .iter()
        .find(|case| case.name == "challenges_take_race")
        .expect("the case exists");
    yauth_store::conformance::run_case(race, |setup: Setup| async move {
        assert_eq!(setup.case, "challenges_take_race");
        assert_eq!(setup.concurrency, RACERS);
        assert_eq!(setup.warm_connections(), POOL_SIZE);
        yauth_store::InMemoryBackend::new()
    });
    let plain = CASES
        .iter()
        .find(|case| case.name == "challenges_put_and_get")
        .expect("the case exists");
    yauth_store::conformance::run_case(plain, |setup: Setup| async move {
        assert!(!setup.is_race());
        assert_eq!(setup.warm_connections(), 0);
        yauth_store::InMemoryBackend::new()
    });
}
