//! The negative controls against the in-memory backend: each broken decorator must fail exactly
//! the cases that name its break, on every run.

// A test: failing loudly on a broken runtime is the point.
#![allow(clippy::expect_used)]

use yauth_store::InMemoryBackend;
use yauth_store::conformance::controls::CONTROLS;

#[test]
fn every_control_fails_exactly_its_cases() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    let mut problems = Vec::new();
    for control in CONTROLS {
        let report = runtime.block_on(control.run(|| async { InMemoryBackend::new() }));
        if let Err(problem) = control.check(&report) {
            problems.push(problem);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
