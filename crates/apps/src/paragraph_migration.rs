//! Dify's `update_app_model_configs` data migration: completion apps made before the
//! `paragraph` input existed get a `{{default_input}}` paragraph variable at the end of their
//! prompt and input form, labelled in their workspace owner's language. A config whose prompt
//! already holds the variable is left alone, so the migration can run again (and resume).

use entities::apps::AppMode;
use entities::{accounts, app_model_configs, apps, tenant_account_joins as joins};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

use entities::tenant_account_joins::TenantRole;

/// The variable the migration adds.
pub const VARIABLE: &str = "{{default_input}}";

/// What one config came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Migrated,
    /// Its prompt already holds the variable.
    AlreadyDone,
    /// Its workspace has no owner to take the language from (Dify skips it too).
    NoOwner,
}

/// Current configs (`apps.app_model_config_id`) of completion apps.
fn completion_configs() -> sea_orm::Select<app_model_configs::Entity> {
    let current = app_model_configs::Entity::belongs_to(apps::Entity)
        .from(app_model_configs::Column::Id)
        .to(apps::Column::AppModelConfigId)
        .into();
    app_model_configs::Entity::find()
        .join(JoinType::InnerJoin, current)
        .filter(apps::Column::Mode.eq(AppMode::Completion))
}

/// The current configs of completion apps.
pub async fn count(db: &DatabaseConnection) -> Result<u64, DbErr> {
    completion_configs().count(db).await
}

/// One batch of them, oldest app first, with each app's workspace.
pub async fn batch(
    db: &DatabaseConnection,
    offset: u64,
    limit: u64,
) -> Result<Vec<(app_model_configs::Model, uuid::Uuid)>, DbErr> {
    let rows = completion_configs()
        .column_as(apps::Column::TenantId, "tenant")
        .order_by_asc(apps::Column::CreatedAt)
        .order_by_asc(apps::Column::Id)
        .offset(offset)
        .limit(limit)
        .into_model::<ConfigWithTenant>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.config, r.tenant)).collect())
}

#[derive(Debug)]
struct ConfigWithTenant {
    config: app_model_configs::Model,
    tenant: uuid::Uuid,
}

impl sea_orm::FromQueryResult for ConfigWithTenant {
    fn from_query_result(row: &sea_orm::QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self { config: app_model_configs::Model::from_query_result(row, pre)?, tenant: row.try_get(pre, "tenant")? })
    }
}

/// The paragraph input, labelled in `language` (Dify knows `en-US` and `zh-Hans`; others get
/// English, where Dify fails).
fn paragraph(language: Option<&str>) -> Value {
    let label = if language == Some("zh-Hans") { "查询内容" } else { "Query" };
    json!({"paragraph": {"label": label, "variable": "default_input", "required": false, "default": ""}})
}

/// Migrates one config: the variable appended to the prompt, the paragraph to the form.
pub async fn migrate(
    db: &DatabaseConnection,
    config: &app_model_configs::Model,
    tenant: uuid::Uuid,
) -> Result<Step, DbErr> {
    if config.pre_prompt.as_deref().is_some_and(|p| p.contains(VARIABLE)) {
        return Ok(Step::AlreadyDone);
    }
    let member =
        accounts::Entity::belongs_to(joins::Entity).from(accounts::Column::Id).to(joins::Column::AccountId).into();
    let owner_language: Option<Option<String>> = accounts::Entity::find()
        .select_only()
        .column(accounts::Column::InterfaceLanguage)
        .join(JoinType::InnerJoin, member)
        .filter(joins::Column::TenantId.eq(tenant))
        .filter(joins::Column::Role.eq(TenantRole::Owner))
        .into_tuple()
        .one(db)
        .await?;
    let Some(language) = owner_language else { return Ok(Step::NoOwner) };
    let pre_prompt = format!("{}{VARIABLE}", config.pre_prompt.as_deref().unwrap_or_default());
    let mut form = match config.user_input_form.as_deref().map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Array(items))) => items,
        // Absent, `null` or unreadable: the paragraph alone.
        _ => Vec::new(),
    };
    form.push(paragraph(language.as_deref()));
    // Only if nobody migrated it meanwhile: the prompt is still the one read.
    let mut update = app_model_configs::Entity::update_many()
        .col_expr(app_model_configs::Column::PrePrompt, Expr::value(pre_prompt))
        .col_expr(app_model_configs::Column::UserInputForm, Expr::value(Value::Array(form).to_string()))
        .filter(app_model_configs::Column::Id.eq(config.id));
    update = match &config.pre_prompt {
        Some(p) => update.filter(app_model_configs::Column::PrePrompt.eq(p.as_str())),
        None => update.filter(app_model_configs::Column::PrePrompt.is_null()),
    };
    let done = update.exec(db).await?;
    Ok(if done.rows_affected == 1 { Step::Migrated } else { Step::AlreadyDone })
}
