//! End users of the service API: one per workspace and `user` string, made on first use.

use ::apps::hot::HotApps;
use entities::end_users::EndUserType;
use entities::{apps, end_users};
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set, prelude::*};
use uuid::Uuid;

/// The `user` Dify assumes when a service-API call names none.
pub const DEFAULT_USER: &str = "DEFAULT-USER";

/// The service-API end user called `user` in the app's workspace, created on first use as
/// Dify's `create_or_update_end_user_for_user_id` does; kept in `hot` once found. Two first
/// calls at once make one end user: finding and making it is one critical section (Dify's
/// table has no unique key to decide), and the earliest row answers where Dify's own race
/// left two.
pub async fn for_service_api(
    hot: &HotApps,
    db: &DatabaseConnection,
    app: &apps::Model,
    user: Option<&str>,
) -> Result<end_users::Model, DbErr> {
    let user = user.filter(|u| !u.is_empty()).unwrap_or(DEFAULT_USER);
    if let Some(kept) = hot.end_user(app.tenant_id, user) {
        return Ok(kept);
    }
    let user = match find_service_api(db, app, user).await? {
        Some(found) => found,
        None => {
            let key = format!("end_users/{}/{user}", app.tenant_id);
            let txn = infra::db::begin_critical(db, &key, "end_users").await?;
            let made = match find_service_api(&txn, app, user).await? {
                Some(found) => found,
                None => create(&txn, app, EndUserType::ServiceApi, user).await?,
            };
            txn.commit().await?;
            made
        }
    };
    hot.keep_end_user(&user);
    Ok(user)
}

async fn find_service_api(
    db: &impl ConnectionTrait,
    app: &apps::Model,
    user: &str,
) -> Result<Option<end_users::Model>, DbErr> {
    end_users::Entity::find()
        .filter(end_users::Column::TenantId.eq(app.tenant_id))
        .filter(end_users::Column::SessionId.eq(user))
        .filter(end_users::Column::Type.eq(EndUserType::ServiceApi))
        .order_by_asc(end_users::Column::CreatedAt)
        .order_by_asc(end_users::Column::Id)
        .one(db)
        .await
}

/// A new anonymous end user of the app: `kind` is Dify's `type` (`service_api`, `browser`),
/// `session_id` the service API's `user` or a browser's random session.
pub async fn create(
    db: &impl ConnectionTrait,
    app: &apps::Model,
    kind: EndUserType,
    session_id: &str,
) -> Result<end_users::Model, DbErr> {
    let now = now_naive();
    end_users::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(app.tenant_id),
        app_id: Set(Some(app.id)),
        r#type: Set(kind),
        external_user_id: Set(None),
        name: Set(None),
        is_anonymous: Set(true),
        session_id: Set(session_id.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}
