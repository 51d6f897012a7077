//! Who signs access tokens: the [`TokenSigner`] trait, and the local signer that keeps rotating
//! keys in the `signing_keys` table, sealed by the key ring.

use std::sync::Arc;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use yauth_entity::SigningKey;
use yauth_store::{BearerRepository, Clock, SealedColumn};

use super::keys::{Jwk, KeyMaterialError, PrivateKey, SigningAlgorithm};
use crate::keyring::{KeyRing, SealedPlace};

/// Why a signer could not sign or list its keys. Requests that need it answer 503.
#[derive(Debug, Clone, thiserror::Error)]
#[error("token signer: {0}")]
pub struct SignerError(pub String);

impl SignerError {
    fn from_display(error: impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}

impl From<KeyMaterialError> for SignerError {
    fn from(error: KeyMaterialError) -> Self {
        Self::from_display(error)
    }
}

impl From<yauth_store::StoreError> for SignerError {
    fn from(error: yauth_store::StoreError) -> Self {
        Self::from_display(error)
    }
}

/// The key that signs the next token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentKey {
    /// Its id, written as the token's `kid`.
    pub kid: String,
    /// Its algorithm, written as the token's `alg`.
    pub algorithm: SigningAlgorithm,
}

/// Signs access tokens. yauth never needs the private key itself: an implementation can sign in
/// an external KMS or a Vault-like service, and the local signer ([`LocalKeySigner`], the
/// default) implements this same trait.
///
/// ```
/// use async_trait::async_trait;
/// use yauth::plugins::bearer::{CurrentKey, Jwk, SignerError, SigningAlgorithm, TokenSigner};
///
/// /// Signs through a remote service (the calls are left out).
/// struct RemoteSigner;
///
/// #[async_trait]
/// impl TokenSigner for RemoteSigner {
///     async fn current_key(&self) -> Result<CurrentKey, SignerError> {
///         Ok(CurrentKey { kid: "kms-key-7".into(), algorithm: SigningAlgorithm::ES256 })
///     }
///     async fn sign(&self, kid: &str, message: &[u8]) -> Result<Vec<u8>, SignerError> {
///         Err(SignerError(format!("no KMS in this example ({kid}, {} bytes)", message.len())))
///     }
///     async fn public_keys(&self) -> Result<Vec<Jwk>, SignerError> {
///         Ok(Vec::new())
///     }
/// }
/// ```
#[async_trait]
pub trait TokenSigner: Send + Sync + 'static {
    /// The key to sign the next token with. Called once per token.
    async fn current_key(&self) -> Result<CurrentKey, SignerError>;

    /// The signature of `message` (the JWS signing input) by key `kid`, in JWS form: 64 bytes
    /// `r || s` for ES256, the raw signature for EdDSA and RS256.
    async fn sign(&self, kid: &str, message: &[u8]) -> Result<Vec<u8>, SignerError>;

    /// Every public key that may still verify a live token: the current one and each retired
    /// one until the last token it signed has expired. Published as the JWKS; the verifier
    /// caches it and asks again on an unknown `kid`.
    async fn public_keys(&self) -> Result<Vec<Jwk>, SignerError>;
}

/// How long a process keeps what it read from `signing_keys` before reading again. A key
/// created or retired by another replica is seen within this time.
pub(crate) const KEY_CACHE_TTL: Duration = Duration::seconds(60);

/// The local signer: keys generated here, stored in `signing_keys` with the private key sealed
/// by the key ring (bound to the table, column and `kid`), rotated on a schedule.
///
/// The newest unretired key signs. When it is older than the rotation interval, or of another
/// algorithm than configured, a new key is created and the others are retired: a retired key
/// stops signing but stays published until every token it may have signed has expired (the
/// access-token lifetime, plus the leeway, plus the time another replica may keep signing with
/// it from its cache), and the purge then deletes it. Several replicas may rotate at once; each
/// creates a key, the newest signs, and none is removed early.
pub struct LocalKeySigner {
    repo: Arc<dyn BearerRepository>,
    ring: Arc<KeyRing>,
    clock: Arc<dyn Clock>,
    algorithm: SigningAlgorithm,
    rotate_every: Duration,
    keep_retired_for: Duration,
    cache: tokio::sync::Mutex<Option<Loaded>>,
}

struct Loaded {
    loaded_at: OffsetDateTime,
    /// When the signing key is due for rotation.
    rotate_at: OffsetDateTime,
    signing: Arc<(CurrentKey, PrivateKey)>,
    /// The key that signed before the last reload, so a token whose header names it (a reload
    /// happened between `current_key` and `sign`) is still signed.
    previous: Option<Arc<(CurrentKey, PrivateKey)>>,
    public: Vec<Jwk>,
}

type Keys = (
    Arc<(CurrentKey, PrivateKey)>,
    Option<Arc<(CurrentKey, PrivateKey)>>,
    Vec<Jwk>,
);

impl std::fmt::Debug for LocalKeySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalKeySigner")
            .field("algorithm", &self.algorithm)
            .field("rotate_every", &self.rotate_every)
            .finish_non_exhaustive()
    }
}

impl LocalKeySigner {
    /// A signer over the bearer repository, sealing keys with `ring`. `keep_retired_for` must
    /// cover the lifetime of the tokens a key signs.
    pub(crate) fn new(
        repo: Arc<dyn BearerRepository>,
        ring: Arc<KeyRing>,
        clock: Arc<dyn Clock>,
        algorithm: SigningAlgorithm,
        rotate_every: Duration,
        keep_retired_for: Duration,
    ) -> Self {
        Self {
            repo,
            ring,
            clock,
            algorithm,
            rotate_every,
            keep_retired_for: keep_retired_for + KEY_CACHE_TTL,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// The loaded keys, read again (and rotated if due) when the cache is stale.
    async fn loaded(&self) -> Result<Keys, SignerError> {
        let now = self.clock.now();
        let mut cache = self.cache.lock().await;
        let stale = cache
            .as_ref()
            .is_none_or(|c| now - c.loaded_at >= KEY_CACHE_TTL || now >= c.rotate_at);
        if stale {
            let previous = cache.take().map(|c| c.signing);
            let mut loaded = self.load(now).await?;
            loaded.previous = previous.filter(|p| p.0.kid != loaded.signing.0.kid);
            *cache = Some(loaded);
        }
        let loaded = cache
            .as_ref()
            .ok_or_else(|| SignerError("signing keys not loaded".into()))?;
        Ok((
            loaded.signing.clone(),
            loaded.previous.clone(),
            loaded.public.clone(),
        ))
    }

    async fn load(&self, now: OffsetDateTime) -> Result<Loaded, SignerError> {
        let mut keys = self.repo.list_signing_keys(now).await?;
        let newest = keys.iter().find(|k| k.retired_at.is_none_or(|at| at > now));
        let fresh = newest.is_some_and(|k| {
            k.algorithm == self.algorithm.name() && now - k.created_at < self.rotate_every
        });
        if !fresh {
            let created = self.create_key(now).await?;
            for old in keys.iter().filter(|k| k.retired_at.is_none()) {
                self.repo
                    .retire_signing_key(&old.kid, now, now + self.keep_retired_for)
                    .await?;
            }
            keys = self.repo.list_signing_keys(now).await?;
            if !keys.iter().any(|k| k.kid == created) {
                return Err(SignerError(format!(
                    "key {created} vanished after creation"
                )));
            }
        }
        let signer = keys
            .iter()
            .find(|k| k.retired_at.is_none_or(|at| at > now))
            .ok_or_else(|| SignerError("no unretired signing key".into()))?;
        let private = self.open(signer)?;
        let public = keys
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.public_jwk.clone()).ok())
            .collect();
        Ok(Loaded {
            loaded_at: now,
            rotate_at: signer.created_at + self.rotate_every,
            previous: None,
            signing: Arc::new((
                CurrentKey {
                    kid: signer.kid.clone(),
                    algorithm: private.algorithm(),
                },
                private,
            )),
            public,
        })
    }

    fn open(&self, key: &SigningKey) -> Result<PrivateKey, SignerError> {
        let algorithm = SigningAlgorithm::from_name(&key.algorithm).ok_or_else(|| {
            SignerError(format!("key {} has algorithm {}", key.kid, key.algorithm))
        })?;
        let place = SealedPlace::new(SealedColumn::SigningKey, &key.kid);
        let bytes = self
            .ring
            .open(&place, &key.private_key_enc)
            .map_err(SignerError::from_display)?;
        Ok(PrivateKey::from_bytes(algorithm, &bytes)?)
    }

    /// Generates, seals and stores a new key; returns its kid.
    async fn create_key(&self, now: OffsetDateTime) -> Result<String, SignerError> {
        let algorithm = self.algorithm;
        // RSA key generation takes long enough to stall a runtime thread.
        let private = tokio::task::spawn_blocking(move || PrivateKey::generate(algorithm))
            .await
            .map_err(SignerError::from_display)??;
        let kid = new_kid();
        let place = SealedPlace::new(SealedColumn::SigningKey, &kid);
        let sealed = self.ring.seal(&place, &private.to_bytes()?);
        let jwk = private.public_jwk(&kid);
        let row = SigningKey {
            kid: kid.clone(),
            algorithm: algorithm.name().to_owned(),
            private_key_enc: sealed,
            public_jwk: serde_json::to_value(&jwk).map_err(SignerError::from_display)?,
            created_at: now,
            retired_at: None,
            expires_at: None,
        };
        self.repo.create_signing_key(&row).await?;
        tracing::info!(kid, algorithm = algorithm.name(), "created a signing key");
        Ok(kid)
    }
}

/// A key id: 128 random bits, base64url (22 characters), so ids never collide across replicas.
fn new_kid() -> String {
    use base64::Engine;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[async_trait]
impl TokenSigner for LocalKeySigner {
    async fn current_key(&self) -> Result<CurrentKey, SignerError> {
        Ok(self.loaded().await?.0.0.clone())
    }

    async fn sign(&self, kid: &str, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        let (signing, previous, _) = self.loaded().await?;
        let key = [Some(signing), previous]
            .into_iter()
            .flatten()
            .find(|k| k.0.kid == kid)
            .ok_or_else(|| SignerError(format!("key {kid} no longer signs")))?;
        Ok(key.1.sign(message))
    }

    async fn public_keys(&self) -> Result<Vec<Jwk>, SignerError> {
        Ok(self.loaded().await?.2)
    }
}
