//! Accounts, workspaces (tenants), members and roles, setup, login, sessions and tokens, invitations.

pub mod account;
pub mod error;
pub mod invitation;
pub mod keys;
pub mod login;
pub mod members;
pub mod role;
pub mod session;
pub mod setup;
pub mod tenant;
pub mod validate;

pub use error::AccountError;
pub use role::TenantRole;
