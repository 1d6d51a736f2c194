//! The conversation lists' filters, as SQL both backends run alike: correlated `EXISTS`
//! and count subqueries instead of Dify's joins, so no conversation is listed twice.

use apps::lookup::AppMode;
use chrono::NaiveDateTime;
use entities::{conversations, message_annotations, messages};
use kernel::page::PageRequest;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

/// Which conversations the annotation filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnnotationStatus {
    #[default]
    All,
    Annotated,
    NotAnnotated,
}

/// The conversation lists' filters (api-server reads them as reqparse does).
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Matched case-insensitively in queries and answers (and chat names and introductions).
    pub keyword: Option<String>,
    /// Created at or after (UTC).
    pub start: Option<NaiveDateTime>,
    /// Created before (UTC).
    pub end: Option<NaiveDateTime>,
    pub annotation: AnnotationStatus,
    /// Chat lists only: conversations with at least this many messages.
    pub message_count_gte: Option<u64>,
    pub page: PageRequest,
}

impl LogFilter {
    /// The app's live conversations of `mode` that pass the filter.
    pub(crate) fn query(&self, app_id: Uuid, mode: AppMode) -> Select<conversations::Entity> {
        let mut q = live(app_id).filter(conversations::Column::Mode.eq(mode.as_str()));
        if let Some(keyword) = &self.keyword {
            let pattern = kernel::like::contains_pattern(&keyword.to_lowercase());
            let in_messages = of_conversation(messages::Entity, messages::Column::ConversationId)
                .cond_where(
                    Condition::any()
                        .add(ci_like((messages::Entity, messages::Column::Query), &pattern))
                        .add(ci_like((messages::Entity, messages::Column::Answer), &pattern)),
                )
                .to_owned();
            let mut cond = Condition::any().add(Expr::exists(in_messages));
            if mode == AppMode::Chat {
                cond = cond
                    .add(ci_like((conversations::Entity, conversations::Column::Name), &pattern))
                    .add(ci_like((conversations::Entity, conversations::Column::Introduction), &pattern));
            }
            q = q.filter(cond);
        }
        if let Some(start) = self.start {
            q = q.filter(conversations::Column::CreatedAt.gte(start));
        }
        if let Some(end) = self.end {
            q = q.filter(conversations::Column::CreatedAt.lt(end));
        }
        let annotations = || of_conversation(message_annotations::Entity, message_annotations::Column::ConversationId);
        q = match self.annotation {
            AnnotationStatus::All => q,
            AnnotationStatus::Annotated => q.filter(Expr::exists(annotations())),
            AnnotationStatus::NotAnnotated => q.filter(Expr::not_exists(annotations())),
        };
        if let Some(n) = self.message_count_gte {
            let count = Query::select()
                .expr(Expr::col((messages::Entity, messages::Column::Id)).count())
                .from(messages::Entity)
                .and_where(
                    Expr::col((messages::Entity, messages::Column::ConversationId))
                        .equals((conversations::Entity, conversations::Column::Id)),
                )
                .to_owned();
            q = q.filter(Expr::SubQuery(None, Box::new(count.into())).gte(n));
        }
        q
    }
}

/// `SELECT 1 FROM <table> WHERE <table>.<column> = conversations.id`, to correlate.
fn of_conversation<E: EntityTrait, C: ColumnTrait>(entity: E, column: C) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(entity)
        .and_where(Expr::col((entity, column)).equals((conversations::Entity, conversations::Column::Id)))
        .to_owned()
}

/// Dify's `ilike`, which SQLite lacks: `LOWER(column) LIKE <lowercased pattern>`, bound as a
/// parameter.
fn ci_like<C: sea_orm::sea_query::IntoColumnRef>(column: C, pattern: &str) -> Expr {
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(pattern).escape('\\'))
}

/// The app's conversations that are not deleted.
pub(crate) fn live(app_id: Uuid) -> Select<conversations::Entity> {
    conversations::Entity::find()
        .filter(conversations::Column::AppId.eq(app_id))
        .filter(conversations::Column::IsDeleted.eq(false))
}
