//! The audit log.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait};
use yauth_entity::AuditLogEntry;
use yauth_store::{AuditLogRepository, AuditQuery, Page, StoreResult};

use super::{newest_first, page};
use crate::db::Db;
use crate::entities::audit_log::{self, Column as C};

fn to_entry(m: audit_log::Model) -> AuditLogEntry {
    AuditLogEntry {
        id: m.id.0,
        user_id: m.user_id.map(|u| u.0),
        event_type: m.event_type,
        metadata: m.metadata,
        ip_address: m.ip_address,
        created_at: m.created_at,
    }
}

#[async_trait]
impl AuditLogRepository for Db {
    async fn append_audit(&self, e: &AuditLogEntry) -> StoreResult<()> {
        self.insert_row(
            &self.conn,
            audit_log::Entity,
            vec![
                (C::Id, e.id.into()),
                (C::UserId, e.user_id.into()),
                (C::EventType, e.event_type.clone().into()),
                (C::Metadata, e.metadata.clone().into()),
                (C::IpAddress, e.ip_address.clone().into()),
                (C::CreatedAt, e.created_at.into()),
            ],
        )
        .await
    }

    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Page<AuditLogEntry>> {
        let mut q = self.select(audit_log::Entity);
        if let Some(user_id) = query.user_id {
            q.and_where(Expr::col(C::UserId).eq(user_id));
        }
        if let Some(t) = &query.event_type {
            q.and_where(Expr::col(C::EventType).eq(t.clone()));
        }
        if let Some(since) = query.since {
            q.and_where(Expr::col(C::CreatedAt).gte(since));
        }
        if let Some(until) = query.until {
            q.and_where(Expr::col(C::CreatedAt).lt(until));
        }
        let total = self.count(q.clone()).await?;
        newest_first(&mut q, C::CreatedAt, C::Id);
        page(&mut q, query.page);
        let items = self
            .all::<audit_log::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_entry)
            .collect();
        Ok(Page { items, total })
    }
}
