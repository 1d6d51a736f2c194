//! A dataset's keyword index. The rows of `dataset_keywords` (dataset, keyword, node id) are
//! the index: a batch of segments adds or removes its own rows in one short transaction (an
//! indexing batch, in its unit of the group writer: [`adding`]), and a search is one indexed
//! query, so neither grows with the dataset.
//!
//! Dify's JSON (`dataset_keyword_tables`) is still written, from the rows, for anyone reading
//! the database as Dify does: right after a change while the dataset has at most
//! [`INLINE_JSON_PAIRS`] keyword rows, else by [`write_pending_json`], which workers run every
//! [`JSON_EVERY`]. A JSON that Python Dify (or dify-rs before these rows) wrote is imported
//! into rows the first time the dataset's index is used; `dataset_keyword_sync` records that
//! and how far the JSON lags the rows.

use std::collections::BTreeSet;
use std::time::Duration;

use entities::{dataset_keyword_sync as sync, dataset_keyword_tables as tables, dataset_keywords as keywords};
use rag::keywords::{KeywordExtractor, KeywordTable, MAX_KEYWORDS_PER_CHUNK};
use sea_orm::sea_query::{Expr, ExprTrait, Func, InsertStatement, OnConflict, SubQueryStatement, UpdateStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

/// Up to this many keyword rows, a change rewrites the dataset's JSON at once (a few hundred
/// KB at most); above, the JSON follows within [`JSON_EVERY`].
pub const INLINE_JSON_PAIRS: u64 = 5_000;

/// How often workers rewrite the JSON of datasets whose rows changed.
pub const JSON_EVERY: Duration = Duration::from_secs(30);

/// Rows per INSERT statement (three values each, well under SQLite's variable limit).
const ROWS_PER_INSERT: usize = 300;

/// Longer keywords are not indexed (PostgreSQL bounds an index entry; no query matches them).
const MAX_KEYWORD_BYTES: usize = 512;

/// Adds segments' keywords (node id, keywords) to the dataset's index.
pub async fn add_nodes(
    db: &(impl ConnectionTrait + TransactionTrait),
    dataset_id: Uuid,
    nodes: &[(String, Vec<String>)],
) -> Result<(), DbErr> {
    let rows = index_rows(nodes);
    if rows.is_empty() {
        return Ok(());
    }
    let txn = db.begin().await?;
    import_if_new(&txn, dataset_id).await?;
    let added = insert_rows(&txn, dataset_id, rows.into_iter()).await?;
    changed(&txn, dataset_id, i64::try_from(added).unwrap_or(i64::MAX)).await?;
    txn.commit().await?;
    json_if_small(db, dataset_id).await
}

/// Makes the dataset's index ready for [`adding`]: on its first use, the bookkeeping row
/// and the import of the JSON it has (one read when that is done).
pub async fn prepare(db: &(impl ConnectionTrait + TransactionTrait), dataset_id: Uuid) -> Result<(), DbErr> {
    if sync::Entity::find_by_id(dataset_id).one(db).await?.is_none() {
        let txn = db.begin().await?;
        import_if_new(&txn, dataset_id).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// [`add_nodes`] as writes for the caller to commit with its own, after [`prepare`]; run
/// [`json_if_small`] once they are committed. The pair count grows by the rows offered: a row
/// already there (only a redelivered batch has one) is counted twice, which can only make the
/// JSON be written later (by [`write_pending_json`]), never wrong.
pub fn adding(dataset_id: Uuid, nodes: &[(String, Vec<String>)]) -> Vec<SubQueryStatement> {
    let rows = index_rows(nodes);
    if rows.is_empty() {
        return Vec::new();
    }
    let offered = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let mut writes: Vec<SubQueryStatement> =
        row_inserts(dataset_id, rows.into_iter()).into_iter().map(Into::into).collect();
    // Last: on PostgreSQL the bookkeeping row is locked only to commit.
    writes.push(changes(dataset_id, offered).into());
    writes
}

/// The (keyword, node id) rows of segments' keywords, without any too long to index.
fn index_rows(nodes: &[(String, Vec<String>)]) -> BTreeSet<(&str, &str)> {
    nodes
        .iter()
        .flat_map(|(node, words)| words.iter().map(move |w| (w.as_str(), node.as_str())))
        .filter(|(w, _)| w.len() <= MAX_KEYWORD_BYTES)
        .collect()
}

/// The writes that take segments (by node id) out of the dataset's index, for the caller's
/// unit after [`prepare`], last in it: the rows' deletes, then the pair count, less the rows
/// there are now (so on PostgreSQL the bookkeeping row is locked only to commit).
pub async fn removing(
    db: &impl ConnectionTrait,
    dataset_id: Uuid,
    node_ids: &[String],
) -> Result<Vec<SubQueryStatement>, DbErr> {
    let mut writes: Vec<SubQueryStatement> = Vec::new();
    let mut there = 0;
    for chunk in node_ids.chunks(ROWS_PER_INSERT) {
        let rows = || {
            Condition::all()
                .add(keywords::Column::DatasetId.eq(dataset_id))
                .add(keywords::Column::NodeId.is_in(chunk.iter().map(String::as_str)))
        };
        there += keywords::Entity::find().filter(rows()).count(db).await?;
        writes.push(keywords::Entity::delete_many().filter(rows()).into_query().into());
    }
    if !writes.is_empty() {
        writes.push(changes(dataset_id, -i64::try_from(there).unwrap_or(i64::MAX)).into());
    }
    Ok(writes)
}

/// Removes segments (by node id) from the dataset's index.
pub async fn remove_nodes(
    db: &(impl ConnectionTrait + TransactionTrait),
    dataset_id: Uuid,
    node_ids: &[String],
) -> Result<(), DbErr> {
    if node_ids.is_empty() {
        return Ok(());
    }
    let txn = db.begin().await?;
    import_if_new(&txn, dataset_id).await?;
    let mut removed = 0;
    for chunk in node_ids.chunks(ROWS_PER_INSERT) {
        removed += keywords::Entity::delete_many()
            .filter(keywords::Column::DatasetId.eq(dataset_id))
            .filter(keywords::Column::NodeId.is_in(chunk.iter().map(String::as_str)))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    changed(&txn, dataset_id, -i64::try_from(removed).unwrap_or(i64::MAX)).await?;
    txn.commit().await?;
    json_if_small(db, dataset_id).await
}

/// Economy retrieval: up to `k` node ids sharing the most keywords with `query`, best first,
/// ties by node id (Dify's `_retrieve_ids_by_query`).
pub async fn search(
    db: &(impl ConnectionTrait + TransactionTrait),
    dataset_id: Uuid,
    query: &str,
    k: usize,
) -> Result<Vec<String>, DbErr> {
    let words: BTreeSet<String> =
        KeywordExtractor::shared().extract(query, MAX_KEYWORDS_PER_CHUNK).into_iter().collect();
    if words.is_empty() || k == 0 {
        return Ok(Vec::new());
    }
    if sync::Entity::find_by_id(dataset_id).one(db).await?.is_none() {
        let txn = db.begin().await?;
        import_if_new(&txn, dataset_id).await?;
        txn.commit().await?;
    }
    let hits = Expr::from(Func::count(Expr::col(keywords::Column::Keyword)));
    keywords::Entity::find()
        .select_only()
        .column(keywords::Column::NodeId)
        .filter(keywords::Column::DatasetId.eq(dataset_id))
        .filter(keywords::Column::Keyword.is_in(words))
        .group_by(keywords::Column::NodeId)
        .order_by(hits, Order::Desc)
        .order_by(keywords::Column::NodeId, Order::Asc)
        .limit(u64::try_from(k).unwrap_or(u64::MAX))
        .into_tuple::<String>()
        .all(db)
        .await
}

/// The dataset's index as Dify's table, read from the rows.
pub async fn table(db: &impl ConnectionTrait, dataset_id: Uuid) -> Result<KeywordTable, DbErr> {
    let rows: Vec<(String, String)> = keywords::Entity::find()
        .select_only()
        .column(keywords::Column::Keyword)
        .column(keywords::Column::NodeId)
        .filter(keywords::Column::DatasetId.eq(dataset_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut table = KeywordTable::new();
    for (keyword, node) in rows {
        table.add(&node, [keyword]);
    }
    Ok(table)
}

/// Removes a dataset's whole keyword index (rows, JSON and bookkeeping), in the caller's
/// transaction.
pub async fn delete_dataset(txn: &impl ConnectionTrait, dataset_id: Uuid) -> Result<(), DbErr> {
    keywords::Entity::delete_many().filter(keywords::Column::DatasetId.eq(dataset_id)).exec(txn).await?;
    sync::Entity::delete_many().filter(sync::Column::DatasetId.eq(dataset_id)).exec(txn).await?;
    tables::Entity::delete_many().filter(tables::Column::DatasetId.eq(dataset_id)).exec(txn).await?;
    Ok(())
}

/// Rewrites the JSON of datasets whose rows changed since it was last written; how many.
pub async fn write_pending_json(db: &(impl ConnectionTrait + TransactionTrait)) -> Result<usize, DbErr> {
    let pending: Vec<Uuid> = sync::Entity::find()
        .select_only()
        .column(sync::Column::DatasetId)
        .filter(Expr::col(sync::Column::Changes).gt(Expr::col(sync::Column::Written)))
        .limit(100)
        .into_tuple()
        .all(db)
        .await?;
    let mut written = 0;
    for dataset_id in pending {
        if write_json(db, dataset_id).await? {
            written += 1;
        }
    }
    Ok(written)
}

/// Writes the dataset's JSON from its rows if they changed since it was last written. The
/// bookkeeping row is locked first, so writers of one dataset take turns and the JSON that
/// lands last is the newest.
pub async fn write_json(db: &(impl ConnectionTrait + TransactionTrait), dataset_id: Uuid) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let locked = sync::Entity::update_many()
        .col_expr(sync::Column::Written, Expr::col(sync::Column::Written))
        .filter(sync::Column::DatasetId.eq(dataset_id))
        .exec(&txn)
        .await?;
    let state = match locked.rows_affected {
        0 => None,
        _ => sync::Entity::find_by_id(dataset_id).one(&txn).await?,
    };
    let Some(state) = state.filter(|s| s.changes > s.written) else {
        txn.commit().await?;
        return Ok(false);
    };
    let json = table(&txn, dataset_id).await?.to_json(&dataset_id.to_string());
    let updated = tables::Entity::update_many()
        .col_expr(tables::Column::KeywordTable, Expr::value(json.clone()))
        .filter(tables::Column::DatasetId.eq(dataset_id))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        tables::Entity::insert(tables::ActiveModel {
            id: Set(Uuid::new_v4()),
            dataset_id: Set(dataset_id),
            keyword_table: Set(json),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    sync::Entity::update_many()
        .col_expr(sync::Column::Written, Expr::value(state.changes))
        .filter(sync::Column::DatasetId.eq(dataset_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// On a dataset's first use: makes its bookkeeping row and imports the JSON it has, if any.
/// The insert comes first, so it is also what takes the write lock (SQLite) or waits for a
/// concurrent first use to commit (PostgreSQL), and only one importer finds the row new.
async fn import_if_new(txn: &impl ConnectionTrait, dataset_id: Uuid) -> Result<(), DbErr> {
    let made = sync::Entity::insert(sync::ActiveModel {
        dataset_id: Set(dataset_id),
        changes: Set(0),
        written: Set(0),
        pairs: Set(0),
    })
    .on_conflict(OnConflict::column(sync::Column::DatasetId).do_nothing().to_owned())
    .exec_without_returning(txn)
    .await?;
    if made == 0 {
        return Ok(());
    }
    let Some(row) = tables::Entity::find().filter(tables::Column::DatasetId.eq(dataset_id)).one(txn).await? else {
        return Ok(());
    };
    let table = KeywordTable::from_json(&row.keyword_table).unwrap_or_else(|e| {
        // Dify would fail every later indexing of the dataset; start a fresh index instead.
        tracing::warn!(error = %e, %dataset_id, "unreadable keyword table not imported");
        KeywordTable::new()
    });
    let pairs: Vec<(&str, &str)> = table
        .iter()
        .flat_map(|(word, nodes)| nodes.iter().map(move |n| (word, n.as_str())))
        .filter(|(w, _)| w.len() <= MAX_KEYWORD_BYTES)
        .collect();
    tracing::info!(%dataset_id, rows = pairs.len(), "keyword table imported");
    let imported = insert_rows(txn, dataset_id, pairs.into_iter()).await?;
    sync::Entity::update_many()
        .col_expr(sync::Column::Pairs, Expr::value(i64::try_from(imported).unwrap_or(i64::MAX)))
        .filter(sync::Column::DatasetId.eq(dataset_id))
        .exec(txn)
        .await?;
    Ok(())
}

async fn insert_rows<'a>(
    txn: &impl ConnectionTrait,
    dataset_id: Uuid,
    rows: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<u64, DbErr> {
    let mut inserted = 0;
    for insert in row_inserts(dataset_id, rows) {
        inserted += txn.execute(&insert).await?.rows_affected();
    }
    Ok(inserted)
}

/// Inserts of index rows, [`ROWS_PER_INSERT`] a statement; a row already there is kept.
fn row_inserts<'a>(dataset_id: Uuid, rows: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<InsertStatement> {
    let rows: Vec<keywords::ActiveModel> = rows
        .map(|(word, node)| keywords::ActiveModel {
            dataset_id: Set(dataset_id),
            keyword: Set(word.to_owned()),
            node_id: Set(node.to_owned()),
        })
        .collect();
    rows.chunks(ROWS_PER_INSERT)
        .map(|chunk| {
            keywords::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::columns([
                        keywords::Column::DatasetId,
                        keywords::Column::Keyword,
                        keywords::Column::NodeId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .into_query()
        })
        .collect()
}

/// Counts a change to the rows and `delta` rows more or fewer (last in its transaction: the
/// row lock is held only to commit).
async fn changed(txn: &impl ConnectionTrait, dataset_id: Uuid, delta: i64) -> Result<(), DbErr> {
    txn.execute(&changes(dataset_id, delta)).await?;
    Ok(())
}

fn changes(dataset_id: Uuid, delta: i64) -> UpdateStatement {
    sync::Entity::update_many()
        .col_expr(sync::Column::Changes, Expr::col(sync::Column::Changes).add(1))
        .col_expr(sync::Column::Pairs, Expr::col(sync::Column::Pairs).add(delta))
        .filter(sync::Column::DatasetId.eq(dataset_id))
        .into_query()
}

/// Rewrites the JSON now when the dataset is small enough for that to be cheap.
pub async fn json_if_small(db: &(impl ConnectionTrait + TransactionTrait), dataset_id: Uuid) -> Result<(), DbErr> {
    let state = sync::Entity::find_by_id(dataset_id).one(db).await?;
    if state.is_some_and(|s| u64::try_from(s.pairs).unwrap_or(0) <= INLINE_JSON_PAIRS) {
        write_json(db, dataset_id).await?;
    }
    Ok(())
}
