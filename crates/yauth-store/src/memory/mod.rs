//! placeholder
pub struct InMemoryBackend;
