//! Dify's PostgreSQL schema at Alembic head `6e2cfb077b04` (Dify 0.3.23), written once
//! with sea-query's builder so the same definitions also create a SQLite database.
//!
//! Table, column, constraint and index names are Dify's, so a database created by Dify
//! and one created here are interchangeable (see `crate::adopt`).

mod accounts;
mod apps;
mod conversations;
mod datasets;
mod providers;

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

/// One table: its `CREATE TABLE` and the indexes Dify creates beside it.
pub(crate) struct TableSpec {
    pub name: &'static str,
    pub create: TableCreateStatement,
    pub indexes: Vec<IndexCreateStatement>,
}

impl TableSpec {
    fn new(name: &'static str, create: &mut TableCreateStatement) -> Self {
        Self { name, create: create.table(name).to_owned(), indexes: Vec::new() }
    }

    /// Adds a plain (non-unique) btree index named as in Dify.
    fn index(mut self, name: &'static str, cols: &[&'static str]) -> Self {
        let mut stmt = Index::create();
        stmt.name(name).table(self.name);
        for col in cols {
            stmt.col(*col);
        }
        self.indexes.push(stmt);
        self
    }

    /// Adds an index only PostgreSQL can build (GIN over jsonb).
    fn gin_index_on_pg(mut self, cx: &Cx, name: &'static str, col: &'static str) -> Self {
        if cx.pg {
            self.indexes.push(
                Index::create()
                    .name(name)
                    .table(self.name)
                    .col(col)
                    .index_type(IndexType::Custom("gin".into_iden()))
                    .to_owned(),
            );
        }
        self
    }
}

/// What differs between backends while building the schema.
pub(crate) struct Cx {
    pg: bool,
}

impl Cx {
    pub fn new(backend: DbBackend) -> Self {
        Self { pg: backend == DbBackend::Postgres }
    }

    /// `id uuid NOT NULL DEFAULT uuid_generate_v4()`. SQLite has no uuid function; there
    /// a random 16-byte blob stands in, which is also how sqlx stores a `Uuid` there.
    pub fn id(&self) -> ColumnDef {
        let generate = if self.pg { "uuid_generate_v4()" } else { "(randomblob(16))" };
        uuid("id").not_null().default(Expr::cust(generate)).take()
    }

    /// An integer primary key filled from a sequence (`serial`), as SQLAlchemy makes for
    /// `sa.Integer` primary keys. On SQLite a table-level `PRIMARY KEY` on an `integer`
    /// column makes it the rowid, which numbers itself the same way.
    pub fn serial_id(&self) -> ColumnDef {
        let mut col = ColumnDef::new("id");
        if self.pg {
            // sea-query's auto_increment would make an identity column instead.
            col.custom("serial");
        } else {
            col.integer();
        }
        col.not_null().take()
    }

    /// `NOT NULL DEFAULT CURRENT_TIMESTAMP(0)`: whole seconds, Dify's usual stamp.
    pub fn now_secs(&self, name: &'static str) -> ColumnDef {
        let now = if self.pg { "CURRENT_TIMESTAMP(0)" } else { "CURRENT_TIMESTAMP" };
        timestamp(name).not_null().default(Expr::cust(now)).take()
    }

    /// `NOT NULL DEFAULT CURRENT_TIMESTAMP`: the few Dify tables that keep microseconds
    /// (SQLite's `CURRENT_TIMESTAMP` has whole seconds only).
    pub fn now_micros(&self, name: &'static str) -> ColumnDef {
        timestamp(name).not_null().default(Expr::cust("CURRENT_TIMESTAMP")).take()
    }

    /// `jsonb` on PostgreSQL; SQLite stores JSON as text either way.
    pub fn jsonb(&self, name: &'static str) -> ColumnDef {
        let mut col = ColumnDef::new(name);
        if self.pg {
            col.json_binary();
        } else {
            col.json();
        }
        col
    }
}

pub(crate) fn uuid(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().take()
}

pub(crate) fn varchar(name: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).take()
}

/// `character varying` without a length (SQLAlchemy's bare `sa.String()`).
pub(crate) fn varchar_unbounded(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().take()
}

pub(crate) fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().take()
}

pub(crate) fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().take()
}

pub(crate) fn bigint(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().take()
}

/// SQLAlchemy's `sa.Float()`, which PostgreSQL stores as `double precision`.
pub(crate) fn float(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).double().take()
}

pub(crate) fn numeric(name: &'static str, precision: u32, scale: u32) -> ColumnDef {
    ColumnDef::new(name).decimal_len(precision, scale).take()
}

/// `numeric` without precision: arbitrary precision on PostgreSQL.
pub(crate) fn numeric_unbounded(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).decimal().take()
}

pub(crate) fn boolean(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).boolean().take()
}

/// `timestamp without time zone`: Dify stores naive UTC.
pub(crate) fn timestamp(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date_time().take()
}

pub(crate) fn json(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).json().take()
}

pub(crate) fn bytes(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).blob().take()
}

/// A named primary-key constraint (Dify names most of them `<singular>_pkey`).
pub(crate) fn pk(name: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).primary();
    for col in cols {
        stmt.col(*col);
    }
    stmt
}

/// A named unique constraint.
pub(crate) fn unique(name: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).unique();
    for col in cols {
        stmt.col(*col);
    }
    stmt
}

/// Every table of the schema, in creation order.
pub(crate) fn tables(cx: &Cx) -> Vec<TableSpec> {
    let mut all = Vec::new();
    all.extend(accounts::tables(cx));
    all.extend(apps::tables(cx));
    all.extend(conversations::tables(cx));
    all.extend(datasets::tables(cx));
    all.extend(providers::tables(cx));
    all
}
