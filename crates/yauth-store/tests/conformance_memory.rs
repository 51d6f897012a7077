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
    yauth_store::conformance::run_case(
        |_repos| async { panic!("a case must not run without a backend") },
        || async { None::<yauth_store::InMemoryBackend> },
    );
}
