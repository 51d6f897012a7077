//! Routes of the core (always mounted).

pub mod core;
