//! Account rows: creation, the profile the console shows, profile edits and passwords.

use entities::accounts;
use kernel::ApiError;

use crate::AccountError;
use kernel::crypto::PasswordHash;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

pub use entities::accounts::AccountStatus;

/// The account statuses by Dify's names.
pub mod status {
    use super::AccountStatus;

    pub const PENDING: AccountStatus = AccountStatus::Pending;
    pub const UNINITIALIZED: AccountStatus = AccountStatus::Uninitialized;
    pub const ACTIVE: AccountStatus = AccountStatus::Active;
}

/// Hashes off the async workers: Argon2 is deliberately slow.
pub async fn hash(password: &str) -> Result<PasswordHash, ApiError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || kernel::crypto::hash_password(&password))
        .await
        .map_err(|e| ApiError::internal_because("the password hashing task failed", e))
}

/// Verifies off the async workers.
pub async fn verify(password: &str, hash: &str, salt: &str) -> bool {
    let (p, h, s) = (password.to_string(), hash.to_string(), salt.to_string());
    tokio::task::spawn_blocking(move || kernel::crypto::verify_password(&p, &h, &s)).await.unwrap_or(false)
}

/// A new account row, as `AccountService.create_account` makes it.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: Option<PasswordHash>,
    pub interface_language: &'a str,
    pub status: AccountStatus,
    pub initialized: bool,
}

impl NewAccount<'_> {
    pub async fn insert<C: ConnectionTrait>(self, conn: &C) -> Result<accounts::Model, ApiError> {
        let now = now_naive();
        let timezone = if self.interface_language == "zh-Hans" { "Asia/Shanghai" } else { "America/New_York" };
        let (password, salt) = match self.password {
            Some(p) => (Some(p.hash), Some(p.salt)),
            None => (None, None),
        };
        let row = accounts::ActiveModel {
            id: Set(Uuid::new_v4()),
            name: Set(self.name.to_string()),
            email: Set(self.email.to_string()),
            password: Set(password),
            password_salt: Set(salt),
            avatar: Set(None),
            interface_language: Set(Some(self.interface_language.to_string())),
            interface_theme: Set(Some("light".into())),
            timezone: Set(Some(timezone.into())),
            last_login_at: Set(None),
            last_login_ip: Set(None),
            status: Set(self.status),
            initialized_at: Set(self.initialized.then_some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            last_active_at: Set(now),
        };
        Ok(row.insert(conn).await?)
    }
}

/// The account with this email, in any case (`lower(email)`, what the unique index covers;
/// a database Dify wrote may still hold duplicates: the oldest wins).
pub async fn by_email<C: ConnectionTrait>(conn: &C, email: &str) -> Result<Option<accounts::Model>, ApiError> {
    use sea_orm::QueryOrder;
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    Ok(accounts::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(accounts::Column::Email))).eq(email.to_lowercase()))
        .order_by_asc(accounts::Column::CreatedAt)
        .one(conn)
        .await?)
}

/// Dify's `account_fields`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Profile {
    pub id: Uuid,
    pub name: String,
    pub avatar: Option<String>,
    pub email: String,
    pub is_password_set: bool,
    pub interface_language: Option<String>,
    pub interface_theme: Option<String>,
    pub timezone: Option<String>,
    /// Unix seconds.
    pub last_login_at: Option<i64>,
    pub last_login_ip: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// Dify's `account_fields` of an account.
pub fn profile(a: &accounts::Model) -> Profile {
    Profile {
        id: a.id,
        name: a.name.clone(),
        avatar: a.avatar.clone(),
        email: a.email.clone(),
        is_password_set: a.password.is_some(),
        interface_language: a.interface_language.clone(),
        interface_theme: a.interface_theme.clone(),
        timezone: a.timezone.clone(),
        last_login_at: a.last_login_at.map(unix_seconds),
        last_login_ip: a.last_login_ip.clone(),
        created_at: unix_seconds(a.created_at),
    }
}

/// One editable profile field.
#[derive(Debug, Clone)]
pub enum ProfileEdit {
    Name(String),
    Avatar(String),
    InterfaceLanguage(String),
    InterfaceTheme(String),
    Timezone(String),
}

/// Applies one edit and returns the updated account.
pub async fn edit<C: ConnectionTrait>(
    conn: &C,
    account: &accounts::Model,
    edit: ProfileEdit,
) -> Result<accounts::Model, ApiError> {
    let mut row: accounts::ActiveModel = account.clone().into();
    match edit {
        ProfileEdit::Name(v) => {
            let n = v.chars().count();
            if !(3..=30).contains(&n) {
                return Err(ApiError::value_error("Account name must be between 3 and 30 characters."));
            }
            row.name = Set(v);
        }
        ProfileEdit::Avatar(v) => row.avatar = Set(Some(v)),
        ProfileEdit::InterfaceLanguage(v) => row.interface_language = Set(Some(v)),
        ProfileEdit::InterfaceTheme(v) => row.interface_theme = Set(Some(v)),
        ProfileEdit::Timezone(v) => {
            if !crate::validate::is_timezone(&v) {
                return Err(ApiError::value_error("Invalid timezone string."));
            }
            row.timezone = Set(Some(v));
        }
    }
    row.updated_at = Set(now_naive());
    Ok(row.update(conn).await?)
}

/// The account with this id.
pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<accounts::Model>, ApiError> {
    Ok(accounts::Entity::find_by_id(id).one(conn).await?)
}

/// The account's sign-in bindings as Dify's `integrate_fields`: GitHub and Google, each bound
/// (with when) or not (with the link that starts the binding, under `base_url`).
pub async fn integrations<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    base_url: &str,
) -> Result<Vec<Integration>, ApiError> {
    use entities::account_integrates as integrates;
    let bound = integrates::Entity::find().filter(integrates::Column::AccountId.eq(account_id)).all(conn).await?;
    Ok(["github", "google"]
        .into_iter()
        .map(|provider| match bound.iter().find(|b| b.provider == provider) {
            Some(b) => {
                Integration { provider, created_at: Some(unix_seconds(b.created_at)), is_bound: true, link: None }
            }
            None => Integration {
                provider,
                created_at: None,
                is_bound: false,
                link: Some(format!("{base_url}/console/api/oauth/login/{provider}")),
            },
        })
        .collect())
}

/// One of [`integrations`].
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Integration {
    pub provider: &'static str,
    /// Unix seconds, when bound.
    pub created_at: Option<i64>,
    pub is_bound: bool,
    /// Where binding starts, when not bound.
    pub link: Option<String>,
}

/// `GET /account/integrates`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Integrations {
    pub data: Vec<Integration>,
}

/// Records activity at most every ten minutes, so reads stay reads.
pub async fn touch_last_active<C: ConnectionTrait>(
    conn: &C,
    account: accounts::Model,
) -> Result<accounts::Model, ApiError> {
    let now = now_naive();
    if now - account.last_active_at < chrono::Duration::minutes(10) {
        return Ok(account);
    }
    let row = accounts::ActiveModel { id: Set(account.id), last_active_at: Set(now), ..Default::default() };
    row.update(conn).await?;
    Ok(accounts::Model { last_active_at: now, ..account })
}

/// Finishes an uninitialised account: its language and zone, active from now; in CLOUD it
/// consumes an unused invitation `code` in the same transaction (of two accounts racing for one
/// code, one wins and the other is told the code is invalid).
pub async fn initialize(
    db: &sea_orm::DatabaseConnection,
    account: &accounts::Model,
    tenant_id: Uuid,
    code: Option<&str>,
    language: String,
    timezone: String,
) -> Result<(), AccountError> {
    use entities::invitation_codes as codes;
    if account.status == status::ACTIVE {
        return Err(AccountError::AlreadyInitialized);
    }
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    let now = now_naive();
    if let Some(code) = code {
        let row = codes::Entity::find()
            .filter(codes::Column::Code.eq(code))
            .filter(codes::Column::Status.eq(codes::CodeStatus::Unused))
            .one(&txn)
            .await?
            .ok_or(AccountError::InvalidInvitationCode)?;
        // A conditional update lets one of two racing accounts flip the code.
        let flipped = codes::Entity::update_many()
            .col_expr(codes::Column::Status, sea_orm::sea_query::Expr::value(codes::CodeStatus::Used))
            .col_expr(codes::Column::UsedAt, now.into())
            .col_expr(codes::Column::UsedByTenantId, Some(tenant_id).into())
            .col_expr(codes::Column::UsedByAccountId, Some(account.id).into())
            .filter(codes::Column::Id.eq(row.id))
            .filter(codes::Column::Status.eq(codes::CodeStatus::Unused))
            .exec(&txn)
            .await?;
        if flipped.rows_affected != 1 {
            return Err(AccountError::InvalidInvitationCode);
        }
    }
    let mut row: accounts::ActiveModel = account.clone().into();
    row.interface_language = Set(Some(language));
    row.timezone = Set(Some(timezone));
    row.interface_theme = Set(Some("light".into()));
    row.status = Set(status::ACTIVE);
    row.initialized_at = Set(Some(now));
    row.updated_at = Set(now);
    row.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Changes the password after checking the current one (when one is set).
pub async fn change_password<C: ConnectionTrait>(
    conn: &C,
    account: &accounts::Model,
    current: Option<&str>,
    new_password: &str,
    repeat: &str,
) -> Result<(), AccountError> {
    if new_password != repeat {
        return Err(AccountError::RepeatPasswordMismatch);
    }
    if let (Some(hash), salt) = (&account.password, account.password_salt.as_deref().unwrap_or_default()) {
        let ok = match current {
            Some(c) => verify(c, hash, salt).await,
            None => false,
        };
        if !ok {
            return Err(AccountError::CurrentPasswordIncorrect);
        }
    }
    // Dify checks no rule here; an empty new password would lock the account out for good.
    if !kernel::crypto::valid_password(new_password) {
        return Err(ApiError::invalid_param("new_password", "Not a valid password.").into());
    }
    Ok(set_password(conn, account.id, new_password).await?)
}

/// Stores a new hash for the account.
pub async fn set_password<C: ConnectionTrait>(conn: &C, account_id: Uuid, password: &str) -> Result<(), ApiError> {
    let h = hash(password).await?;
    accounts::ActiveModel {
        id: Set(account_id),
        password: Set(Some(h.hash)),
        password_salt: Set(Some(h.salt)),
        updated_at: Set(now_naive()),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}
