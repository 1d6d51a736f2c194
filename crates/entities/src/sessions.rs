//! Server-side web sessions (Flask-Session with SESSION_TYPE=sqlalchemy).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub session_id: Option<String>,
    #[sea_orm(column_type = "Blob")]
    pub data: Option<Vec<u8>>,
    pub expiry: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
