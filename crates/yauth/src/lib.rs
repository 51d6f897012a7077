//! yauth: modular, plugin-based authentication for axum.
//!
//! The library core (builder, plugins, middleware) is being built; today this crate re-exports the
//! domain types and the storage contract.

pub use yauth_entity as entity;
pub use yauth_store as store;
