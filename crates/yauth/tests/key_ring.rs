//! Key rotation on every database family: values sealed under an old key stay readable once a
//! key is added, re-encryption leaves none under the old key (also when interrupted and resumed,
//! and when two runs race), and the old key can then be dropped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use backends::{AnyBackend, Family};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth::keyring::{KeyRing, Reencryption, SealedPlace, SecretKey};
use yauth::store::{
    Repositories, SealedColumn, SealedValue, SealedValueRepository, StoreError, StoreResult,
};
use yauth::{BuildError, YAuthBuilder, YAuthConfig};
use yauth_entity::{TotpSecret, User, Webhook, new_id, truncate_to_micros};

on_every_family!(
    rotation_rewrites_every_old_value_and_the_old_key_can_go,
    an_interrupted_reencryption_resumes,
    two_concurrent_reencryptions_rewrite_each_value_once,
);

/// The columns these tests fill.
const COLUMNS: [SealedColumn; 2] = [SealedColumn::WebhookSecret, SealedColumn::TotpSecret];

/// Key ids unique to one test run, so rows other tests (or earlier runs) left in a shared
/// database are never under this test's keys.
fn key_id(stem: &str) -> String {
    format!("{stem}-{}", &Uuid::new_v4().simple().to_string()[..12])
}

fn now() -> OffsetDateTime {
    truncate_to_micros(OffsetDateTime::now_utc())
}

/// A stored secret: where it lives and what it says.
struct Secret {
    column: SealedColumn,
    row: String,
    owner: Uuid,
    plaintext: String,
}

struct Fixture {
    repos: Repositories,
    secrets: Vec<Secret>,
    old: String,
    new: String,
}

impl Fixture {
    /// `webhooks` webhook secrets and `totps` TOTP secrets sealed under a ring of one old key,
    /// and the ring after a new key was added.
    async fn new(family: Family, webhooks: usize, totps: usize) -> Option<(Self, KeyRing)> {
        let AnyBackend(repos) = backends::backend("keyring", family).await?;
        let (old, new) = (key_id("old"), key_id("new"));
        let old_key = SecretKey::new(&old, &[0xb0; 32]).unwrap();
        let before = KeyRing::new([old_key]).unwrap();
        let mut secrets = Vec::new();
        for i in 0..webhooks + totps {
            let owner = User::new(new_id(), &format!("kr-{}@example.test", new_id()), now());
            repos.users.create_user(&owner).await.unwrap();
            let row = new_id();
            let column = if i < webhooks { COLUMNS[0] } else { COLUMNS[1] };
            let plaintext = format!("secret-{i}-{}", new_id());
            let place_row = row.to_string();
            let sealed = before.seal(&SealedPlace::new(column, &place_row), plaintext.as_bytes());
            store(&repos, column, row, owner.id, sealed).await;
            secrets.push(Secret {
                column,
                row: place_row,
                owner: owner.id,
                plaintext,
            });
        }
        let after = KeyRing::new([
            SecretKey::new(&old, &[0xb0; 32]).unwrap(),
            SecretKey::new(&new, &[0xc0; 32]).unwrap(),
        ])
        .unwrap();
        Some((
            Self {
                repos,
                secrets,
                old,
                new,
            },
            after,
        ))
    }

    fn sealed(&self) -> Arc<dyn SealedValueRepository> {
        self.repos
            .sealed
            .clone()
            .expect("the backend rewrites sealed values")
    }

    fn job(&self, ring: &Arc<KeyRing>) -> Reencryption {
        Reencryption::new(ring.clone(), self.sealed(), COLUMNS).batch_size(2)
    }

    /// Every secret read back through its plugin's own repository and opened with `ring`.
    async fn assert_readable(&self, ring: &KeyRing, what: &str) {
        for secret in &self.secrets {
            let stored = stored(&self.repos, secret).await;
            let place = SealedPlace::new(secret.column, &secret.row);
            let opened = ring.open_string(&place, &stored).unwrap_or_else(|error| {
                panic!(
                    "{what}: {:?} {} does not open: {error}",
                    secret.column, secret.row
                )
            });
            assert_eq!(*opened, secret.plaintext, "{what}");
        }
    }

    async fn under(&self, ring: &Arc<KeyRing>, key: &str) -> u64 {
        self.job(ring).values_under(key).await.unwrap()
    }

    async fn clean_up(self) {
        for secret in &self.secrets {
            self.repos.users.delete_user(secret.owner).await.unwrap();
        }
    }
}

async fn store(repos: &Repositories, column: SealedColumn, row: Uuid, owner: Uuid, sealed: String) {
    let at = now();
    match column {
        SealedColumn::WebhookSecret => {
            let hook = Webhook {
                id: row,
                user_id: Some(owner),
                url: "https://hooks.example.test/in".into(),
                secret_enc: sealed,
                events: serde_json::json!(["user.created"]),
                active: true,
                created_at: at,
                updated_at: at,
            };
            repos
                .webhooks
                .as_ref()
                .unwrap()
                .create_webhook(&hook)
                .await
                .unwrap();
        }
        SealedColumn::TotpSecret => {
            let secret = TotpSecret {
                id: row,
                user_id: owner,
                encrypted_secret: sealed,
                verified: true,
                last_used_step: None,
                created_at: at,
            };
            repos
                .mfa
                .as_ref()
                .unwrap()
                .upsert_totp_secret(&secret)
                .await
                .unwrap();
        }
        other => unreachable!("not a column of these tests: {other:?}"),
    }
}

async fn stored(repos: &Repositories, secret: &Secret) -> String {
    match secret.column {
        SealedColumn::WebhookSecret => {
            let id = Uuid::parse_str(&secret.row).unwrap();
            let webhooks = repos.webhooks.as_ref().unwrap();
            webhooks.find_webhook(id).await.unwrap().unwrap().secret_enc
        }
        _ => {
            let mfa = repos.mfa.as_ref().unwrap();
            let found = mfa.find_totp_secret(secret.owner).await.unwrap().unwrap();
            found.encrypted_secret
        }
    }
}

async fn rotation_rewrites_every_old_value_and_the_old_key_can_go(family: Family) {
    let Some((fx, after)) = Fixture::new(family, 5, 3).await else {
        return;
    };
    let after = Arc::new(after);
    fx.assert_readable(&after, "after adding a key, old values still open")
        .await;
    assert_eq!(fx.under(&after, &fx.old).await, 8);
    assert_eq!(fx.under(&after, &fx.new).await, 0);

    let report = fx.job(&after).run().await.unwrap();
    assert_eq!(report.rewritten, 8, "{report:?}");
    assert_eq!(
        fx.under(&after, &fx.old).await,
        0,
        "nothing left under the old key"
    );
    assert_eq!(fx.under(&after, &fx.new).await, 8);
    let again = fx.job(&after).run().await.unwrap();
    assert_eq!(again.rewritten, 0, "a second run finds nothing to do");

    let only_new = KeyRing::new([SecretKey::new(&fx.new, &[0xc0; 32]).unwrap()]);
    fx.assert_readable(&only_new.unwrap(), "with the old key removed")
        .await;
    fx.clean_up().await;
}

/// A store that fails every swap after the first `allowed`, like a database going away halfway.
struct FailingAfter {
    inner: Arc<dyn SealedValueRepository>,
    allowed: AtomicU32,
}

#[async_trait]
impl SealedValueRepository for FailingAfter {
    async fn list_sealed_values(
        &self,
        column: SealedColumn,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<SealedValue>> {
        self.inner
            .list_sealed_values(column, prefix, after, limit)
            .await
    }

    async fn replace_sealed_value(
        &self,
        column: SealedColumn,
        row: &str,
        expected: &str,
        replacement: &str,
    ) -> StoreResult<bool> {
        let left = self.allowed.load(Ordering::SeqCst);
        if left == 0 {
            return Err(StoreError::Unavailable("the database went away".into()));
        }
        self.allowed.store(left - 1, Ordering::SeqCst);
        self.inner
            .replace_sealed_value(column, row, expected, replacement)
            .await
    }

    async fn count_sealed_values(&self, column: SealedColumn, prefix: &str) -> StoreResult<u64> {
        self.inner.count_sealed_values(column, prefix).await
    }
}

async fn an_interrupted_reencryption_resumes(family: Family) {
    let Some((fx, after)) = Fixture::new(family, 6, 4).await else {
        return;
    };
    let after = Arc::new(after);
    let failing = Arc::new(FailingAfter {
        inner: fx.sealed(),
        allowed: AtomicU32::new(3),
    });
    let interrupted = Reencryption::new(after.clone(), failing, COLUMNS).batch_size(2);
    let outcome = interrupted.run().await;
    assert!(
        matches!(outcome, Err(StoreError::Unavailable(_))),
        "{outcome:?}"
    );
    assert_eq!(
        fx.under(&after, &fx.old).await,
        7,
        "3 of 10 rewritten before the fault"
    );
    fx.assert_readable(&after, "halfway, every value still opens")
        .await;

    let resumed = fx.job(&after).run().await.unwrap();
    assert_eq!(resumed.rewritten, 7, "{resumed:?}");
    assert_eq!(fx.under(&after, &fx.old).await, 0);
    fx.assert_readable(&after, "after resuming").await;
    fx.clean_up().await;
}

async fn two_concurrent_reencryptions_rewrite_each_value_once(family: Family) {
    let Some((fx, after)) = Fixture::new(family, 12, 8).await else {
        return;
    };
    let after = Arc::new(after);
    let (a, b) = (fx.job(&after).batch_size(1), fx.job(&after).batch_size(1));
    let (first, second) = tokio::join!(
        tokio::spawn(async move { a.run().await }),
        tokio::spawn(async move { b.run().await })
    );
    let (first, second) = (first.unwrap().unwrap(), second.unwrap().unwrap());
    assert_eq!(
        first.rewritten + second.rewritten,
        20,
        "each value is rewritten by exactly one run: {first:?} {second:?}"
    );
    assert_eq!(fx.under(&after, &fx.old).await, 0);
    assert_eq!(fx.under(&after, &fx.new).await, 20);
    fx.assert_readable(&after, "after two racing runs").await;
    fx.clean_up().await;
}

#[tokio::test]
async fn bad_keys_fail_the_build() {
    let build = |f: fn(YAuthBuilder) -> YAuthBuilder| async move {
        let builder = YAuthBuilder::new(
            yauth::store::InMemoryBackend::new(),
            YAuthConfig::new("http://localhost:3000"),
        );
        f(builder).build().await.map(drop)
    };
    let short = build(|b| b.with_secret_key("k1", &[0; 16])).await;
    assert!(
        matches!(&short, Err(BuildError::InvalidKeyRing(_))),
        "{short:?}"
    );
    assert!(short.unwrap_err().to_string().contains("exactly 32 bytes"));
    let garbage = build(|b| b.with_secret_key_base64("k1", "%%%")).await;
    assert!(
        matches!(garbage, Err(BuildError::InvalidKeyRing(_))),
        "{garbage:?}"
    );
    let twice = build(|b| {
        b.with_secret_key("k1", &[1; 32])
            .with_secret_key("k1", &[2; 32])
    })
    .await;
    assert!(
        matches!(twice, Err(BuildError::InvalidKeyRing(_))),
        "{twice:?}"
    );
    let bad_id = build(|b| b.with_secret_key("Key_1", &[1; 32])).await;
    assert!(
        matches!(bad_id, Err(BuildError::InvalidKeyRing(_))),
        "{bad_id:?}"
    );
}

#[tokio::test]
async fn the_last_key_given_seals() {
    let yauth = YAuthBuilder::new(
        yauth::store::InMemoryBackend::new(),
        YAuthConfig::new("http://localhost:3000"),
    )
    .with_secret_key_base64("k2025", &"A".repeat(43))
    .with_secret_key("k2026", &[7; 32])
    .build()
    .await
    .unwrap();
    let ring = yauth.state().key_ring().expect("a key ring");
    assert_eq!(ring.current_key_id(), "k2026");
    assert_eq!(ring.key_ids().collect::<Vec<_>>(), ["k2025", "k2026"]);
}
