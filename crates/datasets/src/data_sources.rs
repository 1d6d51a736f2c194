//! Connected data sources (`data_source_bindings`, Notion): what the console's dataset pages
//! and data-source settings list. Bindings come from a Notion connection (Python Dify wrote
//! them, or the Notion import once it lands); with none, every list is empty, as in Dify.

use entities::kinds::DataSourceType;
use entities::{data_source_bindings as bindings, documents};
use kernel::ApiError;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// The only provider Dify 0.3.23 knows.
pub const NOTION: &str = "notion";

/// flask-restful's `fields.String`: absent or null is null, other scalars become text.
fn string_field(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

/// A Notion page icon.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PageIcon {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub url: Option<String>,
    pub emoji: Option<String>,
}

/// A Notion page as Dify's data-source fields list it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotionPage {
    pub page_name: Option<String>,
    pub page_id: Option<String>,
    pub page_icon: Option<PageIcon>,
    pub parent_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Only in the dataset's page picker: whether a document already imports the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_bound: Option<bool>,
}

/// A page icon (`{type, url, emoji}`), null when there is none.
fn icon(v: Option<&Value>) -> Option<PageIcon> {
    match v {
        Some(Value::Object(i)) => Some(PageIcon {
            kind: string_field(i.get("type")),
            url: string_field(i.get("url")),
            emoji: string_field(i.get("emoji")),
        }),
        _ => None,
    }
}

fn pages(info: &Value) -> Vec<&Map<String, Value>> {
    info.get("pages")
        .and_then(Value::as_array)
        .map(|p| p.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

fn page(p: &Map<String, Value>, is_bound: Option<bool>) -> NotionPage {
    NotionPage {
        page_name: string_field(p.get("page_name")),
        page_id: string_field(p.get("page_id")),
        page_icon: icon(p.get("page_icon")),
        parent_id: string_field(p.get("parent_id")),
        kind: string_field(p.get("type")),
        is_bound,
    }
}

/// A connected Notion workspace and its pages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotionWorkspace {
    pub workspace_name: Option<String>,
    pub workspace_id: Option<String>,
    pub workspace_icon: Option<String>,
    pub pages: Vec<NotionPage>,
    /// Only in the settings list: how many pages the connection holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// One binding of `GET data-source/integrates`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Integrate {
    pub id: Uuid,
    pub provider: String,
    /// Unix seconds.
    pub created_at: i64,
    pub is_bound: bool,
    pub disabled: Option<bool>,
    pub link: String,
    pub source_info: NotionWorkspace,
}

/// `GET data-source/integrates`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Integrates {
    pub data: Vec<Integrate>,
}

/// `GET notion/pre-import/pages`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotionInfo {
    pub notion_info: Vec<NotionWorkspace>,
}

async fn enabled(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<bindings::Model>, ApiError> {
    Ok(bindings::Entity::find()
        .filter(bindings::Column::TenantId.eq(tenant_id))
        .filter(bindings::Column::Disabled.eq(false).or(bindings::Column::Disabled.is_null()))
        .all(db)
        .await?)
}

/// `GET data-source/integrates`: the workspace's enabled bindings. `oauth_link` is where the
/// console sends the user to connect (`<root>/console/api/oauth/data-source/notion`).
pub async fn integrates(db: &impl ConnectionTrait, tenant_id: Uuid, oauth_link: &str) -> Result<Integrates, ApiError> {
    let data = enabled(db, tenant_id)
        .await?
        .into_iter()
        .filter(|b| b.provider == NOTION)
        .map(|b| {
            let info = &b.source_info;
            Integrate {
                id: b.id,
                provider: b.provider.clone(),
                created_at: unix_seconds(b.created_at),
                is_bound: true,
                disabled: b.disabled,
                link: oauth_link.to_owned(),
                source_info: NotionWorkspace {
                    workspace_name: string_field(info.get("workspace_name")),
                    workspace_id: string_field(info.get("workspace_id")),
                    workspace_icon: string_field(info.get("workspace_icon")),
                    pages: pages(info).into_iter().map(|p| page(p, None)).collect(),
                    total: Some(info.get("total").and_then(Value::as_i64).unwrap_or(0)),
                },
            }
        })
        .collect();
    Ok(Integrates { data })
}

/// `PATCH data-source/integrates/<id>/<action>`: `enable` or `disable` one of the workspace's
/// bindings (Dify looks the id up in every workspace; here only the caller's). Other actions
/// change nothing, as in Dify.
pub async fn set_disabled(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    binding_id: Uuid,
    action: &str,
) -> Result<(), ApiError> {
    let binding = bindings::Entity::find_by_id(binding_id)
        .filter(bindings::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Data source binding not found."))?;
    let disabled = binding.disabled.unwrap_or(false);
    let disable = match action {
        "enable" if disabled => false,
        "enable" => return Err(ApiError::value_error("Data source is not disabled.")),
        "disable" if !disabled => true,
        "disable" => return Err(ApiError::value_error("Data source is disabled.")),
        _ => return Ok(()),
    };
    bindings::ActiveModel {
        id: Set(binding.id),
        disabled: Set(Some(disable)),
        updated_at: Set(now_naive()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// `GET notion/pre-import/pages[?dataset_id=]`: the pages the workspace's bindings reach,
/// each marked `is_bound` when the dataset already holds it.
pub async fn pre_import_pages(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    dataset: Option<&entities::datasets::Model>,
) -> Result<NotionInfo, ApiError> {
    let mut imported: Vec<String> = Vec::new();
    if let Some(d) = dataset {
        if d.data_source_type != Some(DataSourceType::NotionImport) {
            return Err(ApiError::value_error("Dataset is not notion type."));
        }
        let docs = documents::Entity::find()
            .filter(documents::Column::DatasetId.eq(d.id))
            .filter(documents::Column::TenantId.eq(tenant_id))
            .filter(documents::Column::DataSourceType.eq(DataSourceType::NotionImport))
            .filter(documents::Column::Enabled.eq(true))
            .all(db)
            .await?;
        imported = docs
            .iter()
            .filter_map(|doc| doc.data_source_info.as_deref())
            .filter_map(|info| serde_json::from_str::<Value>(info).ok())
            .filter_map(|info| info.get("notion_page_id").and_then(Value::as_str).map(str::to_owned))
            .collect();
    }
    let notion_info = enabled(db, tenant_id)
        .await?
        .into_iter()
        .filter(|b| b.provider == NOTION)
        .map(|b| {
            let info = &b.source_info;
            let listed = pages(info)
                .into_iter()
                .map(|p| {
                    let bound =
                        p.get("page_id").and_then(Value::as_str).is_some_and(|id| imported.iter().any(|i| i == id));
                    page(p, Some(bound))
                })
                .collect();
            NotionWorkspace {
                workspace_name: string_field(info.get("workspace_name")),
                workspace_id: string_field(info.get("workspace_id")),
                workspace_icon: string_field(info.get("workspace_icon")),
                pages: listed,
                total: None,
            }
        })
        .collect();
    Ok(NotionInfo { notion_info })
}

/// Whether the workspace has binding `binding_id` of `provider`.
pub async fn has_binding(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    provider: &str,
    binding_id: Uuid,
) -> Result<bool, ApiError> {
    Ok(bindings::Entity::find_by_id(binding_id)
        .filter(bindings::Column::TenantId.eq(tenant_id))
        .filter(bindings::Column::Provider.eq(provider))
        .one(db)
        .await?
        .is_some())
}
