//! Agent tools' credentials per workspace (`tool_providers`): the list the console's Plugins
//! page shows. Dify 0.3.23 knows one tool, SerpAPI.

use entities::tool_providers;
use infra::storage::Storage;
use kernel::ApiError;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::credentials::{CredentialCache, Credentials, decrypt_value};

/// Dify's `ToolProviderName`, in its order.
pub const TOOLS: [&str; 1] = ["serpapi"];

/// One tool of the list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ToolProvider {
    pub tool_name: &'static str,
    pub is_enabled: bool,
    /// The stored credentials with `api_key` obfuscated; null when disabled or unreadable.
    #[schema(value_type = Option<Object>)]
    pub credentials: Option<Credentials>,
}

/// `GET workspaces/current/tool-providers`: every tool, disabled with no credentials unless
/// the workspace enabled it, then with its API key obfuscated.
pub async fn list(
    db: &impl ConnectionTrait,
    storage: &dyn Storage,
    cache: &CredentialCache,
    tenant_id: Uuid,
) -> Result<Vec<ToolProvider>, ApiError> {
    let rows = tool_providers::Entity::find()
        .filter(tool_providers::Column::TenantId.eq(tenant_id))
        .filter(tool_providers::Column::IsEnabled.eq(true))
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(TOOLS.len());
    for tool in TOOLS {
        let Some(row) = rows.iter().find(|r| r.tool_name == tool) else {
            out.push(ToolProvider { tool_name: tool, is_enabled: false, credentials: None });
            continue;
        };
        let credentials = obfuscated(storage, cache, row).await;
        out.push(ToolProvider { tool_name: tool, is_enabled: true, credentials });
    }
    Ok(out)
}

/// The stored credentials with `api_key` decrypted and obfuscated; null when unreadable
/// (a key pair reset since), which the console shows as not configured.
async fn obfuscated(
    storage: &dyn Storage,
    cache: &CredentialCache,
    row: &tool_providers::Model,
) -> Option<Credentials> {
    let Some(Value::Object(mut creds)) =
        row.encrypted_credentials.as_deref().and_then(|c| serde_json::from_str(c).ok())
    else {
        return None;
    };
    if let Some(Value::String(cipher)) = creds.get("api_key") {
        match decrypt_value(storage, cache, row.tenant_id, cipher).await {
            Ok(plain) => {
                creds.insert("api_key".into(), Value::String(kernel::crypto::obfuscate(&plain)));
            }
            Err(e) => {
                tracing::warn!(error = %e, tool = %row.tool_name, "tool credentials unreadable");
                return None;
            }
        }
    }
    Some(creds)
}
