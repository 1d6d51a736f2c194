//! Invitation tokens and account activation.

use std::time::Duration;

use entities::{accounts, tenant_account_joins as joins, tenants};
use infra::cache::Cache;
use kernel::ApiError;

use crate::AccountError;
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::account::status;

/// How long an invitation link works.
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);

/// What the token stands for, stored as Dify stores it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvitationData {
    pub account_id: String,
    pub email: String,
    pub workspace_id: String,
}

/// A valid invitation.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub account: accounts::Model,
    pub tenant: tenants::Model,
    key: String,
}

fn token_key(token: &str) -> String {
    format!("member_invite:token:{token}")
}

/// The key of Dify's older invitation format, kept so links it sent still work.
fn legacy_key(workspace_id: &str, email: &str, token: &str) -> String {
    format!("member_invite_token:{workspace_id}, {}:{token}", hex::encode(Sha256::digest(email.as_bytes())))
}

fn cache_err(e: infra::InfraError) -> ApiError {
    tracing::error!(error = %e, "cache unavailable");
    ApiError::unavailable("The cache is unavailable, please try again later.")
}

/// Stores a new invitation token for `account` in `workspace_id`.
pub async fn issue(cache: &dyn Cache, account: &accounts::Model, workspace_id: Uuid) -> Result<String, ApiError> {
    let token = Uuid::new_v4().to_string();
    let data = InvitationData {
        account_id: account.id.to_string(),
        email: account.email.clone(),
        workspace_id: workspace_id.to_string(),
    };
    let bytes = serde_json::to_vec(&data).map_err(|e| ApiError::internal_because("cannot encode an invitation", e))?;
    cache.set(&token_key(&token), &bytes, Some(TOKEN_TTL)).await.map_err(cache_err)?;
    Ok(token)
}

/// The invitation `token` names, if it is live and still matches a member of a normal workspace.
pub async fn find(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    workspace_id: Option<&str>,
    email: Option<&str>,
    token: &str,
) -> Result<Option<Invitation>, ApiError> {
    let (key, data) = match (workspace_id, email) {
        (Some(ws), Some(email)) => {
            let key = legacy_key(ws, email, token);
            let Some(raw) = cache.get(&key).await.map_err(cache_err)? else { return Ok(None) };
            let account_id = String::from_utf8_lossy(&raw).into_owned();
            (key, InvitationData { account_id, email: email.to_string(), workspace_id: ws.to_string() })
        }
        _ => {
            let key = token_key(token);
            let Some(raw) = cache.get(&key).await.map_err(cache_err)? else { return Ok(None) };
            let Ok(data) = serde_json::from_slice::<InvitationData>(&raw) else { return Ok(None) };
            (key, data)
        }
    };
    let (Ok(workspace_id), Ok(account_id)) = (data.workspace_id.parse::<Uuid>(), data.account_id.parse::<Uuid>())
    else {
        return Ok(None);
    };
    let Some(tenant) = tenants::Entity::find_by_id(workspace_id)
        .filter(tenants::Column::Status.eq(entities::kinds::RowStatus::Normal))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(account) = accounts::Entity::find_by_id(account_id).one(db).await? else { return Ok(None) };
    if account.email != data.email {
        return Ok(None);
    }
    let member = joins::Entity::find()
        .filter(joins::Column::TenantId.eq(tenant.id))
        .filter(joins::Column::AccountId.eq(account.id))
        .one(db)
        .await?;
    Ok(member.map(|_| Invitation { account, tenant, key }))
}

/// What the invitee sets when activating.
#[derive(Debug, Clone)]
pub struct Activation {
    pub name: String,
    pub password: String,
    pub interface_language: String,
    pub timezone: String,
}

/// Activates the invited account. The token is single-use: of two concurrent activations
/// only the one that deletes it proceeds.
pub async fn activate(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    workspace_id: Option<&str>,
    email: Option<&str>,
    token: &str,
    activation: Activation,
) -> Result<(), AccountError> {
    let invitation = find(db, cache, workspace_id, email, token).await?.ok_or(AccountError::AlreadyActivated)?;
    if !cache.delete(&invitation.key).await.map_err(cache_err)? {
        return Err(AccountError::AlreadyActivated);
    }
    let hash = crate::account::hash(&activation.password).await?;
    let mut row: accounts::ActiveModel = invitation.account.into();
    row.name = Set(activation.name);
    row.password = Set(Some(hash.hash));
    row.password_salt = Set(Some(hash.salt));
    row.interface_language = Set(Some(activation.interface_language));
    row.timezone = Set(Some(activation.timezone));
    row.interface_theme = Set(Some("light".into()));
    row.status = Set(status::ACTIVE);
    row.initialized_at = Set(Some(now_naive()));
    row.updated_at = Set(now_naive());
    row.update(db).await?;
    Ok(())
}
