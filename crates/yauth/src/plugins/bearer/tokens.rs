//! The token service: issues access and refresh tokens, rotates refresh tokens, revokes, and
//! verifies access tokens on the hot path against cached public keys.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;
use yauth_entity::{JtiRevocation, RefreshToken, User, new_id};
use yauth_store::{
    BearerRepository, Clock, RefreshTokenSeed, RotateOutcome, StoreResult, UserRepository,
};

use super::config::{BearerConfig, TokenFormat};
use super::jwt::{self, AccessClaims, Audience, Expectations, TokenError};
use super::keys::{Jwks, VerifyingKey};
use super::signer::{KEY_CACHE_TTL, SignerError, TokenSigner};
use super::verified::{self, VerifiedTokens};
use crate::crypto::{hash_token, random_token};
use crate::error::ApiError;

#[cfg(feature = "oauth2-server")]
mod client_grants;
#[cfg(feature = "oauth2-server")]
pub(crate) use client_grants::{ClientRefreshRefusal, UserGrant};

/// An access token and the refresh token that renews it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    /// The access token (a JWT), for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The refresh token: opaque, single use, exchanged at `/token/refresh` for a new pair.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_token_expires_in: i64,
}

/// How an access token was obtained, for the claims.
pub(crate) struct Grant<'a> {
    /// The `sub`: a user id, or the client itself for client credentials.
    pub subject: String,
    /// The client the token is issued to; `None` for yauth's own (`BearerConfig::client_id`).
    pub client_id: Option<&'a str>,
    pub scopes: Option<Vec<String>>,
    /// The sign-in time and methods, on tokens issued by a sign-in.
    pub sign_in: Option<(OffsetDateTime, Vec<String>)>,
}

/// Issues, rotates, revokes and verifies tokens. One per `YAuth`.
pub(crate) struct Tokens {
    config: BearerConfig,
    issuer: String,
    audience: String,
    repo: Arc<dyn BearerRepository>,
    signer: Arc<dyn TokenSigner>,
    clock: Arc<dyn Clock>,
    verifiers: RwLock<VerifierCache>,
    verified: VerifiedTokens,
    refetch: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct VerifierCache {
    fetched_at: Option<OffsetDateTime>,
    by_kid: HashMap<String, Arc<VerifyingKey>>,
}

/// An unknown `kid` makes the verifier read the keys again at most this often, so tokens with
/// made-up key ids cannot turn every request into a key fetch.
const UNKNOWN_KID_REFETCH: Duration = Duration::seconds(5);

impl Tokens {
    pub fn new(
        config: BearerConfig,
        base_url: &str,
        repo: Arc<dyn BearerRepository>,
        signer: Arc<dyn TokenSigner>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let issuer = config.issuer.clone().unwrap_or_else(|| base_url.to_owned());
        let audience = config
            .audience
            .clone()
            .unwrap_or_else(|| base_url.to_owned());
        Self {
            config,
            issuer,
            audience,
            repo,
            signer,
            clock,
            verifiers: RwLock::new(VerifierCache::default()),
            verified: VerifiedTokens::default(),
            refetch: tokio::sync::Mutex::new(()),
        }
    }

    pub fn config(&self) -> &BearerConfig {
        &self.config
    }

    /// How long after issue an access token may still verify.
    fn access_lifetime(&self) -> Duration {
        self.config.access_token_ttl + self.config.leeway
    }

    /// A new refresh family and its first pair, for a completed sign-in.
    pub async fn issue_for_sign_in(
        &self,
        user: &User,
        amr: &[&'static str],
        authenticated_at: OffsetDateTime,
    ) -> Result<TokenPair, ApiError> {
        let now = self.clock.now();
        let refresh = random_token();
        let row = RefreshToken {
            id: new_id(),
            user_id: user.id,
            token_hash: hash_token(&refresh),
            family_id: new_id(),
            client_id: None,
            scopes: None,
            expires_at: now + self.config.refresh_token_ttl,
            revoked: false,
            created_at: now,
        };
        self.repo.create_refresh_token(&row).await?;
        let grant = Grant {
            subject: user.id.to_string(),
            client_id: None,
            scopes: None,
            sign_in: Some((
                authenticated_at,
                amr.iter().map(|m| (*m).to_owned()).collect(),
            )),
        };
        let access = self.sign_access_token(&grant, row.id, now).await?;
        Ok(self.pair(access, refresh))
    }

    fn pair(&self, access_token: String, refresh_token: String) -> TokenPair {
        TokenPair {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in: self.config.access_token_ttl.whole_seconds(),
            refresh_token,
            refresh_token_expires_in: self.config.refresh_token_ttl.whole_seconds(),
        }
    }

    /// Signs an access token whose `jti` is `jti` (the id of the refresh token issued with it).
    async fn sign_access_token(
        &self,
        grant: &Grant<'_>,
        jti: Uuid,
        now: OffsetDateTime,
    ) -> Result<String, ApiError> {
        let iat = now.unix_timestamp();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            sub: grant.subject.clone(),
            aud: Audience::One(self.audience.clone()),
            exp: iat + self.config.access_token_ttl.whole_seconds(),
            iat,
            nbf: iat,
            jti: jti.to_string(),
            client_id: grant
                .client_id
                .map_or_else(|| self.config.client_id.clone(), str::to_owned),
            scope: grant.scopes.as_ref().map(|s| s.join(" ")),
            auth_time: grant.sign_in.as_ref().map(|(at, _)| at.unix_timestamp()),
            amr: grant.sign_in.as_ref().map(|(_, amr)| amr.clone()),
        };
        let key = self
            .signer
            .current_key()
            .await
            .map_err(signer_unavailable)?;
        match self.config.format {
            TokenFormat::Jwt => {
                let input = jwt::signing_input(key.algorithm.name(), &key.kid, &claims);
                let signature = self.sign(&key.kid, input.as_bytes()).await?;
                Ok(jwt::assemble(&input, &signature))
            }
            #[cfg(feature = "paseto")]
            TokenFormat::PasetoV4Public => {
                if key.algorithm != super::keys::SigningAlgorithm::EdDSA {
                    return Err(signer_unavailable(SignerError(format!(
                        "PASETO v4.public needs an Ed25519 key; {} is {}",
                        key.kid,
                        key.algorithm.name()
                    ))));
                }
                let parts = super::paseto::to_sign(&claims, &key.kid);
                let signature = self.sign(&key.kid, &parts.input).await?;
                Ok(super::paseto::assemble(parts, &signature))
            }
        }
    }

    #[cfg(feature = "oidc")]
    /// Signs an id_token with the current key, as a JWT whatever the format of access tokens.
    /// `claims` gets the key's algorithm, on which `at_hash` depends.
    pub async fn sign_id_token<C: Serialize>(
        &self,
        claims: impl FnOnce(super::keys::SigningAlgorithm) -> C,
    ) -> Result<String, ApiError> {
        let key = self
            .signer
            .current_key()
            .await
            .map_err(signer_unavailable)?;
        let claims = claims(key.algorithm);
        let input =
            jwt::typed_signing_input(key.algorithm.name(), &key.kid, jwt::ID_TOKEN_TYPE, &claims);
        let signature = self.sign(&key.kid, input.as_bytes()).await?;
        Ok(jwt::assemble(&input, &signature))
    }

    #[cfg(feature = "oidc")]
    /// The user and client of an id_token this service signed (its signature, `typ` and
    /// issuer), expired or not: an `id_token_hint` (OpenID Connect RP-Initiated Logout 1.0
    /// §2 lets a provider accept expired ones).
    /// `None` for a token that is not one.
    pub async fn verify_id_token_hint(
        &self,
        token: &str,
    ) -> Result<Option<(String, Audience)>, ApiError> {
        match self.read_id_token(token).await {
            Ok(hint) => Ok(Some(hint)),
            Err(VerifyError::Token(kind)) => {
                tracing::debug!(%kind, "id_token_hint refused");
                Ok(None)
            }
            Err(other) => Err(other.into()),
        }
    }

    #[cfg(feature = "oidc")]
    async fn read_id_token(&self, token: &str) -> Result<(String, Audience), VerifyError> {
        #[derive(Deserialize)]
        struct Hint {
            iss: String,
            sub: String,
            aud: Audience,
        }
        let unverified = jwt::parse_typed(token, jwt::ID_TOKEN_TYPE)?;
        let key = self.verifier(&unverified.kid, self.clock.now()).await?;
        let hint: Hint = unverified.verified_claims(&key)?;
        if hint.iss != self.issuer {
            return Err(TokenError::WrongIssuer.into());
        }
        Ok((hint.sub, hint.aud))
    }

    #[cfg(feature = "oidc")]
    /// The algorithm of the key that signs now, for the OpenID Provider's metadata.
    pub async fn signing_algorithm(&self) -> Result<super::keys::SigningAlgorithm, SignerError> {
        Ok(self.signer.current_key().await?.algorithm)
    }

    async fn sign(&self, kid: &str, message: &[u8]) -> Result<Vec<u8>, ApiError> {
        self.signer
            .sign(kid, message)
            .await
            .map_err(signer_unavailable)
    }

    /// Exchanges a refresh token for a new pair. The old token is consumed atomically; a token
    /// that was already consumed revokes its whole family (and the family's live access
    /// tokens). The owner is read, so a banned or deleted user cannot refresh.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        users: &dyn UserRepository,
    ) -> Result<TokenPair, ApiError> {
        let now = self.clock.now();
        // A token issued to an OAuth client is refreshed at the authorization server's token
        // endpoint, by that client, never here into a first-party token.
        let found = self
            .repo
            .find_refresh_token(&hash_token(refresh_token))
            .await?;
        if found.is_none_or(|t| t.client_id.is_some()) {
            return Err(invalid_refresh_token());
        }
        let refresh = random_token();
        let seed = RefreshTokenSeed {
            id: new_id(),
            token_hash: hash_token(&refresh),
            expires_at: now + self.config.refresh_token_ttl,
            created_at: now,
        };
        let outcome = self
            .repo
            .rotate_refresh_token(&hash_token(refresh_token), &seed, now)
            .await?;
        match outcome {
            RotateOutcome::Rotated { previous, issued } => {
                let user = users.find_user(previous.user_id).await?;
                let Some(user) = user.filter(|u| !u.is_banned_at(now)) else {
                    self.revoke_family(previous.user_id, previous.family_id, now)
                        .await?;
                    return Err(invalid_refresh_token());
                };
                let scopes = scopes_of(issued.scopes.as_ref());
                let grant = Grant {
                    subject: user.id.to_string(),
                    client_id: None,
                    scopes,
                    sign_in: None,
                };
                let access = self.sign_access_token(&grant, issued.id, now).await?;
                Ok(self.pair(access, refresh))
            }
            RotateOutcome::Reused { family_id, user_id } => {
                tracing::warn!(%user_id, %family_id, "refresh token reused: family revoked");
                self.revoke_live_access_tokens(user_id, Some(family_id), now)
                    .await?;
                Err(ApiError::unauthorized_with(
                    "refresh_token_reused",
                    "This refresh token was already used; every token of its sign-in is \
                     revoked. Sign in again.",
                ))
            }
            RotateOutcome::Invalid => Err(invalid_refresh_token()),
        }
    }

    /// Revokes the family of `refresh_token` if `user_id` owns it (RFC 7009: unknown tokens and
    /// other users' tokens are ignored, the answer is the same).
    pub async fn revoke(&self, user_id: Uuid, refresh_token: &str) -> Result<(), ApiError> {
        let now = self.clock.now();
        let Some(token) = self
            .repo
            .find_refresh_token(&hash_token(refresh_token))
            .await?
        else {
            return Ok(());
        };
        if token.user_id != user_id {
            return Ok(());
        }
        self.revoke_family(user_id, token.family_id, now).await?;
        Ok(())
    }

    async fn revoke_family(
        &self,
        user_id: Uuid,
        family_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.repo.revoke_refresh_family(family_id).await?;
        self.revoke_live_access_tokens(user_id, Some(family_id), now)
            .await
    }

    /// Revokes every refresh family of a user and puts the user's live access tokens on the
    /// revocation list (logout, password change, ban, admin termination).
    pub async fn revoke_user(&self, user_id: Uuid) -> StoreResult<()> {
        let now = self.clock.now();
        self.repo.revoke_user_refresh_tokens(user_id).await?;
        self.revoke_live_access_tokens(user_id, None, now).await
    }

    /// The access tokens issued with the user's refresh tokens of the last access-token
    /// lifetime (of one family, or all) go on the revocation list, each until it would have
    /// expired anyway.
    async fn revoke_live_access_tokens(
        &self,
        user_id: Uuid,
        family: Option<Uuid>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let lifetime = self.access_lifetime();
        let recent = self
            .repo
            .list_user_refresh_tokens(user_id, now - lifetime)
            .await?;
        for token in recent
            .iter()
            .filter(|t| family.is_none_or(|f| t.family_id == f))
        {
            self.repo
                .revoke_jti(&JtiRevocation {
                    jti: token.id.to_string(),
                    expires_at: token.created_at + lifetime,
                    created_at: now,
                })
                .await?;
        }
        Ok(())
    }

    /// Verifies an access token: signature with the key its `kid` names (pinned to that key's
    /// algorithm), then `typ`, `iss`, `aud`, `exp`, `nbf`, and the revocation list when on.
    pub async fn verify(&self, token: &str) -> Result<Arc<AccessClaims>, VerifyError> {
        let now = self.clock.now();
        let leeway_secs = self.config.leeway.whole_seconds();
        let digest = verified::digest(token);
        let claims = match self.verified.get(&digest) {
            Some(claims) => {
                claims.check_times(now, leeway_secs)?;
                claims
            }
            None => {
                let expect = Expectations {
                    issuer: &self.issuer,
                    audience: &self.audience,
                    now,
                    leeway_secs,
                };
                let claims = match self.config.format {
                    TokenFormat::Jwt => {
                        let unverified = jwt::parse(token)?;
                        let key = self.verifier(&unverified.kid, now).await?;
                        unverified.verify(&key, &expect)?
                    }
                    #[cfg(feature = "paseto")]
                    TokenFormat::PasetoV4Public => {
                        let unverified = super::paseto::parse(token)?;
                        let key = self.verifier(&unverified.kid, now).await?;
                        unverified.verify(&key, &expect)?
                    }
                };
                let claims = Arc::new(claims);
                self.verified.insert(digest, claims.clone(), now);
                claims
            }
        };
        if self.config.check_revocation && self.repo.is_jti_revoked(&claims.jti, now).await? {
            return Err(TokenError::Revoked.into());
        }
        Ok(claims)
    }

    /// The verifying key for `kid`, from the cache, which is read again when stale or (at most
    /// every few seconds) when the kid is unknown.
    async fn verifier(
        &self,
        kid: &str,
        now: OffsetDateTime,
    ) -> Result<Arc<VerifyingKey>, VerifyError> {
        let (found, fetched_at) = {
            let cache = self.verifiers.read().unwrap_or_else(|e| e.into_inner());
            (cache.by_kid.get(kid).cloned(), cache.fetched_at)
        };
        let age = fetched_at.map(|at| now - at);
        let stale = age.is_none_or(|age| age >= KEY_CACHE_TTL);
        let may_refetch = age.is_none_or(|age| age >= UNKNOWN_KID_REFETCH);
        if let Some(key) = found.as_ref()
            && !stale
        {
            return Ok(key.clone());
        }
        if found.is_none() && !may_refetch {
            return Err(TokenError::UnknownKey.into());
        }
        match (self.refetch_keys(now).await, found) {
            (Ok(()), _) => {}
            // A stale but known key still verifies while the signer cannot be reached.
            (Err(error), Some(key)) => {
                tracing::warn!(%error, "signing keys could not be read again; using the cached ones");
                return Ok(key);
            }
            (Err(error), None) => return Err(error),
        }
        let cache = self.verifiers.read().unwrap_or_else(|e| e.into_inner());
        cache
            .by_kid
            .get(kid)
            .cloned()
            .ok_or(VerifyError::Token(TokenError::UnknownKey))
    }

    async fn refetch_keys(&self, now: OffsetDateTime) -> Result<(), VerifyError> {
        let _one_at_a_time = self.refetch.lock().await;
        let fresh = {
            let cache = self.verifiers.read().unwrap_or_else(|e| e.into_inner());
            cache
                .fetched_at
                .is_some_and(|at| now - at < UNKNOWN_KID_REFETCH)
        };
        if fresh {
            return Ok(());
        }
        let jwks = self
            .signer
            .public_keys()
            .await
            .map_err(VerifyError::Signer)?;
        let by_kid = jwks
            .iter()
            .filter_map(|jwk| match VerifyingKey::from_jwk(jwk) {
                Ok(key) => Some((jwk.kid.clone(), Arc::new(key))),
                Err(error) => {
                    tracing::warn!(kid = jwk.kid, %error, "unusable public key skipped");
                    None
                }
            })
            .collect();
        let mut cache = self.verifiers.write().unwrap_or_else(|e| e.into_inner());
        *cache = VerifierCache {
            fetched_at: Some(now),
            by_kid,
        };
        Ok(())
    }

    /// The public keys as a JWKS.
    pub async fn jwks(&self) -> Result<Jwks, SignerError> {
        Ok(Jwks {
            keys: self.signer.public_keys().await?,
        })
    }
}

/// Why a bearer token did not authenticate.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VerifyError {
    /// The token itself is bad: 401.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The keys or the revocation list could not be read: 503.
    #[error(transparent)]
    Signer(SignerError),
    #[error(transparent)]
    Store(#[from] yauth_store::StoreError),
}

impl From<VerifyError> for ApiError {
    fn from(error: VerifyError) -> Self {
        match error {
            VerifyError::Token(kind) => {
                tracing::debug!(%kind, "bearer token refused");
                ApiError::unauthorized_with(
                    "invalid_token",
                    "The access token is invalid or expired.",
                )
            }
            VerifyError::Signer(error) => signer_unavailable(error),
            VerifyError::Store(error) => error.into(),
        }
    }
}

fn signer_unavailable(error: SignerError) -> ApiError {
    tracing::warn!(%error, "token signer unavailable");
    ApiError::unavailable()
}

fn invalid_refresh_token() -> ApiError {
    ApiError::unauthorized_with(
        "invalid_refresh_token",
        "The refresh token is invalid or expired; sign in again.",
    )
}

/// Scopes stored as a JSON array of strings.
pub(crate) fn scopes_of(value: Option<&serde_json::Value>) -> Option<Vec<String>> {
    value.and_then(|v| serde_json::from_value(v.clone()).ok())
}
