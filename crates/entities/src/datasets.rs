//! Datasets (knowledge bases): indexing technique, embedding model and vector collection.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "datasets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub provider: String,
    pub permission: String,
    pub data_source_type: Option<String>,
    pub indexing_technique: Option<String>,
    /// JSON text naming the vector store and its collection.
    #[sea_orm(column_type = "Text")]
    pub index_struct: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTime,
    pub embedding_model: Option<String>,
    pub embedding_model_provider: Option<String>,
    pub collection_binding_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
