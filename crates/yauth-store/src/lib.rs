//! The yauth storage contract.
//!
//! Everything yauth stores goes through the repository traits of this crate. A backend implements
//! them and hands them to the library through [`DatabaseBackend`]:
//!
//! - [`repos`]: one trait per plugin, object-safe, async, returning [`StoreResult`];
//! - [`StoreError`]: `Conflict { constraint }` (with the stable names of [`constraint`]),
//!   `NotFound`, `Unavailable` (maps to HTTP 503) and `Internal`;
//! - time is always passed in (`now` parameters); the library reads a [`Clock`];
//! - [`InMemoryBackend`]: the reference implementation;
//! - the conformance suite (feature `conformance`): the cases every backend must pass.
//!
//! # Atomicity
//!
//! Every single-use token (password reset, email verification, magic link, unlock token, backup
//! code, OAuth state, authorization code, device-code approval) is consumed by one atomic operation
//! that returns the row to exactly one caller. Refresh-token rotation, rate-limit hits and
//! failed-login counters are atomic too. A backend implements each as one statement
//! (`UPDATE ... RETURNING`, `DELETE ... RETURNING`, `INSERT ... ON CONFLICT`) or one transaction
//! with the right locking; never as a read followed by a write.
//!
//! # Writing a backend
//!
//! Implement the traits of [`repos`], return them from [`DatabaseBackend::repositories`], then run
//! the conformance suite from your crate's tests. Add to `Cargo.toml`:
//!
//! ```toml
//! [dev-dependencies]
//! yauth-store = { version = "0.1", features = ["conformance"] }
//! ```
//!
//! and in `tests/conformance.rs`, one line generates one `#[test]` per case. The expression is a
//! closure returning a future that yields a fresh backend; it is called once per case, on the
//! case's own Tokio runtime:
//!
//! ```ignore
//! yauth_store::conformance_tests!(|| async { my_backend::MyBackend::connect_for_tests().await });
//! ```
//!
//! Cases create their own rows with unique emails and tokens, so a backend may hand every case
//! the same database. The factory may also return `Option<Backend>`: `None` (the test server is
//! unavailable) skips the case with a notice. To run the suite from your own harness instead, call
//! `yauth_store::conformance::run_all(factory)`, which returns a report of every case.

pub mod audit_chain;
pub mod backend;
pub mod clock;
pub mod constraint;
pub mod error;
pub mod memory;
pub mod query;
pub mod repos;
pub mod schema_probe;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use backend::{DatabaseBackend, Repositories, require};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{StoreError, StoreResult};
pub use memory::InMemoryBackend;
pub use query::{AuditQuery, Page, PageRequest, PurgeReport, RateDecision, UserQuery, escape_like};
pub use repos::*;
