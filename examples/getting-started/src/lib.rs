//! `docs/getting-started.md`, compiled: this crate depends on what the guide tells an application
//! to depend on, and every Rust block of the guide is one of its doctests, so the guide cannot
//! drift from the API. `migrations/` is what `cargo yauth init --orm sqlx --dialect postgres`
//! writes, for the guide's `sqlx::migrate!`.

#![doc = include_str!("../../../docs/getting-started.md")]
