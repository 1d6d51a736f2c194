//! Dataset lists and details as Dify's `dataset_detail_fields` render them, with the counts
//! of a page loaded in one query each; a dataset's queries and the apps that use it.

use std::collections::{HashMap, HashSet};

use entities::apps::AppMode;
use entities::{app_dataset_joins, apps, dataset_queries, datasets, documents};
use kernel::ApiError;
use kernel::time::unix_seconds;
use providers::hosted::Hosting;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use crate::dataset::{IndexingTechnique, Permission};
use crate::embedding;

pub use kernel::page::PageRequest as Page;

/// Dify's numbered page: a page's items with the total behind them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NumberedPage<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    pub limit: u64,
    pub total: u64,
    pub page: u64,
}

impl<T> NumberedPage<T> {
    pub fn new(page: Page, data: Vec<T>, total: u64) -> Self {
        Self { data, has_more: page.has_more(total), limit: page.limit, total, page: page.page }
    }
}

/// Dify's `dataset_detail_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DatasetDetail {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub provider: String,
    pub permission: Permission,
    pub data_source_type: Option<entities::kinds::DataSourceType>,
    pub indexing_technique: Option<IndexingTechnique>,
    pub app_count: i64,
    pub document_count: i64,
    pub word_count: i64,
    pub created_by: Uuid,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_by: Option<Uuid>,
    /// Unix seconds.
    pub updated_at: i64,
    pub embedding_model: Option<String>,
    pub embedding_model_provider: Option<String>,
    /// Whether the embedding model can be used now; null on POST and PATCH answers, as Dify.
    pub embedding_available: Option<bool>,
}

/// Dify's short `dataset_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DatasetBrief {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub permission: Permission,
    pub data_source_type: Option<entities::kinds::DataSourceType>,
    pub indexing_technique: Option<IndexingTechnique>,
    pub created_by: Uuid,
    /// Unix seconds.
    pub created_at: i64,
}

/// Dify's `dataset_query_detail_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DatasetQuery {
    pub id: Uuid,
    pub content: String,
    pub source: entities::dataset_queries::QuerySource,
    pub source_app_id: Option<Uuid>,
    pub created_by_role: entities::kinds::CreatorRole,
    pub created_by: Uuid,
    /// Unix seconds.
    pub created_at: i64,
}

/// An app that uses the dataset (Dify's `related_app_list`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RelatedApp {
    pub id: Uuid,
    pub name: String,
    pub mode: AppMode,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
}

/// `GET /datasets/<id>/related-apps`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RelatedApps {
    pub total: usize,
    pub data: Vec<RelatedApp>,
}

/// `GET /datasets/limit`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentLimit {
    pub documents_count: u64,
    pub documents_limit: u64,
}

/// Per-dataset counts for the details of a page.
#[derive(Debug, Default)]
struct Counts {
    apps: HashMap<Uuid, i64>,
    documents: HashMap<Uuid, i64>,
    words: HashMap<Uuid, i64>,
}

async fn counts(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Counts, ApiError> {
    if ids.is_empty() {
        return Ok(Counts::default());
    }
    let apps = app_dataset_joins::Entity::find()
        .select_only()
        .column(app_dataset_joins::Column::DatasetId)
        .expr(Expr::col((app_dataset_joins::Entity, app_dataset_joins::Column::Id)).count())
        .filter(app_dataset_joins::Column::DatasetId.is_in(ids.iter().copied()))
        .group_by(app_dataset_joins::Column::DatasetId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?;
    let docs = documents::Entity::find()
        .select_only()
        .column(documents::Column::DatasetId)
        .expr(Expr::col((documents::Entity, documents::Column::Id)).count())
        // COALESCE keeps the sum an integer on both databases, and zero when every count is null.
        .expr(Expr::cust("CAST(COALESCE(SUM(documents.word_count), 0) AS BIGINT)"))
        .filter(documents::Column::DatasetId.is_in(ids.iter().copied()))
        .group_by(documents::Column::DatasetId)
        .into_tuple::<(Uuid, i64, i64)>()
        .all(db)
        .await?;
    let mut c = Counts { apps: apps.into_iter().collect(), ..Counts::default() };
    for (id, n, words) in docs {
        c.documents.insert(id, n);
        c.words.insert(id, words);
    }
    Ok(c)
}

fn detail_fields(d: &datasets::Model, c: &Counts, embedding_available: Option<bool>) -> DatasetDetail {
    DatasetDetail {
        id: d.id,
        name: d.name.clone(),
        description: d.description.clone(),
        provider: d.provider.clone(),
        permission: d.permission,
        data_source_type: d.data_source_type,
        indexing_technique: d.indexing_technique,
        app_count: c.apps.get(&d.id).copied().unwrap_or(0),
        document_count: c.documents.get(&d.id).copied().unwrap_or(0),
        word_count: c.words.get(&d.id).copied().unwrap_or(0),
        created_by: d.created_by,
        created_at: unix_seconds(d.created_at),
        updated_by: d.updated_by,
        updated_at: unix_seconds(d.updated_at),
        embedding_model: d.embedding_model.clone(),
        embedding_model_provider: d.embedding_model_provider.clone(),
        embedding_available,
    }
}

/// True unless the dataset is high quality and its embedding model is not usable now.
fn embedding_available(d: &datasets::Model, usable: &HashSet<String>) -> bool {
    if d.indexing_technique != Some(IndexingTechnique::HighQuality) {
        return true;
    }
    let name = format!(
        "{}:{}",
        d.embedding_model.as_deref().unwrap_or("None"),
        d.embedding_model_provider.as_deref().unwrap_or("None")
    );
    usable.contains(&name)
}

/// `dataset_detail_fields` of one dataset; `check_embedding` fills `embedding_available`
/// (GET answers do, POST and PATCH answers leave it null, as Dify).
pub async fn detail(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    d: &datasets::Model,
    check_embedding: bool,
) -> Result<DatasetDetail, ApiError> {
    let c = counts(db, &[d.id]).await?;
    let available = if check_embedding {
        Some(embedding_available(d, &embedding::usable_names(db, hosting, d.tenant_id).await?))
    } else {
        None
    };
    Ok(detail_fields(d, &c, available))
}

/// The short `dataset_fields` that `datasets/init` answers with.
pub fn brief(d: &datasets::Model) -> DatasetBrief {
    DatasetBrief {
        id: d.id,
        name: d.name.clone(),
        description: d.description.clone(),
        permission: d.permission,
        data_source_type: d.data_source_type,
        indexing_technique: d.indexing_technique,
        created_by: d.created_by,
        created_at: unix_seconds(d.created_at),
    }
}

/// What to list.
#[derive(Debug, Clone)]
pub enum Selection {
    /// The datasets `account_id` may see (its own and shared ones), newest first.
    Visible { account_id: Uuid, provider: String },
    /// These datasets of the workspace (the app editor shows the ones an app uses).
    Ids(Vec<Uuid>),
}

/// `GET /datasets`: `{data, has_more, limit, total, page}`.
pub async fn list(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
    sel: Selection,
    page: Page,
) -> Result<NumberedPage<DatasetDetail>, ApiError> {
    let mut q = datasets::Entity::find().filter(datasets::Column::TenantId.eq(tenant_id));
    q = match sel {
        Selection::Visible { account_id, provider } => q.filter(datasets::Column::Provider.eq(provider)).filter(
            datasets::Column::CreatedBy
                .eq(account_id)
                .or(datasets::Column::Permission.eq(Permission::AllTeamMembers.as_str())),
        ),
        Selection::Ids(ids) => q.filter(datasets::Column::Id.is_in(ids)),
    };
    let paginator =
        q.order_by_desc(datasets::Column::CreatedAt).order_by_desc(datasets::Column::Id).paginate(db, page.limit);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page.page - 1).await?;
    let ids: Vec<Uuid> = items.iter().map(|d| d.id).collect();
    let c = counts(db, &ids).await?;
    let usable = embedding::usable_names(db, hosting, tenant_id).await?;
    let data = items.iter().map(|d| detail_fields(d, &c, Some(embedding_available(d, &usable)))).collect();
    Ok(NumberedPage::new(page, data, total))
}

/// `GET /datasets/<id>/queries`: the dataset's queries, newest first.
pub async fn queries(
    db: &impl ConnectionTrait,
    dataset_id: Uuid,
    page: Page,
) -> Result<NumberedPage<DatasetQuery>, ApiError> {
    let paginator = dataset_queries::Entity::find()
        .filter(dataset_queries::Column::DatasetId.eq(dataset_id))
        .order_by_desc(dataset_queries::Column::CreatedAt)
        .order_by_desc(dataset_queries::Column::Id)
        .paginate(db, page.limit);
    let total = paginator.num_items().await?;
    let data = paginator
        .fetch_page(page.page - 1)
        .await?
        .into_iter()
        .map(|q| DatasetQuery {
            id: q.id,
            content: q.content,
            source: q.source,
            source_app_id: q.source_app_id,
            created_by_role: q.created_by_role,
            created_by: q.created_by,
            created_at: unix_seconds(q.created_at),
        })
        .collect();
    Ok(NumberedPage::new(page, data, total))
}

/// `GET /datasets/<id>/related-apps`: the workspace's apps linked to the dataset, newest link first.
pub async fn related_apps(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    dataset_id: Uuid,
) -> Result<RelatedApps, ApiError> {
    let joins = app_dataset_joins::Entity::find()
        .filter(app_dataset_joins::Column::DatasetId.eq(dataset_id))
        .order_by_desc(app_dataset_joins::Column::CreatedAt)
        .all(db)
        .await?;
    let app_ids: Vec<Uuid> = joins.iter().map(|j| j.app_id).collect();
    let found: HashMap<Uuid, apps::Model> = apps::Entity::find()
        .filter(apps::Column::TenantId.eq(tenant_id))
        .filter(apps::Column::Id.is_in(app_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let data: Vec<RelatedApp> = app_ids
        .iter()
        .filter_map(|id| found.get(id))
        .map(|a| RelatedApp {
            id: a.id,
            name: a.name.clone(),
            mode: a.mode,
            icon: a.icon.clone(),
            icon_background: a.icon_background.clone(),
        })
        .collect();
    Ok(RelatedApps { total: data.len(), data })
}

/// `GET /datasets/limit`: the workspace's available documents against `TENANT_DOCUMENT_COUNT`.
pub async fn document_limit(db: &impl ConnectionTrait, tenant_id: Uuid, limit: u64) -> Result<DocumentLimit, ApiError> {
    let count = documents::Entity::find()
        .filter(documents::Column::TenantId.eq(tenant_id))
        .filter(documents::Column::CompletedAt.is_not_null())
        .filter(documents::Column::Enabled.eq(true))
        .filter(documents::Column::Archived.eq(false))
        .count(db)
        .await?;
    Ok(DocumentLimit { documents_count: count, documents_limit: limit })
}
