//! API keys of apps (`app-…`) and datasets (`ds-…`): at most ten per resource, shown in full.

use crate::AppError;
use entities::api_tokens::{self, TokenType};
use kernel::ApiError;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use uuid::Uuid;

/// The resource a key opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyResource {
    App(Uuid),
    Dataset(Uuid),
}

impl KeyResource {
    fn kind(self) -> TokenType {
        match self {
            KeyResource::App(_) => TokenType::App,
            KeyResource::Dataset(_) => TokenType::Dataset,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            KeyResource::App(_) => "app-",
            KeyResource::Dataset(_) => "ds-",
        }
    }

    /// Takes the resource row's write lock first (a no-op update), so concurrent creates count
    /// in turn: PostgreSQL's row lock, and SQLite's write lock up front (reading first would
    /// make the later insert fail as busy instead of waiting).
    async fn lock(self, txn: &impl sea_orm::ConnectionTrait) -> Result<(), sea_orm::DbErr> {
        use entities::{apps, datasets};
        use sea_orm::sea_query::Expr;
        match self {
            KeyResource::App(id) => {
                apps::Entity::update_many()
                    .col_expr(apps::Column::UpdatedAt, Expr::col(apps::Column::UpdatedAt))
                    .filter(apps::Column::Id.eq(id))
                    .exec(txn)
                    .await?;
            }
            KeyResource::Dataset(id) => {
                datasets::Entity::update_many()
                    .col_expr(datasets::Column::UpdatedAt, Expr::col(datasets::Column::UpdatedAt))
                    .filter(datasets::Column::Id.eq(id))
                    .exec(txn)
                    .await?;
            }
        }
        Ok(())
    }

    fn filter(self, q: sea_orm::Select<api_tokens::Entity>) -> sea_orm::Select<api_tokens::Entity> {
        let q = q.filter(api_tokens::Column::Type.eq(self.kind()));
        match self {
            KeyResource::App(id) => q.filter(api_tokens::Column::AppId.eq(id)),
            KeyResource::Dataset(id) => q.filter(api_tokens::Column::DatasetId.eq(id)),
        }
    }
}

/// Keys per resource, as Dify limits them.
pub const MAX_KEYS: u64 = 10;

/// The key `token` of `kind`, its use recorded; 401 "Access token is invalid" when none is.
async fn resolve(db: &DatabaseConnection, token: &str, kind: TokenType) -> Result<api_tokens::Model, ApiError> {
    // The token is the lookup key (indexed); equality in SQL compares the whole value.
    let mut key = api_tokens::Entity::find()
        .filter(api_tokens::Column::Token.eq(token))
        .filter(api_tokens::Column::Type.eq(kind))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::unauthorized_msg("Access token is invalid"))?;
    // Dify writes the key's use on every request; once a minute says as much and spares a
    // write per request (the row just read says when it was last written, on any replica).
    let now = now_naive();
    if key.last_used_at.is_none_or(|at| now - at >= LAST_USED_GRANULARITY) {
        record_use(db, key.id, now).await?;
        key.last_used_at = Some(now);
    }
    Ok(key)
}

/// Writes a key's `last_used_at`.
pub(crate) async fn record_use(db: &DatabaseConnection, id: Uuid, now: chrono::NaiveDateTime) -> Result<(), ApiError> {
    api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::LastUsedAt, sea_orm::sea_query::Expr::value(now))
        .filter(api_tokens::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// How stale a key's `last_used_at` may get.
pub const LAST_USED_GRANULARITY: chrono::Duration = chrono::Duration::seconds(60);

/// The app an `app-` key opens: in normal status with its API enabled (404 otherwise, as Dify).
pub async fn app_for_key(db: &DatabaseConnection, token: &str) -> Result<entities::apps::Model, ApiError> {
    open_app(key_and_app(db, token).await?.1)
}

/// An `app-` key's row (its use recorded) and the app it names, if that still exists.
pub(crate) async fn key_and_app(
    db: &DatabaseConnection,
    token: &str,
) -> Result<(api_tokens::Model, Option<entities::apps::Model>), ApiError> {
    let key = resolve(db, token, TokenType::App).await?;
    let app = match key.app_id {
        Some(id) => entities::apps::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok((key, app))
}

/// The key's app if it may be used: in normal status with its API enabled (404 otherwise).
pub(crate) fn open_app(app: Option<entities::apps::Model>) -> Result<entities::apps::Model, ApiError> {
    app.filter(|a| a.status == entities::kinds::RowStatus::Normal && a.enable_api).ok_or_else(ApiError::route_not_found)
}

/// The dataset a `ds-` key opens (404 when it is gone).
pub async fn dataset_for_key(db: &DatabaseConnection, token: &str) -> Result<entities::datasets::Model, ApiError> {
    let key = resolve(db, token, TokenType::Dataset).await?;
    let dataset = match key.dataset_id {
        Some(id) => entities::datasets::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    dataset.ok_or_else(ApiError::route_not_found)
}

/// Dify's `api_key_fields`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ApiKeyFields {
    pub id: Uuid,
    /// `app` or `dataset`.
    #[serde(rename = "type")]
    pub kind: TokenType,
    /// In full, or masked for a member who may not see it.
    pub token: String,
    /// Unix seconds.
    pub last_used_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
}

/// Dify's `api_key_list`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ApiKeyList {
    pub data: Vec<ApiKeyFields>,
}

fn fields(t: &api_tokens::Model, reveal: bool) -> ApiKeyFields {
    ApiKeyFields {
        id: t.id,
        kind: t.r#type,
        token: if reveal { t.token.clone() } else { masked(&t.token) },
        last_used_at: t.last_used_at.map(unix_seconds),
        created_at: unix_seconds(t.created_at),
    }
}

/// A key as a normal member sees it: its prefix and last four characters.
pub fn masked(token: &str) -> String {
    let (prefix, rest) = token.split_once('-').map_or(("", token), |(p, r)| (p, r));
    let tail: String = rest.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let dash = if prefix.is_empty() { "" } else { "-" };
    format!("{prefix}{dash}{}{tail}", "*".repeat(rest.chars().count().saturating_sub(4)))
}

/// The resource's keys; in full only for owners and admins (`reveal`), since a key opens the
/// service API on the workspace's model account; masked for normal members.
pub async fn list(
    db: &sea_orm::DatabaseConnection,
    resource: KeyResource,
    reveal: bool,
) -> Result<ApiKeyList, ApiError> {
    let rows = resource.filter(api_tokens::Entity::find()).order_by_asc(api_tokens::Column::CreatedAt).all(db).await?;
    Ok(ApiKeyList { data: rows.iter().map(|t| fields(t, reveal)).collect() })
}

/// Creates a key: prefix + 24 random letters and digits, unique among all keys.
pub async fn create(db: &sea_orm::DatabaseConnection, resource: KeyResource) -> Result<ApiKeyFields, AppError> {
    let txn = db.begin().await?;
    resource.lock(&txn).await?;
    if resource.filter(api_tokens::Entity::find()).count(&txn).await? >= MAX_KEYS {
        return Err(AppError::TooManyKeys);
    }
    let token = loop {
        let t = format!("{}{}", resource.prefix(), crate::site::random_code(24));
        if api_tokens::Entity::find().filter(api_tokens::Column::Token.eq(t.as_str())).count(&txn).await? == 0 {
            break t;
        }
    };
    let (app_id, dataset_id) = match resource {
        KeyResource::App(id) => (Some(id), None),
        KeyResource::Dataset(id) => (None, Some(id)),
    };
    let row = api_tokens::ActiveModel {
        id: Set(Uuid::new_v4()),
        app_id: Set(app_id),
        dataset_id: Set(dataset_id),
        r#type: Set(resource.kind()),
        token: Set(token),
        last_used_at: Set(None),
        created_at: Set(now_naive()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(fields(&row, true))
}

/// Deletes a key of the resource; a key of another resource is not found.
pub async fn delete(db: &sea_orm::DatabaseConnection, resource: KeyResource, key_id: Uuid) -> Result<(), ApiError> {
    let deleted = api_tokens::Entity::delete_many()
        .filter(api_tokens::Column::Id.eq(key_id))
        .filter(api_tokens::Column::Type.eq(resource.kind()))
        .filter(match resource {
            KeyResource::App(id) => api_tokens::Column::AppId.eq(id),
            KeyResource::Dataset(id) => api_tokens::Column::DatasetId.eq(id),
        })
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::not_found("API key not found"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn normal_members_see_masked_keys() {
        assert_eq!(masked("app-abcdefghijklmnopqrstuvwx"), "app-********************uvwx");
        assert_eq!(masked("ds-xyz"), "ds-xyz");
        assert_eq!(masked("nodash"), "**dash");
    }
}
