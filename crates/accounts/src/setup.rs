//! First-run setup: the first admin account and its workspace.

use entities::{accounts, dify_setups};
use infra::storage::Storage;
use kernel::time::now_naive;
use kernel::{ApiError, DIFY_VERSION};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder, Set, SqlErr, TransactionTrait,
};

use crate::AccountError;
use crate::account::{NewAccount, status};
use crate::role::TenantRole;
use crate::tenant::NewTenant;

/// When setup finished, if it has.
pub async fn status(db: &DatabaseConnection) -> Result<Option<dify_setups::Model>, ApiError> {
    Ok(dify_setups::Entity::find().order_by_asc(dify_setups::Column::SetupAt).one(db).await?)
}

/// True once `dify_setups` has a row.
pub async fn is_done(db: &DatabaseConnection) -> Result<bool, ApiError> {
    Ok(dify_setups::Entity::find().count(db).await? > 0)
}

/// Creates the admin account, its workspace (owner) and the setup marker in one
/// transaction. Refused once set up, or once any workspace exists.
pub async fn run(
    db: &DatabaseConnection,
    storage: &dyn Storage,
    email: &str,
    name: &str,
    password: &str,
) -> Result<accounts::Model, AccountError> {
    if is_done(db).await? || crate::tenant::count(db).await? > 0 {
        return Err(AccountError::AlreadySetup);
    }
    let hash = crate::account::hash(password).await?;
    let tenant = NewTenant::prepare(storage).await?;
    let txn = db.begin().await?;
    let account = NewAccount {
        email,
        name,
        password: Some(hash),
        interface_language: "en-US",
        status: status::ACTIVE,
        initialized: true,
    }
    .insert(&txn)
    .await?;
    let tenant = tenant.insert(&txn, &format!("{name}'s Workspace")).await?;
    crate::tenant::add_member(&txn, tenant.id, account.id, TenantRole::Owner, None).await?;
    let marker = dify_setups::ActiveModel { version: Set(DIFY_VERSION.into()), setup_at: Set(now_naive()) };
    // Two concurrent setups both pass the check above; the marker's primary key lets one win.
    if let Err(e) = marker.insert(&txn).await {
        return Err(match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AccountError::AlreadySetup,
            _ => e.into(),
        });
    }
    txn.commit().await?;
    Ok(account)
}
