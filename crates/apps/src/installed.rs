//! Installed apps: the explore sidebar of one workspace. Every lookup is scoped to the
//! caller's workspace, so another workspace's entry is simply not found.

use std::collections::HashMap;

use crate::AppError;
use entities::{apps, installed_apps, recommended_apps};
use kernel::ApiError;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use uuid::Uuid;

use crate::explore::{AppSummary, app_summary};

fn installed_not_found() -> ApiError {
    ApiError::not_found("Installed app not found")
}

/// Dify's `installed_app_fields`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InstalledApp {
    pub id: Uuid,
    pub app: AppSummary,
    pub app_owner_tenant_id: Uuid,
    pub is_pinned: bool,
    /// Unix seconds.
    pub last_used_at: Option<i64>,
    pub editable: bool,
    pub uninstallable: bool,
}

/// Dify's `installed_app_list_fields`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InstalledApps {
    pub installed_apps: Vec<InstalledApp>,
}

/// `GET /installed-apps`: pinned first, then by last use, never-used first (Dify's sort);
/// ties keep install order. `editable` is the caller's role check.
pub async fn list(db: &DatabaseConnection, tenant_id: Uuid, editable: bool) -> Result<InstalledApps, ApiError> {
    let rows = installed_apps::Entity::find()
        .filter(installed_apps::Column::TenantId.eq(tenant_id))
        .order_by_asc(installed_apps::Column::CreatedAt)
        .order_by_asc(installed_apps::Column::Id)
        .all(db)
        .await?;
    let app_ids: Vec<Uuid> = rows.iter().map(|r| r.app_id).collect();
    let app_rows: HashMap<Uuid, apps::Model> = if app_ids.is_empty() {
        HashMap::new()
    } else {
        apps::Entity::find()
            .filter(apps::Column::Id.is_in(app_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect()
    };
    // An entry whose app is gone is left out; touching it (PATCH/DELETE) cleans it up.
    let mut rows: Vec<(installed_apps::Model, &apps::Model)> =
        rows.into_iter().filter_map(|r| app_rows.get(&r.app_id).map(|a| (r, a))).collect();
    rows.sort_by_key(|(r, _)| (!r.is_pinned, r.last_used_at));
    let installed_apps = rows
        .iter()
        .map(|(r, app)| InstalledApp {
            id: r.id,
            app: app_summary(app),
            app_owner_tenant_id: r.app_owner_tenant_id,
            is_pinned: r.is_pinned,
            last_used_at: r.last_used_at.map(unix_seconds),
            editable,
            uninstallable: r.app_owner_tenant_id == tenant_id,
        })
        .collect();
    Ok(InstalledApps { installed_apps })
}

/// `POST /installed-apps`: adds a catalogue app to the workspace. Installing twice changes
/// nothing; the first install counts once towards `install_count`, in the same transaction.
pub async fn install(db: &DatabaseConnection, tenant_id: Uuid, app_id: Uuid) -> Result<(), AppError> {
    let not_found = || ApiError::not_found("App not found");
    let in_catalogue =
        recommended_apps::Entity::find().filter(recommended_apps::Column::AppId.eq(app_id)).one(db).await?.is_some();
    if !in_catalogue {
        return Err(not_found().into());
    }
    let app = apps::Entity::find_by_id(app_id).one(db).await?.ok_or_else(not_found)?;
    if !app.is_public {
        return Err(AppError::NotPublic);
    }
    let entry = installed_apps::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        app_id: Set(app_id),
        app_owner_tenant_id: Set(app.tenant_id),
        position: Set(0),
        is_pinned: Set(false),
        last_used_at: Set(Some(now_naive())),
        created_at: Set(now_naive()),
    };
    let txn = db.begin().await?;
    // The (tenant_id, app_id) unique key decides between concurrent installs: only the
    // insert that lands counts.
    let inserted = installed_apps::Entity::insert(entry)
        .on_conflict(
            OnConflict::columns([installed_apps::Column::TenantId, installed_apps::Column::AppId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    if inserted > 0 {
        recommended_apps::Entity::update_many()
            .col_expr(recommended_apps::Column::InstallCount, Expr::col(recommended_apps::Column::InstallCount).add(1))
            .filter(recommended_apps::Column::AppId.eq(app_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The workspace's installed-app entry `id`. An entry whose app has been deleted is removed
/// and reported missing, as Dify's `installed_app_required` does.
pub async fn for_tenant(db: &DatabaseConnection, tenant_id: Uuid, id: Uuid) -> Result<installed_apps::Model, ApiError> {
    let entry = installed_apps::Entity::find_by_id(id)
        .filter(installed_apps::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or_else(installed_not_found)?;
    if apps::Entity::find_by_id(entry.app_id).one(db).await?.is_none() {
        installed_apps::Entity::delete_by_id(entry.id).exec(db).await?;
        return Err(installed_not_found());
    }
    Ok(entry)
}

/// The app behind the workspace's installed-app entry `id` (404 "Installed app not found" for
/// another workspace's entry, or an app that is gone or not in normal status).
pub async fn app_of(db: &DatabaseConnection, tenant_id: Uuid, id: Uuid) -> Result<apps::Model, ApiError> {
    let entry = for_tenant(db, tenant_id, id).await?;
    apps::Entity::find_by_id(entry.app_id)
        .one(db)
        .await?
        .filter(|a| a.status == entities::kinds::RowStatus::Normal)
        .ok_or_else(installed_not_found)
}

/// Pins or unpins an entry.
pub async fn set_pinned(db: &DatabaseConnection, entry: &installed_apps::Model, pinned: bool) -> Result<(), ApiError> {
    installed_apps::ActiveModel { id: Set(entry.id), is_pinned: Set(pinned), ..Default::default() }.update(db).await?;
    Ok(())
}

/// Removes an entry; a workspace cannot uninstall its own app.
pub async fn uninstall(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    entry: &installed_apps::Model,
) -> Result<(), ApiError> {
    if entry.app_owner_tenant_id == tenant_id {
        return Err(ApiError::bad_request("You can't uninstall an app owned by the current tenant"));
    }
    // Of parallel uninstalls of one entry exactly one deletes it; the others find it gone.
    let gone = installed_apps::Entity::delete_by_id(entry.id)
        .filter(installed_apps::Column::TenantId.eq(tenant_id))
        .exec(db)
        .await?;
    if gone.rows_affected == 0 {
        return Err(installed_not_found());
    }
    Ok(())
}
