//! The datasets an app's agent tools name: they must be the workspace's, and are linked in
//! `app_dataset_joins`.

use entities::{app_dataset_joins, datasets};
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

/// Refuses ids that are not datasets of `tenant_id` (another workspace's look absent).
pub async fn check_exist<C: ConnectionTrait>(db: &C, tenant_id: Uuid, ids: &[Uuid]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    let found = datasets::Entity::find()
        .filter(datasets::Column::TenantId.eq(tenant_id))
        .filter(datasets::Column::Id.is_in(ids.to_vec()))
        .count(db)
        .await?;
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    if found as usize != unique.len() {
        return Err(ApiError::value_error("Dataset ID does not exist, please check your permission."));
    }
    Ok(())
}

/// Makes the app's dataset links exactly `ids`.
pub async fn relink<C: ConnectionTrait>(db: &C, app_id: Uuid, ids: &[Uuid]) -> Result<(), ApiError> {
    app_dataset_joins::Entity::delete_many().filter(app_dataset_joins::Column::AppId.eq(app_id)).exec(db).await?;
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    for dataset_id in unique {
        app_dataset_joins::ActiveModel {
            id: Set(Uuid::new_v4()),
            app_id: Set(app_id),
            dataset_id: Set(dataset_id),
            created_at: Set(now_naive()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
