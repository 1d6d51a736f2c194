//! dify-rs's own table: per dataset, the changes its keyword rows have seen and the change up
//! to which Dify's JSON (`dataset_keyword_tables`) was rewritten from them, and how many rows
//! it has.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dataset_keyword_sync")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub dataset_id: Uuid,
    pub changes: i64,
    pub written: i64,
    /// Keyword rows the dataset has.
    pub pairs: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
