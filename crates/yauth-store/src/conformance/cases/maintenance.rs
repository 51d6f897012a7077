//! `MaintenanceRepository`: the expiry purge.
//!
//! `purge_expired` deletes expired rows of every case, so the suite calls it in one case only,
//! at [`PURGE_NOW`] (1985), by which no other case's rows expire: the report counts are then at
//! least the rows this case expired, whatever else shares the database.

use time::{Duration, OffsetDateTime};
use yauth_entity::{JtiRevocation, Session, SigningKey};

use super::{email_password, lockout, magic_links, oauth, oauth2_server};
use crate::conformance::fixtures::*;
use crate::{PurgeReport, Repositories};

const WINDOW: Duration = Duration::minutes(1);

fn at_least(report: &PurgeReport, table: &str, expired: u64) {
    assert!(
        report.get(table) >= expired,
        "purge_expired must report at least the {expired} expired {table} rows it removed, \
         reported {}",
        report.get(table)
    );
}

/// Sessions ending (idle or absolute) at `at` or earlier, and one alive a microsecond longer.
async fn plant_sessions(repos: &Repositories, at: OffsetDateTime) -> (Vec<Session>, Session) {
    let user = create_user(repos).await;
    let base = session(user.id, at - Duration::days(2));
    let idle = Session {
        expires_at: at,
        absolute_expires_at: at + Duration::days(1),
        ..session(user.id, base.created_at)
    };
    let absolute = Session {
        expires_at: at + Duration::hours(1),
        absolute_expires_at: at,
        ..session(user.id, base.created_at)
    };
    let long_ago = Session {
        expires_at: at - Duration::hours(1),
        absolute_expires_at: at - Duration::hours(1),
        ..session(user.id, base.created_at)
    };
    let live = Session {
        expires_at: at + MICROSECOND,
        absolute_expires_at: at + Duration::days(1),
        ..session(user.id, base.created_at)
    };
    for s in [&idle, &absolute, &long_ago, &live] {
        insert_session(repos, s).await;
    }
    (vec![idle, absolute, long_ago], live)
}

/// `purge_expired(now)` removes every expired kind its contract lists (lifetime ended at or
/// before `now`), keeps rows alive at `now`, and reports at least what it removed.
pub async fn maintenance_purge_expired(repos: Repositories) {
    let at = PURGE_NOW;
    let (expired_sessions, live_session) = plant_sessions(&repos, at).await;

    let challenges = [
        challenge(at, at - Duration::hours(2)),
        challenge(at + MICROSECOND, at),
    ];
    for c in &challenges {
        repos
            .challenges
            .put_challenge(c)
            .await
            .expect("put_challenge");
    }
    let (gone_key, kept_key) = (format!("purge:{}", marker()), format!("purge:{}", marker()));
    let hit = |key: String, now: OffsetDateTime| {
        let repos = repos.clone();
        async move {
            repos
                .rate_limits
                .hit_rate_limit(&key, 10, WINDOW, now)
                .await
                .expect("hit")
        }
    };
    hit(gone_key.clone(), at - WINDOW).await;
    hit(kept_key.clone(), at - WINDOW + MICROSECOND).await;

    let kinds = (
        email_password::verifications(&repos),
        email_password::resets(&repos),
        magic_links::links(&repos),
        oauth::states(&repos),
        lockout::unlock_tokens(&repos),
        oauth2_server::authorization_codes(&repos),
        oauth2_server::device_decisions(&repos),
    );
    let planted = (
        kinds.0.plant_around(at).await,
        kinds.1.plant_around(at).await,
        kinds.2.plant_around(at).await,
        kinds.3.plant_around(at).await,
        kinds.4.plant_around(at).await,
        kinds.5.plant_around(at).await,
        kinds.6.plant_around(at).await,
    );

    let bearer = need(&repos.bearer, "bearer");
    let user = create_user(&repos).await;
    let tokens = [
        refresh_token(user.id, at),
        refresh_token(user.id, at + MICROSECOND),
    ];
    let jtis = [at, at + MICROSECOND].map(|expires_at| JtiRevocation {
        jti: marker(),
        expires_at,
        created_at: at - Duration::hours(1),
    });
    for (token, jti) in tokens.iter().zip(&jtis) {
        bearer
            .create_refresh_token(token)
            .await
            .expect("create_refresh_token");
        bearer.revoke_jti(jti).await.expect("revoke_jti");
    }
    let keys = [at, at + MICROSECOND].map(|expires_at| SigningKey {
        retired_at: Some(at - Duration::days(1)),
        expires_at: Some(expires_at),
        ..signing_key(at - Duration::days(30))
    });
    for key in &keys {
        bearer
            .create_signing_key(key)
            .await
            .expect("create_signing_key");
    }

    let report = repos
        .maintenance
        .purge_expired(at)
        .await
        .expect("purge_expired");

    for s in &expired_sessions {
        let found = repos
            .sessions
            .find_session(s.id)
            .await
            .expect("find_session");
        assert_eq!(
            found, None,
            "expired sessions (idle or absolute) are purged"
        );
    }
    let live = repos
        .sessions
        .find_session(live_session.id)
        .await
        .expect("find_session");
    assert_eq!(live, Some(live_session), "a live session is kept");
    at_least(&report, "sessions", 3);

    let earlier = at - Duration::hours(3);
    let gone = repos
        .challenges
        .get_challenge(&challenges[0].key, earlier)
        .await;
    assert_eq!(
        gone.expect("get_challenge"),
        None,
        "expired challenges are purged"
    );
    let kept = repos.challenges.get_challenge(&challenges[1].key, at).await;
    assert!(
        kept.expect("get_challenge").is_some(),
        "live challenges are kept"
    );
    at_least(&report, "challenges", 1);

    let restarted = hit(gone_key, at - WINDOW + Duration::seconds(1)).await;
    assert_eq!(restarted.count, 1, "an ended rate-limit window is purged");
    assert_eq!(hit(kept_key, at).await.count, 2, "a running window is kept");
    at_least(&report, "rate_limits", 1);

    kinds.0.check_purged(planted.0, at).await;
    kinds.1.check_purged(planted.1, at).await;
    kinds.2.check_purged(planted.2, at).await;
    kinds.3.check_purged(planted.3, at).await;
    kinds.4.check_purged(planted.4, at).await;
    kinds.5.check_purged(planted.5, at).await;
    kinds.6.check_purged(planted.6, at).await;
    for table in [
        "email_verifications",
        "password_resets",
        "magic_links",
        "oauth_states",
        "unlock_tokens",
        "authorization_codes",
        "device_codes",
    ] {
        at_least(&report, table, 1);
    }

    let gone = bearer
        .find_refresh_token(&tokens[0].token_hash)
        .await
        .expect("find");
    assert_eq!(gone, None, "expired refresh tokens are purged");
    let kept = bearer
        .find_refresh_token(&tokens[1].token_hash)
        .await
        .expect("find");
    assert!(kept.is_some(), "live refresh tokens are kept");
    at_least(&report, "refresh_tokens", 1);
    let gone = bearer
        .is_jti_revoked(&jtis[0].jti, earlier)
        .await
        .expect("is_jti_revoked");
    assert!(!gone, "expired JWT-id revocations are purged");
    let kept = bearer
        .is_jti_revoked(&jtis[1].jti, at)
        .await
        .expect("is_jti_revoked");
    assert!(kept, "live JWT-id revocations are kept");
    at_least(&report, "revocations", 1);

    let listed = bearer
        .list_signing_keys(earlier)
        .await
        .expect("list_signing_keys");
    assert!(
        !listed.iter().any(|k| k.kid == keys[0].kid),
        "expired signing keys are purged"
    );
    let listed = bearer
        .list_signing_keys(at)
        .await
        .expect("list_signing_keys");
    assert!(
        listed.contains(&keys[1]),
        "signing keys alive at now are kept"
    );
    at_least(&report, "signing_keys", 1);
}

/// `probe_table` sees the migrated tables and columns, and says `Missing` for a table or column
/// that does not exist (backends without an SQL schema answer `NotChecked` throughout).
pub async fn maintenance_probe_table(repos: Repositories) {
    use crate::schema_probe::Probe;
    let repo = &repos.maintenance;
    let present = repo
        .probe_table("users", &["id", "email", "display_name"])
        .await
        .unwrap();
    let checked = present != Probe::NotChecked;
    assert!(
        matches!(present, Probe::Present | Probe::NotChecked),
        "probe_table must find the migrated users table and its columns, got {present:?}"
    );
    let expected = if checked {
        Probe::Missing
    } else {
        Probe::NotChecked
    };
    let table = repo.probe_table("no_such_table", &[]).await.unwrap();
    assert_eq!(
        table, expected,
        "probe_table of a table that does not exist"
    );
    let column = repo
        .probe_table("users", &["no_such_column"])
        .await
        .unwrap();
    assert_eq!(
        column, expected,
        "probe_table of a column that does not exist"
    );
    // The probe leaves the connection usable: ordinary calls still work.
    let count = repos
        .users
        .find_user_by_email("nobody@probe.example")
        .await
        .unwrap();
    assert!(count.is_none());
}
