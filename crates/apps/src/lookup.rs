//! Loading an app the caller may see: always scoped to the caller's workspace.

use entities::apps;

use crate::AppError;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

pub use entities::apps::AppMode;

/// The workspace's normal-status app `app_id`, as Dify's console helper loads it; with `mode`,
/// an app of another mode is "not found" too. Another workspace's app is never found.
pub async fn app_for_tenant(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    app_id: Uuid,
    mode: Option<AppMode>,
) -> Result<apps::Model, AppError> {
    let app = apps::Entity::find_by_id(app_id)
        .filter(apps::Column::TenantId.eq(tenant_id))
        .filter(apps::Column::Status.eq(entities::kinds::RowStatus::Normal))
        .one(db)
        .await?
        .ok_or(AppError::Missing)?;
    if let Some(mode) = mode
        && app.mode != mode
    {
        return Err(AppError::WrongMode(mode));
    }
    Ok(app)
}
