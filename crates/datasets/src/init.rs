//! `POST /datasets/init`: a new dataset named after its first file, with its documents, as
//! Dify's `DatasetInitApi` makes it.

use entities::{datasets, documents as document_rows, upload_files};
use infra::outbox::Outbox;
use kernel::ApiError;
use providers::hosted::Hosting;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::DatasetError;
use crate::dataset::{self, DatasetEdit, DatasetName};
use crate::documents::{self, NewDocuments};

/// What `init` made.
#[derive(Debug)]
pub struct Initialized {
    pub dataset: datasets::Model,
    pub documents: Vec<document_rows::Model>,
    pub batch: String,
}

/// Creates the dataset and its documents. A failure after the dataset row was written
/// removes it again, so nothing half-made stays behind.
pub async fn init(
    db: &DatabaseConnection,
    outbox: &Outbox,
    hosting: &Hosting,
    tenant_id: Uuid,
    account_id: Uuid,
    args: &NewDocuments,
) -> Result<Initialized, DatasetError> {
    let first_id = *args.file_ids.first().ok_or(DatasetError::FileNotExists)?;
    let first = upload_files::Entity::find_by_id(first_id)
        .filter(upload_files::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(DatasetError::FileNotExists)?;
    // Dify names the dataset after the first document.
    let short: String = first.name.chars().take(18).collect();
    let name = DatasetName::parse(&format!("{short}..."))
        .ok_or_else(|| ApiError::invalid_param("name", "Name must be between 1 to 40 characters."))?;
    let d = dataset::create(db, hosting, tenant_id, account_id, name, args.indexing_technique).await?;
    let filled = async {
        let edit = DatasetEdit {
            name: None,
            description: Some(Some(format!("useful for when you want to answer queries about the {}", first.name))),
            permission: None,
            indexing_technique: None,
        };
        let d = dataset::update(db, outbox, hosting, d.clone(), account_id, edit).await?;
        documents::create(db, outbox, hosting, &d, account_id, args).await
    };
    match filled.await {
        Ok((dataset, documents, batch)) => Ok(Initialized { dataset, documents, batch }),
        Err(e) => {
            if let Err(cleanup) = dataset::delete(db, &d).await {
                tracing::error!(dataset_id = %d.id, error = %cleanup, "cannot remove a half-made dataset");
            }
            Err(e)
        }
    }
}
