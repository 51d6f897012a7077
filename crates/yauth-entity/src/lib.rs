//! yauth domain types.
