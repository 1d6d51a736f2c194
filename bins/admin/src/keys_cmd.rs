//! `reset-encrypt-key-pair`: a new RSA key pair for the self-hosted workspace, which voids
//! every provider credential encrypted with the old one.

use accounts::keys;
use anyhow::{Context, anyhow, bail};
use clap::Args;
use entities::{provider_models, providers, tenants};
use infra::InfraError;
use infra::storage::Storage;
use kernel::Config;
use kernel::config::Edition;
use kernel::time::now_naive;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::prompt;

#[derive(Args, Debug)]
pub struct ResetKeyPairArgs {
    /// Do not ask for confirmation.
    #[arg(long)]
    yes: bool,
}

/// Credentials the reset made unreadable and therefore deleted.
struct Removed {
    providers: u64,
    provider_models: u64,
}

pub async fn run(args: ResetKeyPairArgs, config: &Config) -> anyhow::Result<()> {
    if config.edition != Edition::SelfHosted {
        bail!("Sorry, only support SELF_HOSTED mode.");
    }
    let question = "Are you sure you want to reset encrypt key pair? this operation cannot be rolled back!";
    if !args.yes && !prompt::confirm(question).await? {
        bail!("Aborted!");
    }
    let infra = crate::connect::infra(config).await?;
    // SELF_HOSTED has one workspace; Dify takes the first it finds.
    let tenant = tenants::Entity::find()
        .order_by_asc(tenants::Column::CreatedAt)
        .order_by_asc(tenants::Column::Id)
        .one(&infra.db)
        .await
        .context("cannot look up the workspace")?
        .ok_or_else(|| anyhow!("Sorry, no workspace found. Please enter /install to initialize."))?;

    let storage = infra.storage.as_ref();
    let previous = current_private_key(storage, tenant.id).await?;
    let public_pem = keys::create(storage, tenant.id).await.context("cannot store the new private key")?;
    let removed = match replace(&infra.db, tenant.id, public_pem).await {
        Ok(removed) => removed,
        Err(e) => {
            // The database still holds the old public key: put its private half back.
            if let Some(old) = previous
                && let Err(restore) = storage.save(&keys::private_key_path(tenant.id), old).await
            {
                return Err(anyhow!(
                    "{e:#}; restoring the previous private key failed too ({restore}): \
                     run this command again to make the key pair consistent"
                ));
            }
            return Err(e);
        }
    };
    // Running servers drop the credentials they kept for their next call.
    ::providers::kept::Kept::new(infra.cache.clone()).changed().await;
    println!("Congratulations! the asymmetric key pair of workspace {} has been reset.", tenant.id);
    println!(
        "Deleted {} custom provider and {} provider model credentials; enter them again in Settings.",
        removed.providers, removed.provider_models
    );
    Ok(())
}

async fn current_private_key(storage: &dyn Storage, tenant_id: Uuid) -> anyhow::Result<Option<infra::storage::Bytes>> {
    match storage.load(&keys::private_key_path(tenant_id)).await {
        Ok(bytes) => Ok(Some(bytes)),
        Err(InfraError::NotFound(_)) => Ok(None),
        Err(e) => Err(e).context("cannot read the current private key"),
    }
}

/// Publishes the new public key and drops the credentials only the old key could read, at once.
async fn replace(db: &DatabaseConnection, tenant_id: Uuid, public_pem: String) -> anyhow::Result<Removed> {
    let txn = db.begin().await.context("cannot start a transaction")?;
    tenants::ActiveModel {
        id: Set(tenant_id),
        encrypt_public_key: Set(Some(public_pem)),
        updated_at: Set(now_naive()),
        ..Default::default()
    }
    .update(&txn)
    .await
    .context("cannot store the new public key")?;
    let providers = providers::Entity::delete_many()
        .filter(providers::Column::TenantId.eq(tenant_id))
        .filter(providers::Column::ProviderType.eq(providers::ProviderType::Custom))
        .exec(&txn)
        .await
        .context("cannot delete custom provider credentials")?
        .rows_affected;
    let provider_models = provider_models::Entity::delete_many()
        .filter(provider_models::Column::TenantId.eq(tenant_id))
        .exec(&txn)
        .await
        .context("cannot delete provider model credentials")?
        .rows_affected;
    txn.commit().await.context("cannot commit the key reset")?;
    Ok(Removed { providers, provider_models })
}
