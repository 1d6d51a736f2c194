//! Each workspace's RSA key pair: the public half in `tenants.encrypt_public_key`, the private
//! half in storage at `privkeys/<tenant_id>/private.pem`, as Dify keeps them.

use infra::storage::{Bytes, Storage};
use kernel::ApiError;
use uuid::Uuid;

/// Where Dify keeps a workspace's private key.
pub fn private_key_path(tenant_id: Uuid) -> String {
    format!("privkeys/{tenant_id}/private.pem")
}

/// Generates a key pair for `tenant_id`, stores the private key and returns the public PEM.
pub async fn create(storage: &dyn Storage, tenant_id: Uuid) -> Result<String, ApiError> {
    // RSA key generation is CPU-bound: keep it off the async workers.
    let pair = tokio::task::spawn_blocking(kernel::crypto::generate_key_pair)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "key generation task failed");
            ApiError::internal()
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "key generation failed");
            ApiError::internal()
        })?;
    storage.save(&private_key_path(tenant_id), Bytes::from(pair.private_pem.into_bytes())).await.map_err(|e| {
        tracing::error!(error = %e, %tenant_id, "cannot store workspace private key");
        ApiError::unavailable("File storage is unavailable, please try again later.")
    })?;
    Ok(pair.public_pem)
}

/// Loads a workspace's private key PEM.
pub async fn load_private(storage: &dyn Storage, tenant_id: Uuid) -> Result<String, ApiError> {
    let bytes = storage.load(&private_key_path(tenant_id)).await.map_err(|e| {
        tracing::error!(error = %e, %tenant_id, "cannot load workspace private key");
        ApiError::internal()
    })?;
    String::from_utf8(bytes.to_vec())
        .map_err(|e| ApiError::internal_because("the workspace private key is not text", e))
}
