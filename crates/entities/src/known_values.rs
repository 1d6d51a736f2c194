//! Values of the enum columns that dify-rs cannot read.
//!
//! Status, mode, source and type columns are read as enums, so a row holding a value outside
//! Dify 0.3.23's set (written by a later Dify, or by hand) could not be read at all: every
//! request touching it would fail. Python Dify 0.3.23 writes only these values; this check
//! lets an operator taking a database over find any other before users do
//! (`admin db check-values`, and once when a Dify database is adopted).

use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IdenStatic, QueryFilter, QuerySelect};

use crate::*;

/// One column's values outside its enum, with how many rows hold each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValues {
    pub table: String,
    pub column: &'static str,
    /// (value, rows), most frequent first.
    pub values: Vec<(String, i64)>,
}

impl std::fmt::Display for UnknownValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values: Vec<String> = self.values.iter().map(|(v, n)| format!("{v:?} in {n} row(s)")).collect();
        write!(f, "{}.{}: {}", self.table, self.column, values.join(", "))
    }
}

/// The values of `column` (an enum of `A`) that `A` does not know; NULL is not a value.
async fn unknown<E, A>(db: &impl ConnectionTrait, column: E::Column, out: &mut Vec<UnknownValues>) -> Result<(), DbErr>
where
    E: EntityTrait,
    A: ActiveEnum<Value = String>,
{
    let mut values: Vec<(String, i64)> = E::find()
        .select_only()
        .column_as(column, "value")
        .column_as(SimpleExpr::from(Func::count(Expr::col(column))), "n")
        .filter(column.is_not_null())
        .filter(column.is_not_in(A::values()))
        .group_by(column)
        .into_tuple()
        .all(db)
        .await?;
    if !values.is_empty() {
        values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.push(UnknownValues { table: E::default().table_name().to_owned(), column: column.as_str(), values });
    }
    Ok(())
}

/// [`unknown_values`] as the operator reads them: one line per column, saying what to do.
pub async fn warnings(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    Ok(unknown_values(db)
        .await?
        .iter()
        .map(|u| {
            format!(
                "{u}: dify-rs reads only Dify 0.3.23's values here, so requests touching these rows will \
                 fail; change them to one of Dify 0.3.23's values"
            )
        })
        .collect())
}

/// Every enum column's unknown values, table by table; empty when every row reads.
pub async fn unknown_values(db: &impl ConnectionTrait) -> Result<Vec<UnknownValues>, DbErr> {
    use kinds::{CreatorRole, DataSourceType, FromSource, ModelType, RowStatus};
    let mut out = Vec::new();
    let o = &mut out;
    unknown::<accounts::Entity, accounts::AccountStatus>(db, accounts::Column::Status, o).await?;
    unknown::<tenants::Entity, RowStatus>(db, tenants::Column::Status, o).await?;
    unknown::<tenant_account_joins::Entity, tenant_account_joins::TenantRole>(
        db,
        tenant_account_joins::Column::Role,
        o,
    )
    .await?;
    unknown::<invitation_codes::Entity, invitation_codes::CodeStatus>(db, invitation_codes::Column::Status, o).await?;
    unknown::<apps::Entity, apps::AppMode>(db, apps::Column::Mode, o).await?;
    unknown::<apps::Entity, RowStatus>(db, apps::Column::Status, o).await?;
    unknown::<sites::Entity, RowStatus>(db, sites::Column::Status, o).await?;
    unknown::<api_tokens::Entity, api_tokens::TokenType>(db, api_tokens::Column::Type, o).await?;
    unknown::<end_users::Entity, end_users::EndUserType>(db, end_users::Column::Type, o).await?;
    unknown::<conversations::Entity, apps::AppMode>(db, conversations::Column::Mode, o).await?;
    unknown::<conversations::Entity, RowStatus>(db, conversations::Column::Status, o).await?;
    unknown::<conversations::Entity, FromSource>(db, conversations::Column::FromSource, o).await?;
    unknown::<messages::Entity, FromSource>(db, messages::Column::FromSource, o).await?;
    unknown::<message_feedbacks::Entity, message_feedbacks::FeedbackSide>(db, message_feedbacks::Column::FromSource, o)
        .await?;
    unknown::<message_agent_thoughts::Entity, CreatorRole>(db, message_agent_thoughts::Column::CreatedByRole, o)
        .await?;
    unknown::<saved_messages::Entity, CreatorRole>(db, saved_messages::Column::CreatedByRole, o).await?;
    unknown::<pinned_conversations::Entity, CreatorRole>(db, pinned_conversations::Column::CreatedByRole, o).await?;
    unknown::<dataset_retriever_resources::Entity, DataSourceType>(
        db,
        dataset_retriever_resources::Column::DataSourceType,
        o,
    )
    .await?;
    unknown::<datasets::Entity, datasets::Permission>(db, datasets::Column::Permission, o).await?;
    unknown::<datasets::Entity, DataSourceType>(db, datasets::Column::DataSourceType, o).await?;
    unknown::<datasets::Entity, datasets::IndexingTechnique>(db, datasets::Column::IndexingTechnique, o).await?;
    unknown::<dataset_process_rules::Entity, dataset_process_rules::ProcessMode>(
        db,
        dataset_process_rules::Column::Mode,
        o,
    )
    .await?;
    unknown::<dataset_queries::Entity, dataset_queries::QuerySource>(db, dataset_queries::Column::Source, o).await?;
    unknown::<dataset_queries::Entity, CreatorRole>(db, dataset_queries::Column::CreatedByRole, o).await?;
    unknown::<documents::Entity, DataSourceType>(db, documents::Column::DataSourceType, o).await?;
    unknown::<documents::Entity, documents::CreatedFrom>(db, documents::Column::CreatedFrom, o).await?;
    unknown::<documents::Entity, documents::IndexingStatus>(db, documents::Column::IndexingStatus, o).await?;
    unknown::<documents::Entity, documents::DocForm>(db, documents::Column::DocForm, o).await?;
    unknown::<document_segments::Entity, document_segments::SegmentStatus>(db, document_segments::Column::Status, o)
        .await?;
    unknown::<providers::Entity, providers::ProviderType>(db, providers::Column::ProviderType, o).await?;
    unknown::<providers::Entity, providers::QuotaType>(db, providers::Column::QuotaType, o).await?;
    unknown::<tenant_preferred_model_providers::Entity, providers::ProviderType>(
        db,
        tenant_preferred_model_providers::Column::PreferredProviderType,
        o,
    )
    .await?;
    unknown::<provider_models::Entity, ModelType>(db, provider_models::Column::ModelType, o).await?;
    unknown::<tenant_default_models::Entity, ModelType>(db, tenant_default_models::Column::ModelType, o).await?;
    unknown::<provider_orders::Entity, provider_orders::PaymentStatus>(db, provider_orders::Column::PaymentStatus, o)
        .await?;
    Ok(out)
}
