//! The yauth storage contract.
