//! The expiry purge across every table.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::MemoryStore;
use super::state::purge;
use crate::repos::*;
use crate::{PurgeReport, StoreResult};

#[async_trait]
impl MaintenanceRepository for MemoryStore {
    async fn purge_expired(&self, now: OffsetDateTime) -> StoreResult<PurgeReport> {
        let mut st = self.state.write();
        let st = &mut *st;
        let mut report = PurgeReport::default();
        report.add(
            "sessions",
            purge(&mut st.sessions, |s| !s.is_active_at(now)),
        );
        report.add(
            "email_verifications",
            purge(&mut st.email_verifications, |v| v.expires_at <= now),
        );
        report.add(
            "password_resets",
            purge(&mut st.password_resets, |r| r.expires_at <= now),
        );
        report.add(
            "magic_links",
            purge(&mut st.magic_links, |l| l.expires_at <= now),
        );
        report.add(
            "oauth_states",
            purge(&mut st.oauth_states, |s| s.expires_at <= now),
        );
        report.add(
            "refresh_tokens",
            purge(&mut st.refresh_tokens, |t| t.expires_at <= now),
        );
        let expired_codes: Vec<Uuid> = st
            .authorization_codes
            .values()
            .filter(|c| c.expires_at <= now)
            .map(|c| c.id)
            .collect();
        report.add(
            "authorization_codes",
            purge(&mut st.authorization_codes, |c| c.expires_at <= now),
        );
        report.add(
            "oidc_nonces",
            purge(&mut st.oidc_nonces, |n| {
                expired_codes.contains(&n.authorization_code_id)
            }),
        );
        report.add(
            "device_codes",
            purge(&mut st.device_codes, |d| d.expires_at <= now),
        );
        report.add(
            "unlock_tokens",
            purge(&mut st.unlock_tokens, |t| t.expires_at <= now),
        );
        report.add(
            "challenges",
            purge(&mut st.challenges, |c| c.expires_at <= now),
        );
        report.add(
            "rate_limits",
            purge(&mut st.rate_limits, |w| w.window_end <= now),
        );
        report.add(
            "revocations",
            purge(&mut st.revocations, |r| r.expires_at <= now),
        );
        report.add(
            "signing_keys",
            purge(&mut st.signing_keys, |k| {
                k.expires_at.is_some_and(|at| at <= now)
            }),
        );
        Ok(report)
    }
}
