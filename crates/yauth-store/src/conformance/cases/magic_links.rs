//! `MagicLinkRepository`: emailed sign-in links, consumed once.

use std::sync::Arc;

use futures::FutureExt;
use time::Duration;
use yauth_entity::{MagicLink, new_id, normalize_email};

use crate::conformance::fixtures::*;
use crate::conformance::single_use::SingleUse;
use crate::{MagicLinkRepository, Repositories, constraint};

fn repo(repos: &Repositories) -> Arc<dyn MagicLinkRepository> {
    need(&repos.magic_links, "magic-link")
}

pub(crate) fn links(repos: &Repositories) -> SingleUse<String> {
    SingleUse {
        what: "magic link",
        repos: repos.clone(),
        issue: |repos, expires_at| {
            async move {
                let link = magic_link(&unique_email(), expires_at);
                repo(&repos)
                    .create_magic_link(&link)
                    .await
                    .expect("create_magic_link");
                link.token_hash
            }
            .boxed()
        },
        consume: |repos, hash, now| {
            async move {
                let link = repo(&repos).consume_magic_link(&hash, now).await;
                let Some(link) = link.expect("consume_magic_link") else {
                    return false;
                };
                assert_eq!(
                    link.token_hash, hash,
                    "consume returns the link with this hash"
                );
                assert!(link.used, "a consumed link is returned marked used");
                true
            }
            .boxed()
        },
        unknown: |_| token_hash(),
    }
}

/// A link is stored with its email normalised and every other field as given.
pub async fn magic_links_create_normalises_email(repos: Repositories) {
    let now = now();
    let link = magic_link(
        &format!(" {} ", unique_email()),
        now + Duration::minutes(15),
    );
    repo(&repos)
        .create_magic_link(&link)
        .await
        .expect("create_magic_link");
    let consumed = repo(&repos).consume_magic_link(&link.token_hash, now).await;
    let expected = MagicLink {
        email: normalize_email(&link.email),
        used: true,
        ..link
    };
    assert_eq!(
        consumed.expect("consume"),
        Some(expected),
        "email stored normalised"
    );
}

/// A taken token hash is a conflict.
pub async fn magic_links_duplicate_conflicts(repos: Repositories) {
    let link = magic_link(&unique_email(), now() + Duration::minutes(15));
    repo(&repos)
        .create_magic_link(&link)
        .await
        .expect("create_magic_link");
    let twin = MagicLink {
        id: new_id(),
        ..link
    };
    let result = repo(&repos).create_magic_link(&twin).await;
    let name = constraint::MAGIC_LINKS_TOKEN_HASH;
    assert_conflict(result, name, "create_magic_link with a taken hash");
}

/// A magic link is consumed once; unknown links never.
pub async fn magic_links_consume_once(repos: Repositories) {
    links(&repos).consume_once().await;
}

/// A magic link expiring at `now` cannot be consumed.
pub async fn magic_links_expiry(repos: Repositories) {
    links(&repos).expiry().await;
}

/// Concurrent consumers of one magic link: exactly one wins.
pub async fn magic_links_consume_race(repos: Repositories) {
    links(&repos).race().await;
}

/// `delete_magic_links` removes every link sent to an address and counts them.
pub async fn magic_links_delete_by_email(repos: Repositories) {
    let email = unique_email();
    let now = now();
    let expires = now + Duration::minutes(15);
    let ours = [magic_link(&email, expires), magic_link(&email, expires)];
    for link in &ours {
        repo(&repos)
            .create_magic_link(link)
            .await
            .expect("create_magic_link");
    }
    let other = magic_link(&unique_email(), expires);
    repo(&repos)
        .create_magic_link(&other)
        .await
        .expect("create_magic_link");
    let removed = repo(&repos)
        .delete_magic_links(&normalize_email(&email))
        .await;
    assert_eq!(removed.expect("delete_magic_links"), 2, "returns how many");
    let gone = repo(&repos)
        .consume_magic_link(&ours[0].token_hash, now)
        .await;
    assert_eq!(gone.expect("consume"), None, "deleted links are gone");
    let kept = repo(&repos)
        .consume_magic_link(&other.token_hash, now)
        .await;
    assert!(
        kept.expect("consume").is_some(),
        "links to other addresses stay"
    );
}
