//! Workspace roles, as Dify names them in `tenant_account_joins.role`.

pub use entities::tenant_account_joins::TenantRole;
