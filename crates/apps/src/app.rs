//! Apps: creation (with their first model config and site), listing, detail, edits, copy, delete.

use crate::AppError;
use entities::{app_model_configs, apps, installed_apps, sites};
use kernel::ApiError;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::lookup::AppMode;
use crate::model_config::{self, ModelChoices, ModelConfigFields, PartialModelConfig};
use crate::site::AppSite;
use crate::{site, templates};
use serde::Serialize;

/// What `POST /apps` asks for.
#[derive(Debug, Clone)]
pub struct NewApp {
    pub name: String,
    pub mode: Option<AppMode>,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
    pub model_config: Option<Value>,
}

/// Points a config at the default model when its provider is not usable, as Dify does.
fn substitute_model(
    config: &mut Value,
    choices: &ModelChoices,
    default: Option<&(String, String)>,
) -> Result<(), AppError> {
    let provider = config["model"]["provider"].as_str().unwrap_or_default().to_string();
    if choices.text_models.get(&provider).is_some_and(|m| !m.is_empty()) {
        return Ok(());
    }
    let (p, m) = default.ok_or(AppError::NoDefaultModel)?;
    config["model"]["provider"] = json!(p);
    config["model"]["name"] = json!(m);
    Ok(())
}

/// Creates an app with its model config, its site and the owner workspace's installed-app
/// entry, in one transaction.
pub async fn create(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    account_language: &str,
    new: NewApp,
    choices: &ModelChoices,
    default_model: Option<&(String, String)>,
) -> Result<AppDetail, AppError> {
    let (mode, config) = match new.model_config {
        Some(mut config) => {
            if !config.get("model").is_some_and(Value::is_object) {
                return Err(ApiError::value_error("model is required").into());
            }
            substitute_model(&mut config, choices, default_model)?;
            let valid = model_config::validate(config, choices)?;
            crate::datasets::check_exist(db, tenant_id, &valid.dataset_ids).await?;
            let mode = new.mode.unwrap_or(AppMode::Chat);
            (mode, valid.config)
        }
        None => {
            let mode = new.mode.ok_or_else(|| ApiError::bad_request("mode is required"))?;
            let mut config = templates::default_config(mode);
            substitute_model(&mut config, choices, default_model)?;
            (mode, config)
        }
    };
    let now = now_naive();
    let app_id = Uuid::new_v4();
    let config_id = Uuid::new_v4();
    let config_row = model_config::new_row(config_id, app_id, &config);
    let txn = db.begin().await?;
    let app = apps::ActiveModel {
        id: Set(app_id),
        tenant_id: Set(tenant_id),
        name: Set(new.name.clone()),
        mode: Set(mode),
        icon: Set(new.icon),
        icon_background: Set(new.icon_background),
        app_model_config_id: Set(Some(config_id)),
        status: Set(entities::kinds::RowStatus::Normal),
        enable_site: Set(true),
        enable_api: Set(true),
        api_rpm: Set(0),
        api_rph: Set(0),
        is_demo: Set(false),
        is_public: Set(false),
        is_universal: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let config = config_row.insert(&txn).await?;
    site::create(&txn, app_id, &new.name, account_language).await?;
    installed_apps::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        app_id: Set(app_id),
        app_owner_tenant_id: Set(tenant_id),
        position: Set(0),
        is_pinned: Set(false),
        last_used_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(detail_of(&app, Some(&config)))
}

async fn config_of<C: ConnectionTrait>(
    db: &C,
    app: &apps::Model,
) -> Result<Option<app_model_configs::Model>, ApiError> {
    match app.app_model_config_id {
        Some(id) => Ok(app_model_configs::Entity::find_by_id(id).one(db).await?),
        None => Ok(None),
    }
}

/// Dify's `app_detail_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppDetail {
    pub id: Uuid,
    pub name: String,
    pub mode: AppMode,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
    pub enable_site: bool,
    pub enable_api: bool,
    pub api_rpm: i32,
    pub api_rph: i32,
    pub is_demo: bool,
    pub model_config: Option<ModelConfigFields>,
    /// Unix seconds.
    pub created_at: i64,
}

/// Dify's `app_detail_fields_with_site`: the detail, its site and the service API's base URL.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppDetailWithSite {
    #[serde(flatten)]
    pub app: AppDetail,
    pub site: Option<AppSite>,
    pub api_base_url: String,
}

/// Dify's `app_partial_fields`: an app as the list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppListItem {
    pub id: Uuid,
    pub name: String,
    pub mode: AppMode,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
    pub enable_site: bool,
    pub enable_api: bool,
    pub is_demo: bool,
    pub model_config: Option<PartialModelConfig>,
    /// Unix seconds.
    pub created_at: i64,
}

/// Dify's `app_pagination_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppPage {
    pub page: u64,
    pub limit: u64,
    pub total: u64,
    pub has_more: bool,
    pub data: Vec<AppListItem>,
}

fn detail_of(app: &apps::Model, config: Option<&app_model_configs::Model>) -> AppDetail {
    AppDetail {
        id: app.id,
        name: app.name.clone(),
        mode: app.mode,
        icon: app.icon.clone(),
        icon_background: app.icon_background.clone(),
        enable_site: app.enable_site,
        enable_api: app.enable_api,
        api_rpm: app.api_rpm,
        api_rph: app.api_rph,
        is_demo: app.is_demo,
        model_config: config.map(ModelConfigFields::from),
        created_at: unix_seconds(app.created_at),
    }
}

/// Dify's `app_detail_fields`.
pub async fn detail<C: ConnectionTrait>(db: &C, app: &apps::Model) -> Result<AppDetail, ApiError> {
    let config = config_of(db, app).await?;
    Ok(detail_of(app, config.as_ref()))
}

/// Dify's `app_detail_fields_with_site`.
pub async fn detail_with_site(
    db: &DatabaseConnection,
    app: &apps::Model,
    app_base_url: &str,
    api_base_url: &str,
) -> Result<AppDetailWithSite, ApiError> {
    let detail = detail(db, app).await?;
    let site = sites::Entity::find().filter(sites::Column::AppId.eq(app.id)).one(db).await?;
    Ok(AppDetailWithSite {
        app: detail,
        site: site.map(|s| site::with_base_url(&s, app_base_url)),
        api_base_url: format!("{}/v1", api_base_url.trim_end_matches('/')),
    })
}

/// One page of the workspace's apps, newest first, in Dify's page-pagination shape.
pub async fn list(db: &DatabaseConnection, tenant_id: Uuid, page: u64, limit: u64) -> Result<AppPage, ApiError> {
    let paginator = apps::Entity::find()
        .filter(apps::Column::TenantId.eq(tenant_id))
        .filter(apps::Column::IsUniversal.eq(false))
        .order_by_desc(apps::Column::CreatedAt)
        .order_by_desc(apps::Column::Id)
        .paginate(db, limit);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page - 1).await?;
    // One query for all the page's configs, not one per app.
    let ids: Vec<Uuid> = items.iter().filter_map(|a| a.app_model_config_id).collect();
    let configs = app_model_configs::Entity::find().filter(app_model_configs::Column::Id.is_in(ids)).all(db).await?;
    let data = items
        .iter()
        .map(|a| {
            let config = a.app_model_config_id.and_then(|id| configs.iter().find(|c| c.id == id));
            AppListItem {
                id: a.id,
                name: a.name.clone(),
                mode: a.mode,
                icon: a.icon.clone(),
                icon_background: a.icon_background.clone(),
                enable_site: a.enable_site,
                enable_api: a.enable_api,
                is_demo: a.is_demo,
                model_config: config.map(PartialModelConfig::from),
                created_at: unix_seconds(a.created_at),
            }
        })
        .collect();
    Ok(AppPage { page, limit, total, has_more: page * limit < total, data })
}

/// An edit of the app row itself.
#[derive(Debug, Clone)]
pub enum AppEdit {
    Name(String),
    Icon { icon: Option<String>, icon_background: Option<String> },
    EnableSite(bool),
    EnableApi(bool),
}

pub async fn edit(db: &DatabaseConnection, app: apps::Model, edit: AppEdit) -> Result<AppDetail, ApiError> {
    let mut row: apps::ActiveModel = app.into();
    match edit {
        AppEdit::Name(n) => row.name = Set(n),
        AppEdit::Icon { icon, icon_background } => {
            row.icon = Set(icon);
            row.icon_background = Set(icon_background);
        }
        AppEdit::EnableSite(b) => row.enable_site = Set(b),
        AppEdit::EnableApi(b) => row.enable_api = Set(b),
    }
    row.updated_at = Set(now_naive());
    let app = row.update(db).await?;
    detail(db, &app).await
}

/// Copies an app with a copy of its current model config (a new row, unlike Dify, whose
/// copy reused the config id and failed) and a new site.
pub async fn copy(db: &DatabaseConnection, app: &apps::Model, account_language: &str) -> Result<AppDetail, ApiError> {
    let config = config_of(db, app).await?;
    let now = now_naive();
    let copy_id = Uuid::new_v4();
    let name = format!("{} copy", app.name);
    let txn = db.begin().await?;
    let config_id = match &config {
        Some(c) => {
            let mut row: app_model_configs::ActiveModel = c.clone().into();
            let id = Uuid::new_v4();
            row.id = Set(id);
            row.app_id = Set(copy_id);
            row.created_at = Set(now);
            row.updated_at = Set(now);
            row.insert(&txn).await?;
            Some(id)
        }
        None => None,
    };
    let mut row: apps::ActiveModel = app.clone().into();
    row.id = Set(copy_id);
    row.name = Set(name.clone());
    row.app_model_config_id = Set(config_id);
    row.created_at = Set(now);
    row.updated_at = Set(now);
    let copied = row.insert(&txn).await?;
    site::create(&txn, copy_id, &name, account_language).await?;
    txn.commit().await?;
    detail(db, &copied).await
}

/// Deletes the app and what hangs off it that nothing else needs (sites, API keys,
/// installed-app entries, dataset links); conversations stay for the logs, as in Dify.
///
/// The app row goes first: of parallel deletes, one deletes it and the others wait on its
/// lock, find nothing and answer 404 (their transactions roll back untouched).
pub async fn delete(db: &DatabaseConnection, app: &apps::Model) -> Result<(), AppError> {
    let txn = db.begin().await?;
    let gone = apps::Entity::delete_many()
        .filter(apps::Column::Id.eq(app.id))
        .filter(apps::Column::TenantId.eq(app.tenant_id))
        .exec(&txn)
        .await?;
    if gone.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    sites::Entity::delete_many().filter(sites::Column::AppId.eq(app.id)).exec(&txn).await?;
    entities::api_tokens::Entity::delete_many()
        .filter(entities::api_tokens::Column::AppId.eq(app.id))
        .exec(&txn)
        .await?;
    installed_apps::Entity::delete_many().filter(installed_apps::Column::AppId.eq(app.id)).exec(&txn).await?;
    entities::recommended_apps::Entity::delete_many()
        .filter(entities::recommended_apps::Column::AppId.eq(app.id))
        .exec(&txn)
        .await?;
    entities::app_dataset_joins::Entity::delete_many()
        .filter(entities::app_dataset_joins::Column::AppId.eq(app.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Stores a new model config for the app and makes it current; re-links the datasets its
/// agent tools name.
pub async fn set_model_config(
    db: &DatabaseConnection,
    app: &apps::Model,
    config: Value,
    choices: &ModelChoices,
) -> Result<(), ApiError> {
    let valid = model_config::validate(config, choices)?;
    crate::datasets::check_exist(db, app.tenant_id, &valid.dataset_ids).await?;
    let config_id = Uuid::new_v4();
    let row = model_config::new_row(config_id, app.id, &valid.config);
    let txn = db.begin().await?;
    row.insert(&txn).await?;
    apps::ActiveModel {
        id: Set(app.id),
        app_model_config_id: Set(Some(config_id)),
        updated_at: Set(now_naive()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    crate::datasets::relink(&txn, app.id, &valid.dataset_ids).await?;
    txn.commit().await?;
    Ok(())
}
