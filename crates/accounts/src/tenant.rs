//! Workspaces: creation with their key pair, membership lookups and the current workspace.

use entities::{providers, tenant_account_joins as joins, tenants};
use infra::storage::Storage;
use kernel::ApiError;
use kernel::page::PageRequest;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use uuid::Uuid;

use crate::role::TenantRole;

/// A workspace and the caller's role in it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub tenant: tenants::Model,
    pub role: TenantRole,
}

/// A new workspace's id and key pair, made before any transaction opens so no connection
/// is held while the key is generated.
#[derive(Debug)]
pub struct NewTenant {
    pub id: Uuid,
    pub public_pem: String,
}

impl NewTenant {
    pub async fn prepare(storage: &dyn Storage) -> Result<Self, ApiError> {
        let id = Uuid::new_v4();
        let public_pem = crate::keys::create(storage, id).await?;
        Ok(Self { id, public_pem })
    }

    /// Inserts the workspace row.
    pub async fn insert<C: ConnectionTrait>(self, conn: &C, name: &str) -> Result<tenants::Model, ApiError> {
        let now = now_naive();
        let tenant = tenants::ActiveModel {
            id: Set(self.id),
            name: Set(name.to_string()),
            encrypt_public_key: Set(Some(self.public_pem)),
            plan: Set("basic".into()),
            status: Set(entities::kinds::RowStatus::Normal),
            created_at: Set(now),
            updated_at: Set(now),
        };
        Ok(tenant.insert(conn).await?)
    }
}

/// Adds `account_id` to `tenant_id` with `role`.
pub async fn add_member<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    account_id: Uuid,
    role: TenantRole,
    invited_by: Option<Uuid>,
) -> Result<(), ApiError> {
    let now = now_naive();
    joins::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        account_id: Set(account_id),
        role: Set(role),
        invited_by: Set(invited_by),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Every workspace the account belongs to, oldest membership first.
pub async fn memberships<C: ConnectionTrait>(db: &C, account_id: Uuid) -> Result<Vec<Membership>, ApiError> {
    // Two queries, not one per membership.
    let joins = joins::Entity::find()
        .filter(joins::Column::AccountId.eq(account_id))
        .order_by_asc(joins::Column::CreatedAt)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = joins.iter().map(|j| j.tenant_id).collect();
    let tenants = tenants::Entity::find().filter(tenants::Column::Id.is_in(ids)).all(db).await?;
    Ok(joins
        .into_iter()
        .filter_map(|j| {
            let tenant = tenants.iter().find(|t| t.id == j.tenant_id)?.clone();
            Some(Membership { role: j.role, tenant })
        })
        .collect())
}

/// The account's membership in `tenant_id`, if any.
pub async fn membership(
    db: &DatabaseConnection,
    account_id: Uuid,
    tenant_id: Uuid,
) -> Result<Option<Membership>, ApiError> {
    let Some(join) = joins::Entity::find()
        .filter(joins::Column::AccountId.eq(account_id))
        .filter(joins::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(tenant) = tenants::Entity::find_by_id(tenant_id).one(db).await? else { return Ok(None) };
    Ok(Some(Membership { tenant, role: join.role }))
}

/// The workspace a request acts in: `preferred` when the account is a member of it, else its
/// first workspace; an account with none gets a new one, as Dify's user loader does.
pub async fn resolve_current(
    db: &DatabaseConnection,
    storage: &dyn Storage,
    account: &entities::accounts::Model,
    preferred: Option<Uuid>,
) -> Result<Membership, ApiError> {
    if let Some(id) = preferred
        && let Some(m) = membership(db, account.id, id).await?
    {
        return Ok(m);
    }
    if let Some(first) = memberships(db, account.id).await?.into_iter().next() {
        return Ok(first);
    }
    let new = NewTenant::prepare(storage).await?;
    // Two first requests at once must make one workspace: the later one waits its turn here,
    // then finds the workspace the first made and drops the key pair it prepared.
    let txn = infra::db::begin_critical(db, &format!("workspace-of/{}", account.id), "tenant_account_joins").await?;
    if let Some(first) = memberships(&txn, account.id).await?.into_iter().next() {
        txn.commit().await?;
        if let Err(e) = storage.delete(&crate::keys::private_key_path(new.id)).await {
            tracing::warn!(error = %e, tenant_id = %new.id, "cannot delete an unused workspace key");
        }
        return Ok(first);
    }
    let tenant = new.insert(&txn, &format!("{}'s Workspace", account.name)).await?;
    add_member(&txn, tenant.id, account.id, TenantRole::Owner, None).await?;
    txn.commit().await?;
    Ok(Membership { tenant, role: TenantRole::Owner })
}

/// Number of workspaces on this instance.
pub async fn count(db: &DatabaseConnection) -> Result<u64, ApiError> {
    Ok(tenants::Entity::find().count(db).await?)
}

/// `GET /all-workspaces`: a page of every workspace on the instance, newest first.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct WorkspacePage {
    pub data: Vec<WorkspaceItem>,
    pub has_more: bool,
    pub limit: u64,
    pub page: u64,
    pub total: u64,
}

/// One workspace of [`WorkspacePage`].
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct WorkspaceItem {
    pub id: Uuid,
    pub name: String,
    pub status: entities::kinds::RowStatus,
    /// Unix seconds.
    pub created_at: i64,
}

/// The owner of the workspace, if it has one.
pub async fn owner_of(db: &DatabaseConnection, tenant_id: Uuid) -> Result<Option<Uuid>, ApiError> {
    let owner = joins::Entity::find()
        .filter(joins::Column::TenantId.eq(tenant_id))
        .filter(joins::Column::Role.eq(TenantRole::Owner))
        .one(db)
        .await?;
    Ok(owner.map(|j| j.account_id))
}

/// Every workspace, one page of them (operators).
pub async fn all(db: &DatabaseConnection, page: PageRequest) -> Result<WorkspacePage, ApiError> {
    let paginator = tenants::Entity::find().order_by_desc(tenants::Column::CreatedAt).paginate(db, page.limit);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page.page - 1).await?;
    let data = rows
        .into_iter()
        .map(|t| WorkspaceItem { id: t.id, name: t.name, status: t.status, created_at: unix_seconds(t.created_at) })
        .collect();
    Ok(WorkspacePage { data, has_more: page.has_more(total), limit: page.limit, page: page.page, total })
}

/// A provider as the workspace answer lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderSummary {
    pub provider_name: String,
    pub provider_type: providers::ProviderType,
    pub is_valid: bool,
    pub token_is_set: bool,
}

/// Dify's `tenant_fields`: the current workspace.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkspaceInfo {
    pub id: Uuid,
    pub name: String,
    pub plan: String,
    pub status: entities::kinds::RowStatus,
    /// Unix seconds.
    pub created_at: i64,
    pub role: TenantRole,
    pub providers: Vec<ProviderSummary>,
    /// Always null when self-hosted.
    pub in_trial: Option<bool>,
    pub trial_end_reason: Option<String>,
}

/// Dify's `tenant_fields` for the current workspace.
pub async fn info(db: &DatabaseConnection, m: &Membership) -> Result<WorkspaceInfo, ApiError> {
    let providers = providers::Entity::find().filter(providers::Column::TenantId.eq(m.tenant.id)).all(db).await?;
    let providers = providers
        .into_iter()
        .map(|p| ProviderSummary {
            token_is_set: p.encrypted_config.as_deref().is_some_and(|c| !c.is_empty()),
            provider_name: p.provider_name,
            provider_type: p.provider_type,
            is_valid: p.is_valid,
        })
        .collect();
    Ok(WorkspaceInfo {
        id: m.tenant.id,
        name: m.tenant.name.clone(),
        plan: m.tenant.plan.clone(),
        status: m.tenant.status,
        created_at: unix_seconds(m.tenant.created_at),
        role: m.role,
        providers,
        in_trial: None,
        trial_end_reason: None,
    })
}

/// Dify's `tenants_fields`: a workspace in the account's list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkspaceListItem {
    pub id: Uuid,
    pub name: String,
    pub plan: String,
    pub status: entities::kinds::RowStatus,
    /// Unix seconds.
    pub created_at: i64,
    /// True for the current workspace, null for the others.
    pub current: Option<bool>,
}

/// `GET /workspaces`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Workspaces {
    pub workspaces: Vec<WorkspaceListItem>,
}

/// Dify's `tenants_fields` row for the workspace list.
pub fn list_item(m: &Membership, current: bool) -> WorkspaceListItem {
    WorkspaceListItem {
        id: m.tenant.id,
        name: m.tenant.name.clone(),
        plan: m.tenant.plan.clone(),
        status: m.tenant.status,
        created_at: unix_seconds(m.tenant.created_at),
        current: current.then_some(true),
    }
}
