//! The audit log.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use yauth_entity::AuditLogEntry;
use yauth_store::{AuditLogRepository, AuditQuery, Page, StoreResult};

use super::{newest_first, page};
use crate::db::Db;
use crate::entities::audit_log::{self, Column as C};
use crate::error::map_err;

fn to_entry(m: audit_log::Model) -> AuditLogEntry {
    AuditLogEntry {
        id: m.id.0,
        user_id: m.user_id.map(|u| u.0),
        event_type: m.event_type,
        metadata: m.metadata,
        ip_address: m.ip_address,
        created_at: m.created_at,
        chain: m.chain,
        seq: m.seq,
        prev_hash: m.prev_hash,
        hash: m.hash,
    }
}

impl Db {
    async fn chain_rows(&self, q: &SelectStatement) -> StoreResult<Vec<AuditLogEntry>> {
        Ok(self
            .all::<audit_log::Model, _, _>(&self.conn, q)
            .await?
            .into_iter()
            .map(to_entry)
            .collect())
    }
}

#[async_trait]
impl AuditLogRepository for Db {
    async fn insert_audit(&self, e: &AuditLogEntry) -> StoreResult<()> {
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
                (C::Chain, e.chain.clone().into()),
                (C::Seq, e.seq.into()),
                (C::PrevHash, e.prev_hash.clone().into()),
                (C::Hash, e.hash.clone().into()),
            ],
        )
        .await
    }

    async fn audit_chain_head(&self, chain: &str) -> StoreResult<Option<AuditLogEntry>> {
        let mut q = self.select(audit_log::Entity);
        q.and_where(Expr::col(C::Chain).eq(chain))
            .order_by(C::Seq, Order::Desc)
            .limit(1);
        Ok(self.chain_rows(&q).await?.into_iter().next())
    }

    async fn list_audit_chain(
        &self,
        chain: &str,
        after_seq: i64,
        limit: u64,
    ) -> StoreResult<Vec<AuditLogEntry>> {
        let mut q = self.select(audit_log::Entity);
        q.and_where(Expr::col(C::Chain).eq(chain))
            .and_where(Expr::col(C::Seq).gt(after_seq))
            .order_by(C::Seq, Order::Asc)
            .limit(limit);
        self.chain_rows(&q).await
    }

    async fn list_audit_chains(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<String>> {
        let mut q = Query::select();
        q.distinct()
            .column(C::Chain)
            .from(self.table(audit_log::Entity))
            .and_where(Expr::col(C::Chain).is_not_null())
            .order_by(C::Chain, Order::Asc)
            .limit(limit);
        if let Some(after) = after {
            q.and_where(Expr::col(C::Chain).gt(after));
        }
        self.rows(&self.conn, &q)
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", "chain").map_err(map_err))
            .collect()
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
