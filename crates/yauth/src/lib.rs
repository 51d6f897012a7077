//! yauth: modular, plugin-based authentication for axum.
//!
//! The library core (builder, plugins, middleware) is being built; today this crate re-exports the
//! domain types, the storage contract and the storage backends.

pub mod backends;

pub use yauth_entity as entity;
pub use yauth_store as store;
