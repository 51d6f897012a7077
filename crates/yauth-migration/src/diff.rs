//! The diff engine: the changes between two schema states, and their SQL per dialect.

use serde::{Deserialize, Serialize};

use crate::ddl::SqlTarget;
use crate::model::{Column, ForeignKey, Index, Schema, Table};

/// One change between two schema states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// A new table (with its indexes and foreign keys).
    CreateTable(Table),
    /// A table that goes away.
    DropTable(Table),
    /// A new column.
    AddColumn {
        /// Logical table name.
        table: String,
        /// The column.
        column: Column,
    },
    /// A column that goes away.
    DropColumn {
        /// Logical table name.
        table: String,
        /// The column as it was.
        column: Column,
    },
    /// A column whose type, nullability or default changes.
    AlterColumn {
        /// Logical table name.
        table: String,
        /// The column before.
        from: Column,
        /// The column after.
        to: Column,
    },
    /// A new index or unique constraint.
    AddIndex {
        /// Logical table name.
        table: String,
        /// The index.
        index: Index,
    },
    /// An index or unique constraint that goes away.
    DropIndex {
        /// Logical table name.
        table: String,
        /// The index.
        index: Index,
    },
    /// A new foreign key.
    AddForeignKey {
        /// Logical table name.
        table: String,
        /// The foreign key.
        foreign_key: ForeignKey,
    },
    /// A foreign key that goes away.
    DropForeignKey {
        /// Logical table name.
        table: String,
        /// The foreign key.
        foreign_key: ForeignKey,
    },
}

impl Change {
    /// The logical name of the table the change applies to.
    pub fn table(&self) -> &str {
        match self {
            Self::CreateTable(t) | Self::DropTable(t) => &t.name,
            Self::AddColumn { table, .. }
            | Self::DropColumn { table, .. }
            | Self::AlterColumn { table, .. }
            | Self::AddIndex { table, .. }
            | Self::DropIndex { table, .. }
            | Self::AddForeignKey { table, .. }
            | Self::DropForeignKey { table, .. } => table,
        }
    }

    /// Whether SQLite must rebuild the table to apply this change.
    fn needs_sqlite_rebuild(&self) -> bool {
        match self {
            Self::DropColumn { .. }
            | Self::AlterColumn { .. }
            | Self::AddForeignKey { .. }
            | Self::DropForeignKey { .. } => true,
            Self::AddColumn { column, .. } => !column.nullable && column.default.is_none(),
            Self::CreateTable(_)
            | Self::DropTable(_)
            | Self::AddIndex { .. }
            | Self::DropIndex { .. } => false,
        }
    }
}

/// A change the diff engine cannot express.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// The primary key of a table changed.
    #[error("the primary key of `{0}` changed; yauth does not migrate primary keys")]
    PrimaryKeyChanged(String),
}

/// The changes that turn `from` into `to`, in an order every dialect can apply: foreign keys,
/// indexes and columns are dropped first, then tables (children first), then tables are created
/// (parents first), then columns, indexes and foreign keys are added.
pub fn diff(from: &Schema, to: &Schema) -> Result<Vec<Change>, DiffError> {
    let mut drop_fks = Vec::new();
    let mut drop_indexes = Vec::new();
    let mut drop_columns = Vec::new();
    let mut add_columns = Vec::new();
    let mut alter_columns = Vec::new();
    let mut add_indexes = Vec::new();
    let mut add_fks = Vec::new();
    for new in &to.tables {
        let Some(old) = from.table(&new.name) else {
            continue;
        };
        if old.primary_key != new.primary_key {
            return Err(DiffError::PrimaryKeyChanged(new.name.clone()));
        }
        let table = || new.name.clone();
        for fk in old
            .foreign_keys
            .iter()
            .filter(|f| !new.foreign_keys.contains(f))
        {
            drop_fks.push(Change::DropForeignKey {
                table: table(),
                foreign_key: fk.clone(),
            });
        }
        for fk in new
            .foreign_keys
            .iter()
            .filter(|f| !old.foreign_keys.contains(f))
        {
            add_fks.push(Change::AddForeignKey {
                table: table(),
                foreign_key: fk.clone(),
            });
        }
        for index in old.indexes.iter().filter(|i| !new.indexes.contains(i)) {
            drop_indexes.push(Change::DropIndex {
                table: table(),
                index: index.clone(),
            });
        }
        for index in new.indexes.iter().filter(|i| !old.indexes.contains(i)) {
            add_indexes.push(Change::AddIndex {
                table: table(),
                index: index.clone(),
            });
        }
        for column in old
            .columns
            .iter()
            .filter(|c| new.get_column(&c.name).is_none())
        {
            drop_columns.push(Change::DropColumn {
                table: table(),
                column: column.clone(),
            });
        }
        for column in &new.columns {
            match old.get_column(&column.name) {
                None => add_columns.push(Change::AddColumn {
                    table: table(),
                    column: column.clone(),
                }),
                Some(before) if before != column => alter_columns.push(Change::AlterColumn {
                    table: table(),
                    from: before.clone(),
                    to: column.clone(),
                }),
                Some(_) => {}
            }
        }
    }
    let drop_tables = from
        .tables
        .iter()
        .rev()
        .filter(|t| to.table(&t.name).is_none())
        .map(|t| Change::DropTable(t.clone()));
    let create_tables = to
        .tables
        .iter()
        .filter(|t| from.table(&t.name).is_none())
        .map(|t| Change::CreateTable(t.clone()));
    let mut out = drop_fks;
    out.extend(drop_indexes);
    out.extend(drop_columns);
    out.extend(drop_tables);
    out.extend(create_tables);
    out.extend(add_columns);
    out.extend(alter_columns);
    out.extend(add_indexes);
    out.extend(add_fks);
    Ok(out)
}

/// The SQL of one direction of a migration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlScript {
    /// Statements, without trailing semicolons, in order.
    pub statements: Vec<String>,
    /// `false` when the script manages its own transaction (a SQLite table rebuild must turn
    /// foreign keys off, which SQLite ignores inside a transaction): run it outside one.
    pub transactional: bool,
}

/// Renders `changes` (from [`diff`]`(from, to)`) as SQL for `target`.
///
/// On SQLite, a table whose change `ALTER TABLE` cannot express is rebuilt: created under a
/// temporary name, filled from the old one, dropped and renamed, with foreign keys off.
pub fn render(changes: &[Change], from: &Schema, to: &Schema, target: &SqlTarget) -> SqlScript {
    let rebuild: Vec<&Table> = if target.dialect.alters_in_place() {
        Vec::new()
    } else {
        to.tables
            .iter()
            .filter(|t| {
                changes
                    .iter()
                    .any(|c| c.table() == t.name && c.needs_sqlite_rebuild())
            })
            .collect()
    };
    let mut statements = Vec::new();
    if from.tables.is_empty() && !to.tables.is_empty() {
        statements.extend(target.create_pg_schema());
    }
    for change in changes
        .iter()
        .filter(|c| !rebuild.iter().any(|t| t.name == c.table()))
    {
        match change {
            Change::CreateTable(t) => statements.extend(target.create_table(t)),
            Change::DropTable(t) => statements.push(target.drop_table(&t.name)),
            Change::AddColumn { table, column } => {
                statements.push(target.add_column(table, column))
            }
            Change::DropColumn { table, column } => {
                statements.push(target.drop_column(table, &column.name));
            }
            Change::AlterColumn { table, from, to } => {
                statements.extend(target.alter_column(table, from, to));
            }
            Change::AddIndex { table, index } => {
                statements.extend(target.create_index(table, index));
            }
            Change::DropIndex { table, index } => {
                statements.extend(target.drop_index(table, index));
            }
            Change::AddForeignKey { table, foreign_key } => {
                statements.push(target.add_foreign_key(table, foreign_key));
            }
            Change::DropForeignKey { table, foreign_key } => {
                statements.push(target.drop_foreign_key(table, foreign_key));
            }
        }
    }
    if rebuild.is_empty() {
        return SqlScript {
            statements,
            transactional: true,
        };
    }
    for table in rebuild {
        let Some(old) = from.table(&table.name) else {
            continue;
        };
        statements.extend(sqlite_rebuild(old, table, target));
    }
    let mut wrapped = vec!["PRAGMA foreign_keys = OFF".to_owned(), "BEGIN".to_owned()];
    wrapped.extend(statements);
    wrapped.push("COMMIT".to_owned());
    wrapped.push("PRAGMA foreign_keys = ON".to_owned());
    SqlScript {
        statements: wrapped,
        transactional: false,
    }
}

/// The SQLite table rebuild (the procedure of SQLite's "ALTER TABLE" documentation, section 7).
fn sqlite_rebuild(old: &Table, new: &Table, target: &SqlTarget) -> Vec<String> {
    let physical = target.table_name(&new.name);
    let temporary = format!("{physical}__rebuild");
    let q = |s: &str| target.dialect.quote(s);
    let kept = new
        .columns
        .iter()
        .filter(|c| old.get_column(&c.name).is_some())
        .map(|c| q(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = vec![
        target.create_table_named(new, &temporary),
        format!(
            "INSERT INTO {} ({kept}) SELECT {kept} FROM {}",
            q(&temporary),
            q(&physical)
        ),
        format!("DROP TABLE {}", q(&physical)),
        format!("ALTER TABLE {} RENAME TO {}", q(&temporary), q(&physical)),
    ];
    out.extend(
        new.indexes
            .iter()
            .flat_map(|i| target.create_index(&new.name, i)),
    );
    out
}

/// The up and down SQL of a migration from one schema state to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationSql {
    /// `from` -> `to`.
    pub up: SqlScript,
    /// `to` -> `from`.
    pub down: SqlScript,
}

impl MigrationSql {
    /// The migration between two states, for `target`.
    pub fn between(from: &Schema, to: &Schema, target: &SqlTarget) -> Result<Self, DiffError> {
        Ok(Self {
            up: render(&diff(from, to)?, from, to, target),
            down: render(&diff(to, from)?, to, from, target),
        })
    }

    /// Whether the migration changes nothing.
    pub fn is_empty(&self) -> bool {
        self.up.statements.is_empty() && self.down.statements.is_empty()
    }
}
