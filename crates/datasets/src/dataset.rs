//! Datasets (knowledge bases): who may see them, creation, settings edits and deletion.

use crate::DatasetError;
use entities::{
    api_tokens, app_dataset_joins, dataset_process_rules, dataset_queries, datasets, document_segments, documents,
};
use infra::outbox::Outbox;
use kernel::ApiError;
use kernel::jobs::Job;
use kernel::time::now_naive;
use providers::hosted::Hosting;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use crate::embedding::{self, EmbeddingModel};

pub use entities::datasets::IndexingTechnique;
pub use entities::datasets::Permission;

/// Dify's help for a dataset name argument that is missing or not a name.
pub const NAME_HELP: &str = "type is required. Name must be between 1 to 40 characters.";

/// A dataset name: 1 to 40 characters, not blank. Read from a body, anything else (null
/// included) is refused with [`NAME_HELP`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(try_from = "Value")]
#[schema(value_type = String)]
pub struct DatasetName(String);

impl TryFrom<Value> for DatasetName {
    type Error = &'static str;

    fn try_from(v: Value) -> Result<Self, Self::Error> {
        v.as_str().and_then(Self::parse).ok_or(NAME_HELP)
    }
}

impl DatasetName {
    /// None when blank or longer than 40 characters.
    pub fn parse(s: &str) -> Option<Self> {
        let n = s.chars().count();
        (n <= 40 && !s.trim().is_empty()).then(|| Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// True when `account_id` may open `d` (its creator, or anyone when shared with the team).
pub fn can_access(d: &datasets::Model, account_id: Uuid) -> bool {
    d.created_by == account_id || d.permission != Permission::OnlyMe
}

/// The workspace's dataset; another workspace's answers 404 like a missing one.
pub async fn find(db: &impl ConnectionTrait, tenant_id: Uuid, id: Uuid) -> Result<datasets::Model, DatasetError> {
    datasets::Entity::find_by_id(id)
        .filter(datasets::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(DatasetError::DatasetNotFound)
}

/// The workspace's dataset, if `account_id` may open it (403 for a teammate's private one).
pub async fn find_accessible(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    account_id: Uuid,
    id: Uuid,
) -> Result<datasets::Model, DatasetError> {
    let d = find(db, tenant_id, id).await?;
    if !can_access(&d, account_id) {
        return Err(DatasetError::NoPermission);
    }
    Ok(d)
}

/// Serialises name checks of one workspace, so two concurrent creates cannot both take a
/// name: a no-op write to its tenant row takes PostgreSQL's row lock, and SQLite's write lock
/// up front (a read first would make the later write fail as busy instead of waiting).
async fn lock_workspace(txn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<(), ApiError> {
    use entities::tenants;
    tenants::Entity::update_many()
        .col_expr(tenants::Column::UpdatedAt, Expr::col(tenants::Column::UpdatedAt))
        .filter(tenants::Column::Id.eq(tenant_id))
        .exec(txn)
        .await?;
    Ok(())
}

async fn name_taken(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    name: &str,
    except: Option<Uuid>,
) -> Result<bool, ApiError> {
    let mut q = datasets::Entity::find()
        .filter(datasets::Column::TenantId.eq(tenant_id))
        .filter(datasets::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(datasets::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

/// Creates an empty dataset (only the creator sees it until shared). A high-quality one
/// records the workspace's default embedding model and that model's collection binding (Dify
/// binds only datasets made with their first documents; an empty one made high-quality would
/// otherwise get a Qdrant collection of its own).
pub async fn create(
    db: &DatabaseConnection,
    hosting: &Hosting,
    tenant_id: Uuid,
    account_id: Uuid,
    name: DatasetName,
    technique: Option<IndexingTechnique>,
) -> Result<datasets::Model, DatasetError> {
    let model = match technique {
        Some(IndexingTechnique::HighQuality) => Some(embedding::default_model(db, hosting, tenant_id).await?),
        _ => None,
    };
    let txn = db.begin().await?;
    lock_workspace(&txn, tenant_id).await?;
    if name_taken(&txn, tenant_id, name.as_str(), None).await? {
        return Err(DatasetError::NameDuplicate);
    }
    let binding = match &model {
        Some(m) => Some(embedding::collection_binding(&txn, m).await?),
        None => None,
    };
    let now = now_naive();
    let row = datasets::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        name: Set(name.0),
        description: Set(None),
        provider: Set("vendor".into()),
        permission: Set(Permission::OnlyMe),
        data_source_type: Set(None),
        indexing_technique: Set(technique),
        index_struct: Set(None),
        created_by: Set(account_id),
        created_at: Set(now),
        updated_by: Set(Some(account_id)),
        updated_at: Set(now),
        embedding_model: Set(model.as_ref().map(|m| m.model.clone())),
        embedding_model_provider: Set(model.as_ref().map(|m| m.provider.clone())),
        collection_binding_id: Set(binding),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Refuses edits to a high-quality dataset whose embedding model the workspace can no longer
/// use, as Dify's `check_dataset_model_setting` does.
pub async fn check_model_setting(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    d: &datasets::Model,
) -> Result<(), ApiError> {
    if d.indexing_technique != Some(IndexingTechnique::HighQuality) {
        return Ok(());
    }
    let wanted = format!(
        "{}:{}",
        d.embedding_model.as_deref().unwrap_or_default(),
        d.embedding_model_provider.as_deref().unwrap_or_default()
    );
    if embedding::usable_names(db, hosting, d.tenant_id).await?.contains(&wanted) {
        Ok(())
    } else {
        Err(ApiError::value_error(
            "No Embedding Model available. Please configure a valid provider in the Settings -> Model Provider.",
        ))
    }
}

/// A settings edit; `None` leaves a field as it is (`description: Some(None)` clears it).
#[derive(Debug, Clone, Default)]
pub struct DatasetEdit {
    pub name: Option<DatasetName>,
    pub description: Option<Option<String>>,
    pub permission: Option<Permission>,
    pub indexing_technique: Option<IndexingTechnique>,
}

/// Applies `edit`. Switching to high quality picks the default embedding model and its
/// collection; switching to economy clears them. A switch queues the move of the dataset's
/// vectors with the change (the indexing pipeline does it).
pub async fn update(
    db: &DatabaseConnection,
    outbox: &Outbox,
    hosting: &Hosting,
    d: datasets::Model,
    account_id: Uuid,
    edit: DatasetEdit,
) -> Result<datasets::Model, DatasetError> {
    let switch_to = edit.indexing_technique.filter(|t| d.indexing_technique != Some(*t));
    let model: Option<EmbeddingModel> = match switch_to {
        Some(IndexingTechnique::HighQuality) => Some(embedding::default_model(db, hosting, d.tenant_id).await?),
        _ => None,
    };
    let txn = db.begin().await?;
    let tenant_id = d.tenant_id;
    let id = d.id;
    // A dataset without documents yet has no vectors to move.
    let moves_vectors = switch_to.is_some() && d.indexing_technique.is_some();
    let mut row: datasets::ActiveModel = d.into();
    if let Some(name) = edit.name {
        lock_workspace(&txn, tenant_id).await?;
        if name_taken(&txn, tenant_id, name.as_str(), Some(id)).await? {
            return Err(DatasetError::NameDuplicate);
        }
        row.name = Set(name.0);
    }
    if let Some(description) = edit.description {
        row.description = Set(description);
    }
    if let Some(p) = edit.permission {
        row.permission = Set(p);
    }
    match (switch_to, model) {
        (Some(IndexingTechnique::HighQuality), Some(m)) => {
            row.collection_binding_id = Set(Some(embedding::collection_binding(&txn, &m).await?));
            row.embedding_model = Set(Some(m.model));
            row.embedding_model_provider = Set(Some(m.provider));
            row.indexing_technique = Set(Some(IndexingTechnique::HighQuality));
        }
        (Some(IndexingTechnique::Economy), _) => {
            row.embedding_model = Set(None);
            row.embedding_model_provider = Set(None);
            row.collection_binding_id = Set(None);
            row.indexing_technique = Set(Some(IndexingTechnique::Economy));
        }
        _ => {}
    }
    row.updated_by = Set(Some(account_id));
    row.updated_at = Set(now_naive());
    let updated = row.update(&txn).await?;
    let job = match moves_vectors {
        true => Some(Outbox::stage(&txn, &Job::SyncDatasetVectors { dataset_id: id }).await?),
        false => None,
    };
    txn.commit().await?;
    outbox.send(job).await;
    Ok(updated)
}

/// The uploads the dataset's documents were made from (to remove once it is deleted).
pub async fn source_files(db: &impl ConnectionTrait, d: &datasets::Model) -> Result<Vec<Uuid>, ApiError> {
    let docs = documents::Entity::find().filter(documents::Column::DatasetId.eq(d.id)).all(db).await?;
    Ok(docs.iter().filter_map(crate::upload::source_file).collect())
}

/// Deletes the dataset with its documents, segments, process rules, queries, keyword table,
/// app links and API keys, in one transaction. (The caller then drops its vector collection
/// and the uploads no other document uses.)
///
/// The dataset row goes first: of parallel deletes, one wins and the others answer 404.
pub async fn delete(db: &DatabaseConnection, d: &datasets::Model) -> Result<(), DatasetError> {
    let txn = db.begin().await?;
    let gone = datasets::Entity::delete_many()
        .filter(datasets::Column::Id.eq(d.id))
        .filter(datasets::Column::TenantId.eq(d.tenant_id))
        .exec(&txn)
        .await?;
    if gone.rows_affected == 0 {
        return Err(DatasetError::DatasetNotFound);
    }
    document_segments::Entity::delete_many().filter(document_segments::Column::DatasetId.eq(d.id)).exec(&txn).await?;
    documents::Entity::delete_many().filter(documents::Column::DatasetId.eq(d.id)).exec(&txn).await?;
    dataset_process_rules::Entity::delete_many()
        .filter(dataset_process_rules::Column::DatasetId.eq(d.id))
        .exec(&txn)
        .await?;
    dataset_queries::Entity::delete_many().filter(dataset_queries::Column::DatasetId.eq(d.id)).exec(&txn).await?;
    crate::indexing::delete_keyword_index(&txn, d.id).await?;
    app_dataset_joins::Entity::delete_many().filter(app_dataset_joins::Column::DatasetId.eq(d.id)).exec(&txn).await?;
    api_tokens::Entity::delete_many().filter(api_tokens::Column::DatasetId.eq(d.id)).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_to_forty_characters() {
        assert!(DatasetName::parse("").is_none());
        assert!(DatasetName::parse("   ").is_none());
        assert!(DatasetName::parse(&"é".repeat(40)).is_some(), "characters, not bytes");
        assert!(DatasetName::parse(&"x".repeat(41)).is_none());
        assert_eq!(Permission::parse("all_team_members"), Some(Permission::AllTeamMembers));
        assert_eq!(IndexingTechnique::parse("fast"), None);
    }
}
