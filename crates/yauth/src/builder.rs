//! Assembling yauth: the builder, its validation, and the resulting router.

use std::sync::Arc;

use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use yauth_store::{Clock, DatabaseBackend, Repositories, SystemClock};

use crate::auth::require_auth;
use crate::config::YAuthConfig;
use crate::email::EmailSender;
use crate::keyring::{KeyError, KeyRing, SecretKey};
use crate::plugin::YAuthPlugin;
use crate::state::{Inner, YAuthState};

/// The id of a built-in plugin: its name, the plugins it needs and the tables it adds. The same
/// table drives `cargo yauth`, so the library and the migrations never disagree.
pub use yauth_migration::Plugin as PluginId;

/// Why [`YAuthBuilder::build`] refused the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A setting is invalid.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// An enabled plugin needs tables (repositories) the backend does not provide.
    #[error(
        "the storage backend does not provide the tables of the {plugin} plugin ({})",
        tables.join(", ")
    )]
    MissingRepository {
        /// The plugin.
        plugin: &'static str,
        /// The tables it needs (logical names, without the table prefix).
        tables: Vec<String>,
    },
    /// An enabled plugin needs another plugin that is not enabled.
    #[error("the {plugin} plugin requires the {requires} plugin: enable it too")]
    MissingDependency {
        /// The plugin with the dependency.
        plugin: String,
        /// The plugin it needs.
        requires: &'static str,
    },
    /// A plugin names a dependency that is no yauth plugin.
    #[error("the {plugin} plugin requires {name:?}, which is not a yauth plugin (known: {known})")]
    UnknownPlugin {
        /// The plugin naming it.
        plugin: String,
        /// The unknown name.
        name: String,
        /// The known plugin names.
        known: String,
    },
    /// An enabled plugin sends email but no sender was configured.
    #[error(
        "the {plugin} plugin sends email: configure a sender with with_email_sender \
         (e.g. LogEmailSender for development, SmtpEmailSender in production)"
    )]
    MissingEmailSender {
        /// The plugin.
        plugin: &'static str,
    },
    /// An enabled plugin stores secrets, but no key ring was configured to seal them.
    #[error(
        "the {plugin} plugin stores secrets encrypted at rest: configure at least one 32-byte \
         key with with_secret_key or with_secret_key_base64 (from your secret store, never \
         from yauth.toml)"
    )]
    MissingKeyRing {
        /// The plugin.
        plugin: &'static str,
    },
    /// A configured secret key, or the key ring as a whole, is invalid.
    #[error("invalid key ring: {0}")]
    InvalidKeyRing(#[from] KeyError),
    /// Two plugins share a name.
    #[error("plugin {0:?} is registered twice")]
    DuplicatePlugin(String),
    /// A plugin's own configuration is invalid.
    #[error("invalid {plugin} configuration: {message}")]
    InvalidPluginConfig {
        /// The plugin.
        plugin: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A table (or a column) that an enabled plugin needs does not exist in the database: the
    /// migrations were not generated or not applied.
    #[error(
        "the {} needed by {plugin} does not exist in the database: {}",
        match column { Some(c) => format!("column {c} of table {table}"), None => format!("table {table}") },
        yauth_store::schema_probe::MISSING_SCHEMA_HINT
    )]
    SchemaMissing {
        /// The table, as the backend names it (prefix included).
        table: String,
        /// The missing column, when the table exists.
        column: Option<String>,
        /// The plugin that needs it (`core` for the tables every deployment has).
        plugin: &'static str,
    },
    /// The start-up schema check could not ask the database.
    #[error(
        "the start-up schema check could not query the database: {0} (turn the check off with \
         YAuthBuilder::without_schema_check if the database user may not read yauth's tables)"
    )]
    SchemaCheckFailed(yauth_store::StoreError),
}

/// A plugin waiting for the state to exist.
pub(crate) struct PendingPlugin {
    pub plugin: Arc<dyn YAuthPlugin>,
    /// The built-in plugin's id (its dependencies and tables); `None` for custom plugins.
    pub id: Option<PluginId>,
    pub sends_email: bool,
}

/// Composes yauth from a backend, a configuration and plugins.
///
/// ```
/// # #[cfg(feature = "memory-backend")] {
/// use yauth::backends::memory::InMemoryBackend;
/// use yauth::email::LogEmailSender;
/// use yauth::{YAuthBuilder, YAuthConfig};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let yauth = YAuthBuilder::new(InMemoryBackend::new(), YAuthConfig::new("http://localhost:3000"))
///     .with_email_sender(LogEmailSender)
///     .with_email_password(Default::default())
///     .build()
///     .await
///     .expect("valid configuration");
/// let app: axum::Router = axum::Router::new().nest("/api/auth", yauth.router());
/// # let _ = app;
/// # });
/// # }
/// ```
pub struct YAuthBuilder {
    repos: Repositories,
    config: YAuthConfig,
    clock: Arc<dyn Clock>,
    email: Option<Arc<dyn EmailSender>>,
    plugins: Vec<PendingPlugin>,
    secret_keys: Vec<SecretKey>,
    #[cfg(feature = "bearer")]
    bearer: Option<crate::plugins::bearer::Setup>,
    #[cfg(feature = "account-lockout")]
    lockout: Option<Arc<crate::plugins::account_lockout::Lockout>>,
    #[cfg(feature = "oauth2-server")]
    oauth2_server: Option<Arc<crate::plugins::oauth2_server::Server>>,
    #[cfg(feature = "oidc")]
    oidc: Option<Arc<crate::plugins::oidc::Provider>>,
    errors: Vec<BuildError>,
    schema_check: bool,
    #[cfg(feature = "telemetry")]
    pub(crate) meter: Option<opentelemetry::metrics::Meter>,
}

impl YAuthBuilder {
    /// Starts a builder over `backend` with `config`.
    pub fn new(backend: impl DatabaseBackend, config: YAuthConfig) -> Self {
        Self {
            #[cfg(not(feature = "telemetry"))]
            repos: backend.repositories(),
            #[cfg(feature = "telemetry")]
            repos: crate::telemetry::traced(backend.repositories(), backend.db_system()),
            config,
            clock: Arc::new(SystemClock),
            email: None,
            plugins: Vec::new(),
            secret_keys: Vec::new(),
            #[cfg(feature = "bearer")]
            bearer: None,
            #[cfg(feature = "account-lockout")]
            lockout: None,
            #[cfg(feature = "oauth2-server")]
            oauth2_server: None,
            #[cfg(feature = "oidc")]
            oidc: None,
            errors: Vec::new(),
            schema_check: true,
            #[cfg(feature = "telemetry")]
            meter: None,
        }
    }

    /// Replaces the clock (tests move time with [`yauth_store::ManualClock`]).
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets how email is sent.
    pub fn with_email_sender(mut self, sender: impl EmailSender) -> Self {
        self.email = Some(Arc::new(sender));
        self
    }

    /// Adds a key to the key ring that seals stored secrets. Keys are given oldest first: the
    /// last one added seals new values, every one opens what it sealed. `bytes` must be 32
    /// bytes; `id` names the key inside every value it seals (`a-z`, `0-9`, `-`, at most 32).
    /// A bad key makes [`build`](Self::build) fail.
    pub fn with_secret_key(self, id: impl Into<String>, bytes: &[u8]) -> Self {
        self.add_key(SecretKey::new(id, bytes))
    }

    /// [`with_secret_key`](Self::with_secret_key) from base64 (standard or URL-safe, padded or
    /// not), as an environment variable or secret manager hands it over.
    pub fn with_secret_key_base64(self, id: impl Into<String>, encoded: &str) -> Self {
        self.add_key(SecretKey::from_base64(id, encoded))
    }

    /// Adds every key of `ring`, oldest first, after any added before.
    pub fn with_key_ring(mut self, ring: KeyRing) -> Self {
        self.secret_keys.extend(ring.into_keys());
        self
    }

    fn add_key(mut self, key: Result<SecretKey, KeyError>) -> Self {
        match key {
            Ok(key) => self.secret_keys.push(key),
            Err(error) => self.errors.push(error.into()),
        }
        self
    }

    /// Adds a custom plugin; it runs after the built-in ones, in the order added.
    pub fn with_plugin(mut self, plugin: Box<dyn YAuthPlugin>) -> Self {
        self.plugins.push(PendingPlugin {
            plugin: Arc::from(plugin),
            id: None,
            sends_email: false,
        });
        self
    }

    /// The backend's repositories, for plugins to resolve theirs when they are added.
    pub(crate) fn repositories(&self) -> &Repositories {
        &self.repos
    }

    /// The core configuration, for plugins that derive settings from it when they are added.
    #[cfg_attr(not(feature = "passkey"), allow(dead_code))]
    /// The repositories, for decorators that wrap them (the Redis cache).
    #[cfg(feature = "redis")]
    pub(crate) fn repositories_mut(&mut self) -> &mut Repositories {
        &mut self.repos
    }

    /// Whether the bearer plugin was added already (it keeps the repository it was given).
    #[cfg(feature = "redis")]
    pub(crate) fn has_bearer(&self) -> bool {
        #[cfg(feature = "bearer")]
        return self.bearer.is_some();
        #[cfg(not(feature = "bearer"))]
        false
    }

    pub(crate) fn config(&self) -> &YAuthConfig {
        &self.config
    }

    pub(crate) fn add_builtin(mut self, pending: PendingPlugin) -> Self {
        self.plugins.push(pending);
        self
    }

    #[cfg(feature = "bearer")]
    pub(crate) fn set_bearer(mut self, setup: crate::plugins::bearer::Setup) -> Self {
        self.bearer = Some(setup);
        self
    }

    #[cfg(feature = "account-lockout")]
    pub(crate) fn set_lockout(
        mut self,
        lockout: Arc<crate::plugins::account_lockout::Lockout>,
    ) -> Self {
        self.lockout = Some(lockout);
        self
    }

    #[cfg(feature = "oauth2-server")]
    pub(crate) fn set_oauth2_server(
        mut self,
        server: Arc<crate::plugins::oauth2_server::Server>,
    ) -> Self {
        self.oauth2_server = Some(server);
        self
    }

    #[cfg(feature = "oidc")]
    pub(crate) fn set_oidc(mut self, provider: Arc<crate::plugins::oidc::Provider>) -> Self {
        self.oidc = Some(provider);
        self
    }

    /// Skips the start-up schema check, which selects the columns of every table of the enabled
    /// plugins from no rows (one cheap query per table) and refuses to build when one is missing.
    /// For deployments whose database user may not run such queries at start-up.
    pub fn without_schema_check(mut self) -> Self {
        self.schema_check = false;
        self
    }

    pub(crate) fn add_error(mut self, error: BuildError) -> Self {
        self.errors.push(error);
        self
    }

    /// Validates everything and assembles yauth. Never panics: every problem is a
    /// [`BuildError`]. Starts the background purge of expired rows when configured (so it must
    /// run inside a Tokio runtime).
    pub async fn build(self) -> Result<YAuth, BuildError> {
        if let Some(error) = self.errors.into_iter().next() {
            return Err(error);
        }
        let derived = self.config.validate()?;
        check_plugins(&self.plugins, &self.repos)?;
        let key_ring = match self.secret_keys.is_empty() {
            true => None,
            false => Some(Arc::new(KeyRing::new(self.secret_keys)?)),
        };
        check_secrets(&self.plugins, &self.repos, key_ring.is_some())?;
        if self.schema_check {
            check_schema(&self.plugins, &self.repos).await?;
        }
        for pending in &self.plugins {
            if pending.sends_email && self.email.is_none() {
                return Err(BuildError::MissingEmailSender {
                    plugin: pending.plugin.name(),
                });
            }
        }
        let plugins: Vec<Arc<dyn YAuthPlugin>> =
            self.plugins.into_iter().map(|p| p.plugin).collect();
        let authenticators = plugins.iter().filter_map(|p| p.authenticator()).collect();
        #[cfg(feature = "bearer")]
        let tokens = match self.bearer {
            Some(setup) => Some(Arc::new(setup.into_tokens(
                self.config.base_url.trim_end_matches('/'),
                key_ring.as_ref(),
                self.clock.clone(),
            )?)),
            None => None,
        };
        #[cfg(feature = "oidc")]
        if self.oidc.is_some() {
            crate::plugins::oidc::check_provider(self.oauth2_server.as_deref(), tokens.as_deref())?;
        }
        let purge_interval = self.config.purge_interval;
        let reencrypt_interval = self.config.reencrypt_interval;
        let state = YAuthState::new(Inner {
            repos: self.repos,
            config: self.config,
            derived,
            clock: self.clock,
            email: self
                .email
                .unwrap_or_else(|| Arc::new(crate::email::LogEmailSender)),
            plugins,
            authenticators,
            key_ring,
            #[cfg(feature = "telemetry")]
            metrics: crate::telemetry::Metrics::new(
                &self
                    .meter
                    .unwrap_or_else(|| opentelemetry::global::meter(crate::telemetry::SCOPE)),
            ),
            #[cfg(feature = "bearer")]
            tokens,
            #[cfg(feature = "account-lockout")]
            lockout: self.lockout,
            #[cfg(feature = "oauth2-server")]
            oauth2_server: self.oauth2_server,
            #[cfg(feature = "oauth2-server")]
            id_tokens: id_tokens(
                #[cfg(feature = "oidc")]
                self.oidc,
            ),
        });
        let (router, openapi) = assemble(&state);
        let purge = purge_interval.map(|every| crate::purge::spawn(state.clone(), every));
        let reencryption =
            reencrypt_interval.and_then(|every| crate::purge::spawn_reencryption(&state, every));
        let plugin_tasks = state
            .plugins()
            .iter()
            .flat_map(|plugin| plugin.background_tasks(&state))
            .map(crate::purge::spawn_plugin_task)
            .collect();
        Ok(YAuth {
            state,
            router,
            openapi,
            _purge: purge,
            _reencryption: reencryption,
            _plugin_tasks: plugin_tasks,
        })
    }
}

/// Refuses duplicate plugins, missing or unknown dependencies, and backends without a plugin's
/// tables. Dependencies and tables come from [`PluginId`], the table `cargo yauth` uses too.
fn check_plugins(plugins: &[PendingPlugin], repos: &Repositories) -> Result<(), BuildError> {
    let mut names = std::collections::HashSet::new();
    for pending in plugins {
        let name = pending.plugin.name();
        if !names.insert(name) {
            return Err(BuildError::DuplicatePlugin(name.to_owned()));
        }
    }
    let enabled: Vec<PluginId> = plugins.iter().filter_map(|p| p.id).collect();
    for pending in plugins {
        let name = pending.plugin.name();
        let mut requires: Vec<PluginId> = pending
            .id
            .map(|id| id.requires().to_vec())
            .unwrap_or_default();
        for wanted in pending.plugin.requires() {
            let id = wanted
                .parse::<PluginId>()
                .map_err(|_| BuildError::UnknownPlugin {
                    plugin: name.to_owned(),
                    name: (*wanted).to_owned(),
                    known: PluginId::ALL.map(PluginId::name).join(", "),
                })?;
            requires.push(id);
        }
        if let Some(missing) = requires.into_iter().find(|r| !enabled.contains(r)) {
            return Err(BuildError::MissingDependency {
                plugin: name.to_owned(),
                requires: missing.name(),
            });
        }
        if let Some(id) = pending.id
            && !backend_provides(repos, id)
        {
            return Err(BuildError::MissingRepository {
                plugin: name,
                tables: id.tables(),
            });
        }
    }
    Ok(())
}

/// Refuses to build when a table or column of the core or of an enabled plugin does not exist,
/// naming it and the fix. Backends without an SQL schema are not checked.
async fn check_schema(plugins: &[PendingPlugin], repos: &Repositories) -> Result<(), BuildError> {
    let enabled: Vec<PluginId> = plugins.iter().filter_map(|p| p.id).collect();
    for (plugin, table) in yauth_migration::tables_for(&enabled) {
        let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let missing = yauth_store::schema_probe::find_missing(
            repos.maintenance.as_ref(),
            &table.name,
            &columns,
        )
        .await
        .map_err(BuildError::SchemaCheckFailed)?;
        if let Some(missing) = missing {
            return Err(BuildError::SchemaMissing {
                table: missing.table,
                column: missing.column,
                plugin: plugin.map_or("core", PluginId::name),
            });
        }
    }
    Ok(())
}

/// Refuses plugins that store secrets without a key ring to seal them, or over a backend that
/// cannot rewrite sealed values (which key rotation needs).
fn check_secrets(
    plugins: &[PendingPlugin],
    repos: &Repositories,
    has_key_ring: bool,
) -> Result<(), BuildError> {
    for id in plugins.iter().filter_map(|p| p.id) {
        if !crate::keyring::stores_secrets(id) {
            continue;
        }
        if !has_key_ring {
            return Err(BuildError::MissingKeyRing { plugin: id.name() });
        }
        if repos.sealed.is_none() {
            return Err(BuildError::MissingRepository {
                plugin: id.name(),
                tables: vec!["sealed values (SealedValueRepository)".to_owned()],
            });
        }
    }
    Ok(())
}

/// Whether the backend has the repository of a plugin. A plugin with tables that the backend
/// does not even list is missing, never silently present.
fn backend_provides(repos: &Repositories, id: PluginId) -> bool {
    id.tables().is_empty()
        || repos
            .plugin_support()
            .into_iter()
            .any(|(name, present)| name == id.name() && present)
}

/// Public routes as they are; protected routes (the core's and every plugin's) behind the auth
/// middleware.
fn assemble(state: &YAuthState) -> (Router, OpenApi) {
    let mut public = OpenApiRouter::new();
    let mut protected =
        crate::routes::core::router(state).merge(crate::routes::activity::router(state));
    for plugin in state.plugins() {
        public = public.merge(plugin.public_routes(state));
        protected = protected.merge(plugin.protected_routes(state));
    }
    let protected = crate::openapi::require_authentication(protected, state).route_layer(
        axum::middleware::from_fn_with_state(state.clone(), require_auth),
    );
    let (router, mut openapi) = OpenApiRouter::with_openapi(crate::openapi::base_document())
        .merge(public)
        .merge(protected)
        .split_for_parts();
    #[cfg(feature = "telemetry")]
    let router = router.layer(axum::middleware::from_fn(crate::telemetry::trace_request));
    crate::openapi::finish(&mut openapi, state);
    (router, openapi)
}

/// Assembled yauth: its router, OpenAPI document and state.
pub struct YAuth {
    state: YAuthState,
    router: Router,
    openapi: OpenApi,
    _purge: Option<crate::purge::RunningTask>,
    _reencryption: Option<crate::purge::RunningTask>,
    _plugin_tasks: Vec<crate::purge::RunningTask>,
}

impl std::fmt::Debug for YAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YAuth")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl YAuth {
    /// The routes, to nest under a prefix such as `/api/auth`. Serve the app with
    /// `into_make_service_with_connect_info::<SocketAddr>()` so yauth sees client addresses
    /// (rate limits, session binding).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The OpenAPI 3.1 document, derived from the very routes [`router`](Self::router) serves.
    pub fn openapi(&self) -> &OpenApi {
        &self.openapi
    }

    /// The shared state (for custom handlers and plugins).
    pub fn state(&self) -> &YAuthState {
        &self.state
    }

    /// Seals again, under the key ring's current key, every stored secret of the enabled plugins
    /// that an older key sealed. Safe to interrupt and to run on several replicas at once; see
    /// [`Reencryption`](crate::keyring::Reencryption). Without a key ring there is nothing to do.
    pub async fn reencrypt_sealed_values(
        &self,
    ) -> yauth_store::StoreResult<crate::keyring::ReencryptionReport> {
        match self.state.reencryption() {
            Some(job) => job.run().await,
            None => Ok(Default::default()),
        }
    }

    /// How many stored secrets of the enabled plugins are still sealed under `key_id`. When it is
    /// 0, that key can be removed from the configuration.
    pub async fn sealed_values_under(&self, key_id: &str) -> yauth_store::StoreResult<u64> {
        match self.state.reencryption() {
            Some(job) => job.values_under(key_id).await,
            None => Ok(0),
        }
    }

    /// The public keys that verify access tokens, as a JSON Web Key Set: the signing key and
    /// every retired key that may still verify a live token. Serve it to resource servers that
    /// verify tokens themselves (the oidc plugin serves it at its `jwks_uri`).
    #[cfg(feature = "bearer")]
    pub async fn jwks(
        &self,
    ) -> Result<crate::plugins::bearer::Jwks, crate::plugins::bearer::SignerError> {
        match self.state.tokens() {
            Some(tokens) => tokens.jwks().await,
            None => Ok(Default::default()),
        }
    }

    /// Checks the tamper-evident audit trail: every chain from its first row (see
    /// [`audit_chain`](yauth_store::audit_chain)). The report names the first row found edited
    /// or the first gap left by a removed one. Run it on a schedule, and keep the reports
    /// outside the database.
    pub async fn verify_audit_chain(
        &self,
    ) -> yauth_store::StoreResult<yauth_store::audit_chain::ChainReport> {
        yauth_store::audit_chain::verify(self.state.repos().audit.as_ref()).await
    }

    /// Puts `router` behind yauth's auth middleware: its handlers can take [`crate::AuthUser`].
    pub fn protect<S: Clone + Send + Sync + 'static>(&self, router: Router<S>) -> Router<S> {
        router.route_layer(axum::middleware::from_fn_with_state(
            self.state.clone(),
            require_auth,
        ))
    }
}

/// The oidc plugin's provider as the authorization server sees it, when it is enabled.
#[cfg(feature = "oauth2-server")]
fn id_tokens(
    #[cfg(feature = "oidc")] provider: Option<Arc<crate::plugins::oidc::Provider>>,
) -> Option<Arc<dyn crate::plugins::oauth2_server::IdTokenIssuer>> {
    #[cfg(feature = "oidc")]
    return provider.map(|p| p as Arc<dyn crate::plugins::oauth2_server::IdTokenIssuer>);
    #[cfg(not(feature = "oidc"))]
    None
}
