//! The in-memory backend: the reference implementation of the storage contract.
//!
//! All state sits behind one lock, so every operation is atomic by construction; reads share the
//! lock. Nothing is persisted: it suits tests, prototypes and the quickstart.
//!
//! ```
//! use yauth_store::{DatabaseBackend, InMemoryBackend};
//! use yauth_entity::{User, new_id, truncate_to_micros, OffsetDateTime};
//!
//! # tokio_test_block_on(async {
//! let backend = InMemoryBackend::new();
//! let repos = backend.repositories();
//! let now = truncate_to_micros(OffsetDateTime::now_utc());
//! repos.users.create_user(&User::new(new_id(), "Ada@Example.com", now)).await.unwrap();
//! let found = repos.users.find_user_by_email("ada@example.COM").await.unwrap();
//! assert!(found.is_some());
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

// One file per repository, named as in `crate::repos` (and in every backend).
mod api_key;
mod audit;
mod bearer;
mod challenges;
mod email_password;
mod lockout;
mod magic_link;
mod maintenance;
mod mfa;
mod oauth;
mod oauth2_server;
mod oidc;
mod passkey;
mod rate_limits;
mod sealed;
mod sessions;
mod state;
mod users;
mod webhooks;

use std::sync::Arc;

use parking_lot::RwLock;

use crate::{DatabaseBackend, Repositories};
use state::State;

/// A complete backend kept in process memory. Clones share the same data.
#[derive(Clone, Default)]
pub struct InMemoryBackend {
    store: Arc<MemoryStore>,
}

impl std::fmt::Debug for InMemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryBackend").finish_non_exhaustive()
    }
}

impl InMemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The shared state; implements every repository trait.
#[derive(Default)]
pub(crate) struct MemoryStore {
    state: RwLock<State>,
}

impl DatabaseBackend for InMemoryBackend {
    fn repositories(&self) -> Repositories {
        Repositories::all(&self.store)
    }

    fn db_system(&self) -> &'static str {
        "memory"
    }
}
