//! A dataset's keyword table (`dataset_keyword_tables`, Dify's JSON) updated in place. Each
//! change is one short transaction holding the row (its write lock taken first) — not Dify's lock over a whole document's indexing, so workers
//! indexing the same dataset only wait for each other's few-millisecond writes.

use entities::dataset_keyword_tables as tables;
use rag::keywords::{KeywordExtractor, KeywordTable};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

/// Adds segments' keywords (node id, keywords) to the dataset's table.
pub async fn add_nodes(
    db: &(impl ConnectionTrait + TransactionTrait),
    dataset_id: Uuid,
    nodes: &[(String, Vec<String>)],
) -> Result<(), DbErr> {
    if nodes.is_empty() {
        return Ok(());
    }
    change(db, dataset_id, |table| {
        for (node, keywords) in nodes {
            table.add(node, keywords);
        }
    })
    .await
}

/// Removes segments (by node id) from the dataset's table.
pub async fn remove_nodes(
    db: &(impl ConnectionTrait + TransactionTrait),
    dataset_id: Uuid,
    node_ids: &[String],
) -> Result<(), DbErr> {
    if node_ids.is_empty() {
        return Ok(());
    }
    change(db, dataset_id, |table| table.remove_nodes(node_ids)).await
}

/// Economy retrieval: up to `k` node ids ranked by matching keywords of `query`.
pub async fn search(db: &impl ConnectionTrait, dataset_id: Uuid, query: &str, k: usize) -> Result<Vec<String>, DbErr> {
    let Some(row) = tables::Entity::find().filter(tables::Column::DatasetId.eq(dataset_id)).one(db).await? else {
        return Ok(Vec::new());
    };
    let table = KeywordTable::from_json(&row.keyword_table).unwrap_or_else(|e| {
        tracing::warn!(error = %e, %dataset_id, "unreadable keyword table");
        KeywordTable::new()
    });
    Ok(table.search(KeywordExtractor::shared(), query, k))
}

async fn change(
    db: &(impl ConnectionTrait + TransactionTrait),
    dataset_id: Uuid,
    edit: impl FnOnce(&mut KeywordTable),
) -> Result<(), DbErr> {
    let empty = KeywordTable::new().to_json(&dataset_id.to_string());
    // The row exists before anyone locks it; a concurrent first insert is ignored.
    tables::Entity::insert(tables::ActiveModel {
        id: Set(Uuid::new_v4()),
        dataset_id: Set(dataset_id),
        keyword_table: Set(empty),
    })
    .on_conflict(OnConflict::column(tables::Column::DatasetId).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;

    let txn = db.begin().await?;
    // Write first: a no-op update takes the row lock on PostgreSQL and SQLite's write lock
    // up front (a read first would make the later write fail as busy instead of waiting).
    tables::Entity::update_many()
        .col_expr(tables::Column::KeywordTable, Expr::col(tables::Column::KeywordTable))
        .filter(tables::Column::DatasetId.eq(dataset_id))
        .exec(&txn)
        .await?;
    let find = tables::Entity::find().filter(tables::Column::DatasetId.eq(dataset_id));
    let Some(row) = find.one(&txn).await? else {
        return Err(DbErr::RecordNotFound(format!("keyword table of dataset {dataset_id}")));
    };
    let mut table = KeywordTable::from_json(&row.keyword_table).unwrap_or_else(|e| {
        // Dify would fail every later indexing of the dataset; start a fresh table instead.
        tracing::warn!(error = %e, %dataset_id, "unreadable keyword table replaced");
        KeywordTable::new()
    });
    edit(&mut table);
    tables::ActiveModel {
        id: Set(row.id),
        keyword_table: Set(table.to_json(&dataset_id.to_string())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    txn.commit().await
}
