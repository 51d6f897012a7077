//! `SealedValueRepository`: sealed values by column, walked in batches and rewritten with a
//! compare-and-swap, as key rotation does.
//!
//! Other cases share the tables, so each case gives its rows keys from a private stretch of the
//! key space (consecutive UUIDs after a random base, or kids under a fresh marker) and looks only
//! at that stretch.

use std::sync::Arc;

use uuid::Uuid;

use crate::conformance::fixtures::*;
use crate::{Repositories, SealedColumn, SealedValue, SealedValueRepository};

fn repo(repos: &Repositories) -> Arc<dyn SealedValueRepository> {
    need(&repos.sealed, "sealed values")
}

/// `n` fresh row keys of `column`, in ascending order, and a key that sorts just before them.
fn private_keys(column: SealedColumn, n: usize) -> (String, Vec<String>) {
    if column.row_key_is_uuid() {
        // A random v4 UUID with its low 16 bits cleared: the next `n` UUIDs are still valid text
        // and no other case's random UUID falls between them in any realistic run.
        let base = Uuid::new_v4().as_u128() & !0xffff;
        let keys = (1..=n as u128)
            .map(|i| Uuid::from_u128(base + i).to_string())
            .collect();
        (Uuid::from_u128(base).to_string(), keys)
    } else {
        let stem = format!("kid-{}", marker());
        let keys = (0..n).map(|i| format!("{stem}-{i:02}")).collect();
        (stem, keys)
    }
}

/// Stores one row of `column`'s table under `key` holding `value` (`None`: a null value, only
/// for nullable columns).
async fn store_row(repos: &Repositories, column: SealedColumn, key: &str, value: Option<&str>) {
    let at = now();
    let value_or = |what: &str| -> String {
        value
            .unwrap_or_else(|| panic!("{what} is not nullable"))
            .to_owned()
    };
    let uuid = || Uuid::parse_str(key).expect("a UUID row key");
    match column {
        SealedColumn::TotpSecret => {
            let user = create_user(repos).await;
            let mut secret = totp_secret(user.id, at);
            secret.id = uuid();
            secret.encrypted_secret = value_or("totp_secrets.encrypted_secret");
            let mfa = need(&repos.mfa, "mfa");
            mfa.upsert_totp_secret(&secret)
                .await
                .expect("upsert_totp_secret");
        }
        SealedColumn::OauthAccessToken | SealedColumn::OauthRefreshToken => {
            let user = create_user(repos).await;
            let mut account = oauth_account(user.id, &provider(), at);
            account.id = uuid();
            let value = value.map(str::to_owned);
            if column == SealedColumn::OauthAccessToken {
                (account.access_token_enc, account.refresh_token_enc) = (value, None);
            } else {
                (account.access_token_enc, account.refresh_token_enc) = (None, value);
            }
            let oauth = need(&repos.oauth, "oauth");
            oauth
                .create_oauth_account(&account)
                .await
                .expect("create_oauth_account");
        }
        SealedColumn::WebhookSecret => {
            let user = create_user(repos).await;
            let mut hook = webhook(Some(user.id), at);
            hook.id = uuid();
            hook.secret_enc = value_or("webhooks.secret_enc");
            let webhooks = need(&repos.webhooks, "webhooks");
            webhooks
                .create_webhook(&hook)
                .await
                .expect("create_webhook");
        }
        SealedColumn::SigningKey => {
            let mut key_row = signing_key(at);
            key_row.kid = key.to_owned();
            key_row.private_key_enc = value_or("signing_keys.private_key_enc");
            let bearer = need(&repos.bearer, "bearer");
            bearer
                .create_signing_key(&key_row)
                .await
                .expect("create_signing_key");
        }
    }
}

/// Walks `column` in batches of `batch` (values not under `prefix`) from `after` until past
/// `last`, and returns what it saw within the private stretch.
async fn walk(
    repos: &Repositories,
    column: SealedColumn,
    prefix: &str,
    (after, last): (&str, &str),
    batch: u32,
) -> Vec<SealedValue> {
    let mut seen: Vec<SealedValue> = Vec::new();
    let mut cursor = after.to_owned();
    loop {
        let page = repo(repos)
            .list_sealed_values(column, prefix, Some(&cursor), batch)
            .await
            .expect("list_sealed_values");
        assert!(
            page.len() <= batch as usize,
            "{column:?}: a batch keeps to its limit"
        );
        let Some(end) = page.last() else { break };
        cursor = end.row.clone();
        let done = end.row.as_str() >= last;
        seen.extend(page.into_iter().filter(|v| v.row.as_str() <= last));
        if done {
            break;
        }
    }
    for pair in seen.windows(2) {
        assert!(
            pair[0].row < pair[1].row,
            "{column:?}: rows come in ascending key order, each once ({} then {})",
            pair[0].row,
            pair[1].row
        );
    }
    seen
}

async fn count(repos: &Repositories, column: SealedColumn, prefix: &str) -> u64 {
    repo(repos)
        .count_sealed_values(column, prefix)
        .await
        .expect("count_sealed_values")
}

/// Every sealed column: values under an old prefix are listed (in batches, in key order, nulls
/// and values under the excluded prefix left out) and counted; a compare-and-swap replaces a
/// value only while it is still the expected one.
pub async fn sealed_list_count_and_replace(repos: Repositories) {
    for column in SealedColumn::ALL {
        let tag = marker();
        let (old, new) = (format!("old-{tag}."), format!("new-{tag}."));
        let nullable = matches!(
            column,
            SealedColumn::OauthAccessToken | SealedColumn::OauthRefreshToken
        );
        // Keys 0..4 old, 4..6 new, 6 null (nullable columns only).
        let (after, keys) = private_keys(column, 7);
        let values: Vec<Option<String>> = (0..7)
            .map(|i| match i {
                0..4 => Some(format!("{old}{i}-{}", marker())),
                4..6 => Some(format!("{new}{i}-{}", marker())),
                _ => None,
            })
            .collect();
        let value_of = |i: usize| values[i].clone();
        let rows = if nullable { 7 } else { 6 };
        for (i, key) in keys.iter().enumerate().take(rows) {
            store_row(&repos, column, key, value_of(i).as_deref()).await;
        }
        let last = keys[rows - 1].as_str();

        assert_eq!(
            count(&repos, column, &old).await,
            4,
            "{column:?}: old values"
        );
        assert_eq!(
            count(&repos, column, &new).await,
            2,
            "{column:?}: new values"
        );
        let expected: Vec<SealedValue> = (0..4)
            .map(|i| SealedValue {
                row: keys[i].clone(),
                value: value_of(i).expect("old rows have values"),
            })
            .collect();
        for batch in [1, 3, 100] {
            let seen = walk(&repos, column, &new, (&after, last), batch).await;
            assert_eq!(
                seen, expected,
                "{column:?}: in batches of {batch}, exactly the values not under the new prefix"
            );
        }

        let sealed = repo(&repos);
        let first = &expected[0];
        let replacement = format!("{new}0-{}", marker());
        let stale = sealed
            .replace_sealed_value(column, &first.row, "some other value", &replacement)
            .await
            .expect("replace_sealed_value");
        assert!(
            !stale,
            "{column:?}: a swap from a value that is not stored fails"
        );
        let unknown = sealed
            .replace_sealed_value(column, &private_keys(column, 1).1[0], &first.value, "x")
            .await
            .expect("replace_sealed_value");
        assert!(!unknown, "{column:?}: a swap on a missing row fails");
        let swapped = sealed
            .replace_sealed_value(column, &first.row, &first.value, &replacement)
            .await
            .expect("replace_sealed_value");
        assert!(swapped, "{column:?}: a swap from the stored value succeeds");
        assert_eq!(
            count(&repos, column, &old).await,
            3,
            "{column:?}: one old fewer"
        );
        assert_eq!(
            count(&repos, column, &new).await,
            3,
            "{column:?}: one new more"
        );
        let everything = walk(&repos, column, "zzz.", (&after, last), 100).await;
        assert_eq!(
            everything.first(),
            Some(&SealedValue {
                row: first.row.clone(),
                value: replacement.clone()
            }),
            "{column:?}: the swapped row holds the replacement"
        );
        assert_eq!(
            everything.len(),
            6,
            "{column:?}: every non-null value is listed under a prefix none has"
        );
        let again = sealed
            .replace_sealed_value(column, &first.row, &first.value, "late")
            .await
            .expect("replace_sealed_value");
        assert!(!again, "{column:?}: a second swap from the old value fails");
    }
}

/// The swapped value is what the plugin's own repository reads (the column really changed).
pub async fn sealed_replace_reaches_plugin_rows(repos: Repositories) {
    let (_, keys) = private_keys(SealedColumn::WebhookSecret, 1);
    store_row(&repos, SealedColumn::WebhookSecret, &keys[0], Some("old.a")).await;
    let swapped = repo(&repos)
        .replace_sealed_value(SealedColumn::WebhookSecret, &keys[0], "old.a", "new.b")
        .await
        .expect("replace_sealed_value");
    assert!(swapped);
    let webhooks = need(&repos.webhooks, "webhooks");
    let id = Uuid::parse_str(&keys[0]).expect("uuid");
    let hook = webhooks.find_webhook(id).await.expect("find_webhook");
    assert_eq!(hook.map(|h| h.secret_enc).as_deref(), Some("new.b"));

    let user = create_user(&repos).await;
    let mut secret = totp_secret(user.id, now());
    secret.encrypted_secret = "old.c".to_owned();
    let mfa = need(&repos.mfa, "mfa");
    mfa.upsert_totp_secret(&secret)
        .await
        .expect("upsert_totp_secret");
    let row = secret.id.to_string();
    let swapped = repo(&repos)
        .replace_sealed_value(SealedColumn::TotpSecret, &row, "old.c", "new.d")
        .await
        .expect("replace_sealed_value");
    assert!(
        swapped,
        "a TOTP secret is addressed by its own id, not its user's"
    );
    let stored = mfa
        .find_totp_secret(user.id)
        .await
        .expect("find_totp_secret");
    assert_eq!(stored.map(|s| s.encrypted_secret).as_deref(), Some("new.d"));
}

/// 16 rotations swap the same value at once, each to its own replacement: exactly one wins and
/// its replacement is what is stored.
pub async fn sealed_replace_race(repos: Repositories) {
    let (after, keys) = private_keys(SealedColumn::SigningKey, 1);
    let key = keys[0].clone();
    store_row(&repos, SealedColumn::SigningKey, &key, Some("old.race")).await;
    let outcomes = race(RACERS, |i| {
        let (repos, key) = (repos.clone(), key.clone());
        async move {
            repo(&repos)
                .replace_sealed_value(
                    SealedColumn::SigningKey,
                    &key,
                    "old.race",
                    &format!("new.{i}"),
                )
                .await
                .expect("replace_sealed_value")
        }
    })
    .await;
    let winners: Vec<usize> = (0..RACERS).filter(|&i| outcomes[i]).collect();
    assert_eq!(winners.len(), 1, "exactly one swap wins, got {winners:?}");
    let stored = walk(&repos, SealedColumn::SigningKey, "zzz.", (&after, &key), 10).await;
    assert_eq!(
        stored,
        vec![SealedValue {
            row: key,
            value: format!("new.{}", winners[0])
        }],
        "the winner's replacement is stored"
    );
}
