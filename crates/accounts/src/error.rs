//! What account, workspace and member operations refuse, in the domain's words. api-server's
//! error table gives each case Dify's code and status.

use kernel::ApiError;

/// A refused account or membership operation; `Display` is Dify's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("Invalid role")]
    InvalidRole,
    /// The operator's role does not allow the operation (the message names it).
    #[error("{0}")]
    NoPermission(&'static str),
    #[error("Cannot operate self.")]
    CannotOperateSelf,
    #[error("Member not in tenant.")]
    MemberNotFound,
    #[error("New password and repeat password does not match.")]
    RepeatPasswordMismatch,
    #[error("Current password is incorrect.")]
    CurrentPasswordIncorrect,
    #[error("Auth Token is invalid or account already activated, please check again.")]
    AlreadyActivated,
    #[error("Invalid invitation code.")]
    InvalidInvitationCode,
    #[error("The account has been initialized. Please refresh the page.")]
    AlreadyInitialized,
    #[error("The account has not been initialized yet. Please proceed with the initialization process first.")]
    NotInitialized,
    /// The account belongs to no workspace (or not to the one asked for).
    #[error("Account not link tenant")]
    NotLinkedToWorkspace,
    #[error("Dify has been successfully installed. Please refresh the page or return to the dashboard homepage.")]
    AlreadySetup,
    #[error(
        "Dify has not been initialized and installed yet. Please proceed with the initialization and installation process first."
    )]
    NotSetup,
    /// A failure every domain shares (not found, invalid parameter, storage).
    #[error(transparent)]
    Common(#[from] ApiError),
}

impl From<sea_orm::DbErr> for AccountError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Common(e.into())
    }
}
