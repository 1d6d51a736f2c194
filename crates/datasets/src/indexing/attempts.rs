//! Starts of a document's indexing that have not finished (`document_indexing_attempts`).
//!
//! A start is counted in the database before any work, and the count is removed when the run
//! ends, however it ends. A count that keeps growing means the runs die with their process
//! (a crash, an out-of-memory kill): after `max` of them the document is given up as `error`
//! instead of taking down every worker that picks it up.

use entities::document_indexing_attempts as attempts;
use kernel::time::now_naive;
use sea_orm::sea_query::{DeleteStatement, Expr, InsertStatement, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryTrait, Set,
    TransactionTrait,
};
use uuid::Uuid;

/// The reason a given-up document shows.
pub fn abandoned_reason(max: u32) -> String {
    format!("indexing stopped: the worker failed {max} times on this document")
}

/// The write that counts a start of `document_id`, for the unit that begins its run.
pub(crate) fn starting(document_id: Uuid) -> InsertStatement {
    let row = attempts::ActiveModel { document_id: Set(document_id), attempts: Set(1), updated_at: Set(now_naive()) };
    attempts::Entity::insert(row)
        .on_conflict(
            OnConflict::column(attempts::Column::DocumentId)
                // Qualified: PostgreSQL finds a bare name ambiguous with EXCLUDED.
                .value(attempts::Column::Attempts, Expr::col((attempts::Entity, attempts::Column::Attempts)).add(1))
                .value(attempts::Column::UpdatedAt, now_naive())
                .to_owned(),
        )
        .into_query()
}

/// How many unfinished starts `document_id` has.
pub(crate) async fn count(db: &impl ConnectionTrait, document_id: Uuid) -> Result<u32, DbErr> {
    let count = attempts::Entity::find_by_id(document_id).one(db).await?.map_or(0, |r| r.attempts);
    Ok(u32::try_from(count).unwrap_or(0))
}

/// Forgets the starts of `document_id`: its run ended.
pub(crate) async fn finished(db: &impl ConnectionTrait, document_id: Uuid) -> Result<(), DbErr> {
    db.execute(&forgetting(document_id)).await?;
    Ok(())
}

/// [`finished`] as a write for the caller's unit.
pub(crate) fn forgetting(document_id: Uuid) -> DeleteStatement {
    attempts::Entity::delete_by_id(document_id).into_query()
}

/// Gives `document_id` up: `error` with [`abandoned_reason`] and its count gone, together.
pub(crate) async fn abandon(db: &DatabaseConnection, document_id: Uuid, max: u32) -> Result<String, DbErr> {
    let reason = abandoned_reason(max);
    tracing::warn!(%document_id, %reason, "document given up");
    let txn = db.begin().await?;
    super::fail(&txn, document_id, &reason).await?;
    finished(&txn, document_id).await?;
    txn.commit().await?;
    Ok(reason)
}

/// Documents with a run started and not finished (in flight, or dead).
pub(crate) async fn started(db: &impl ConnectionTrait) -> Result<std::collections::HashSet<Uuid>, DbErr> {
    Ok(attempts::Entity::find().all(db).await?.into_iter().map(|r| r.document_id).collect())
}

/// Whether any of `ids` has an unfinished start (a run that died).
pub(crate) async fn any_started(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<bool, DbErr> {
    let started = started(db).await?;
    Ok(ids.iter().any(|id| started.contains(id)))
}

/// Documents with at least `max` unfinished starts, among `ids`.
pub(crate) async fn exhausted(db: &impl ConnectionTrait, ids: &[Uuid], max: u32) -> Result<Vec<Uuid>, DbErr> {
    // The table holds only runs in flight or dead, so it is small: no IN list of every id.
    let rows = attempts::Entity::find()
        .filter(attempts::Column::Attempts.gte(i32::try_from(max).unwrap_or(i32::MAX)))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| r.document_id).filter(|id| ids.contains(id)).collect())
}
