//! An app's public web site: its share code, branding and token strategy.

use entities::{apps, sites};
use kernel::ApiError;
use kernel::time::now_naive;
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `n` random letters and digits from a CSPRNG.
pub fn random_code(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n).map(|_| ALPHANUMERIC[rng.random_range(0..ALPHANUMERIC.len())] as char).collect()
}

/// A 16-character site code no other site has.
async fn unique_code<C: ConnectionTrait>(db: &C) -> Result<String, ApiError> {
    loop {
        let code = random_code(16);
        if sites::Entity::find().filter(sites::Column::Code.eq(code.as_str())).count(db).await? == 0 {
            return Ok(code);
        }
    }
}

/// The site every new app gets.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    app_id: Uuid,
    title: &str,
    language: &str,
) -> Result<sites::Model, ApiError> {
    let now = now_naive();
    Ok(sites::ActiveModel {
        id: Set(Uuid::new_v4()),
        app_id: Set(app_id),
        title: Set(title.to_string()),
        icon: Set(None),
        icon_background: Set(None),
        description: Set(None),
        default_language: Set(language.to_string()),
        copyright: Set(None),
        privacy_policy: Set(None),
        customize_domain: Set(None),
        customize_token_strategy: Set("not_allow".into()),
        prompt_public: Set(false),
        status: Set(entities::kinds::RowStatus::Normal),
        created_at: Set(now),
        updated_at: Set(now),
        code: Set(Some(unique_code(db).await?)),
    }
    .insert(db)
    .await?)
}

/// Dify's `app_site_fields`: the site as its owner edits it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SiteFields {
    pub app_id: Uuid,
    /// The share code, under its old name too.
    pub access_token: Option<String>,
    pub code: Option<String>,
    #[serde(flatten)]
    pub branding: Branding,
}

/// The site as the app detail shows it (Dify's `site_fields`), with the web app's base URL.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppSite {
    pub access_token: Option<String>,
    pub code: Option<String>,
    #[serde(flatten)]
    pub branding: Branding,
    pub app_base_url: String,
}

/// What the owner sets on a site.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Branding {
    pub title: String,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
    pub description: Option<String>,
    pub default_language: String,
    pub customize_domain: Option<String>,
    pub copyright: Option<String>,
    pub privacy_policy: Option<String>,
    pub customize_token_strategy: String,
    pub prompt_public: bool,
}

impl From<&sites::Model> for Branding {
    fn from(s: &sites::Model) -> Self {
        Self {
            title: s.title.clone(),
            icon: s.icon.clone(),
            icon_background: s.icon_background.clone(),
            description: s.description.clone(),
            default_language: s.default_language.clone(),
            customize_domain: s.customize_domain.clone(),
            copyright: s.copyright.clone(),
            privacy_policy: s.privacy_policy.clone(),
            customize_token_strategy: s.customize_token_strategy.clone(),
            prompt_public: s.prompt_public,
        }
    }
}

/// Dify's `app_site_fields` for a row.
pub fn fields(s: &sites::Model) -> SiteFields {
    SiteFields { app_id: s.app_id, access_token: s.code.clone(), code: s.code.clone(), branding: s.into() }
}

/// The site as the app detail shows it, with the web app's base URL.
pub fn with_base_url(s: &sites::Model, app_base_url: &str) -> AppSite {
    AppSite {
        access_token: s.code.clone(),
        code: s.code.clone(),
        branding: s.into(),
        app_base_url: app_base_url.to_owned(),
    }
}

/// The fields `POST /apps/<id>/site` may change; None leaves a field as it is.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SiteEdit {
    pub title: Option<String>,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
    pub description: Option<String>,
    pub default_language: Option<String>,
    pub customize_domain: Option<String>,
    pub copyright: Option<String>,
    pub privacy_policy: Option<String>,
    pub customize_token_strategy: Option<String>,
    pub prompt_public: Option<bool>,
}

async fn site_of<C: ConnectionTrait>(db: &C, app_id: Uuid) -> Result<sites::Model, ApiError> {
    sites::Entity::find()
        .filter(sites::Column::AppId.eq(app_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Site not found"))
}

/// Applies an edit; title, icon and background also rename/re-icon the app, as in Dify.
pub async fn update(
    db: &sea_orm::DatabaseConnection,
    app: &apps::Model,
    edit: SiteEdit,
) -> Result<SiteFields, ApiError> {
    if let Some(lang) = &edit.default_language
        && lang != "en-US"
        && lang != "zh-Hans"
    {
        return Err(ApiError::invalid_param("default_language", format!("{lang} is not a valid language.")));
    }
    if let Some(s) = &edit.customize_token_strategy
        && !["must", "allow", "not_allow"].contains(&s.as_str())
    {
        return Err(ApiError::invalid_param("customize_token_strategy", format!("{s} is not a valid choice")));
    }
    let txn = db.begin().await?;
    let site = site_of(&txn, app.id).await?;
    let mut row: sites::ActiveModel = site.into();
    let mut app_row: apps::ActiveModel = apps::ActiveModel { id: Set(app.id), ..Default::default() };
    let mut app_changed = false;
    if let Some(v) = edit.title {
        row.title = Set(v.clone());
        app_row.name = Set(v);
        app_changed = true;
    }
    if let Some(v) = edit.icon {
        row.icon = Set(Some(v.clone()));
        app_row.icon = Set(Some(v));
        app_changed = true;
    }
    if let Some(v) = edit.icon_background {
        row.icon_background = Set(Some(v.clone()));
        app_row.icon_background = Set(Some(v));
        app_changed = true;
    }
    if let Some(v) = edit.description {
        row.description = Set(Some(v));
    }
    if let Some(v) = edit.default_language {
        row.default_language = Set(v);
    }
    if let Some(v) = edit.customize_domain {
        row.customize_domain = Set(Some(v));
    }
    if let Some(v) = edit.copyright {
        row.copyright = Set(Some(v));
    }
    if let Some(v) = edit.privacy_policy {
        row.privacy_policy = Set(Some(v));
    }
    if let Some(v) = edit.customize_token_strategy {
        row.customize_token_strategy = Set(v);
    }
    if let Some(v) = edit.prompt_public {
        row.prompt_public = Set(v);
    }
    row.updated_at = Set(now_naive());
    let site = row.update(&txn).await?;
    if app_changed {
        app_row.updated_at = Set(now_naive());
        app_row.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(fields(&site))
}

/// A new share code: links and passports made with the old one stop working.
pub async fn reset_code(db: &sea_orm::DatabaseConnection, app_id: Uuid) -> Result<SiteFields, ApiError> {
    let site = site_of(db, app_id).await?;
    let mut row: sites::ActiveModel = site.into();
    row.code = Set(Some(unique_code(db).await?));
    row.updated_at = Set(now_naive());
    let site = row.update(db).await?;
    Ok(fields(&site))
}

/// `GET /api/site`: what a web-app visitor sees of the app (Dify's web `site` answer).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitorSite {
    pub app_id: Uuid,
    pub end_user_id: Uuid,
    pub enable_site: bool,
    pub site: PublicSite,
    /// The prompt and features, only when the owner made the prompt public.
    #[schema(value_type = Option<Object>)]
    pub model_config: Option<Value>,
    /// The workspace's plan.
    pub plan: Option<String>,
}

/// The site fields a visitor may read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicSite {
    pub title: String,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
    pub description: Option<String>,
    pub copyright: Option<String>,
    pub privacy_policy: Option<String>,
    pub default_language: String,
    pub prompt_public: bool,
}

/// The site of the app `end_user_id` visits. 403 when the app has no site row (Dify's
/// `Forbidden`).
pub async fn for_visitor(
    db: &sea_orm::DatabaseConnection,
    app: &apps::Model,
    end_user_id: Uuid,
) -> Result<VisitorSite, ApiError> {
    use entities::{app_model_configs, tenants};
    let site =
        sites::Entity::find().filter(sites::Column::AppId.eq(app.id)).one(db).await?.ok_or_else(ApiError::forbidden)?;
    let plan = tenants::Entity::find_by_id(app.tenant_id).one(db).await?.map(|t| t.plan);
    // The prompt is shown only when the owner made it public.
    let config = match app.app_model_config_id {
        Some(id) if app.enable_site && site.prompt_public => app_model_configs::Entity::find_by_id(id).one(db).await?,
        _ => None,
    };
    let model_config = config.map(|c| {
        let f = crate::model_config::fields(&c);
        serde_json::json!({
            "opening_statement": f["opening_statement"],
            "suggested_questions": f["suggested_questions"],
            "suggested_questions_after_answer": f["suggested_questions_after_answer"],
            "more_like_this": f["more_like_this"],
            "model": f["model"],
            "user_input_form": f["user_input_form"],
            "pre_prompt": f["pre_prompt"],
        })
    });
    Ok(VisitorSite {
        app_id: app.id,
        end_user_id,
        enable_site: app.enable_site,
        site: PublicSite {
            title: site.title,
            icon: site.icon,
            icon_background: site.icon_background,
            description: site.description,
            copyright: site.copyright,
            privacy_policy: site.privacy_policy,
            default_language: site.default_language,
            prompt_public: site.prompt_public,
        },
        model_config,
        plan,
    })
}
