//! The explore catalogue: recommended apps per language, an app's public detail, and listing
//! an app there or taking it off (Dify's admin insert/delete, the seed fork's owner routes and
//! `admin add-recommended-app` all share `recommend` and `unlist`).

use std::collections::{HashMap, HashSet};

use crate::AppError;
use entities::{app_model_configs, apps, installed_apps, recommended_apps, sites};
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use crate::model_config::ModelConfigFields;
use entities::apps::AppMode;
use serde::Serialize;

/// The catalogue languages (Dify's `supported_language`); read from a request as Dify's
/// check words it (`"<v> is not a valid language."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String")]
pub enum Language {
    #[serde(rename = "en-US")]
    EnUs,
    #[serde(rename = "zh-Hans")]
    ZhHans,
}

impl TryFrom<String> for Language {
    type Error = String;

    fn try_from(tag: String) -> Result<Self, String> {
        Language::parse(&tag).ok_or_else(|| format!("{tag} is not a valid language."))
    }
}

impl Language {
    /// The tag as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::EnUs => "en-US",
            Language::ZhHans => "zh-Hans",
        }
    }

    /// A supported tag, or None.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "en-US" => Some(Language::EnUs),
            "zh-Hans" => Some(Language::ZhHans),
            _ => None,
        }
    }
}

/// The category an app is filed under when the lister names none.
pub const DEFAULT_CATEGORY: &str = "Other";

/// Longest copyright, privacy policy or category the columns (varchar 255) hold.
const MAX_TEXT: usize = 255;

/// How an app is to be listed. Built with `Listing::new`, so the lengths always fit.
#[derive(Debug, Clone)]
pub struct Listing {
    desc: Option<String>,
    copyright: Option<String>,
    privacy_policy: Option<String>,
    language: Language,
    category: String,
    position: i32,
}

fn too_long(field: &str) -> ApiError {
    ApiError::invalid_param(field, format!("{field} cannot exceed {MAX_TEXT} characters."))
}

impl Listing {
    /// Checks the texts fit their columns and the category is not blank.
    pub fn new(
        desc: Option<String>,
        copyright: Option<String>,
        privacy_policy: Option<String>,
        language: Language,
        category: String,
        position: i32,
    ) -> Result<Self, ApiError> {
        for (field, value) in [("copyright", &copyright), ("privacy_policy", &privacy_policy)] {
            if value.as_deref().is_some_and(|v| v.chars().count() > MAX_TEXT) {
                return Err(too_long(field));
            }
        }
        if category.trim().is_empty() {
            return Err(ApiError::invalid_param("category", "category must not be empty."));
        }
        if category.chars().count() > MAX_TEXT {
            return Err(too_long("category"));
        }
        Ok(Self { desc, copyright, privacy_policy, language, category, position })
    }

    /// The catalogue language it is listed in.
    pub fn language(&self) -> Language {
        self.language
    }

    /// The category it is filed under.
    pub fn category(&self) -> &str {
        &self.category
    }

    /// Its position in the catalogue.
    pub fn position(&self) -> i32 {
        self.position
    }
}

/// Whether `recommend` added a catalogue row or updated the app's existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
}

/// Any app by id, whichever workspace owns it (the operator's view); Dify's wording.
pub async fn app_by_id(db: &DatabaseConnection, app_id: Uuid) -> Result<apps::Model, AppError> {
    apps::Entity::find_by_id(app_id).one(db).await?.ok_or(AppError::NoSuchApp(app_id))
}

/// The site's text when it has one, else the lister's, else empty (Dify's precedence).
fn pick(site: Option<&str>, given: Option<&str>) -> String {
    site.filter(|s| !s.is_empty()).or(given.filter(|s| !s.is_empty())).unwrap_or_default().to_string()
}

/// Lists `app` in the catalogue (one row per app: created, or updated in place) and makes it
/// public, in one transaction.
pub async fn recommend(db: &DatabaseConnection, app: &apps::Model, listing: &Listing) -> Result<Outcome, ApiError> {
    let site = sites::Entity::find().filter(sites::Column::AppId.eq(app.id)).one(db).await?;
    let desc = pick(site.as_ref().and_then(|s| s.description.as_deref()), listing.desc.as_deref());
    let copyright = pick(site.as_ref().and_then(|s| s.copyright.as_deref()), listing.copyright.as_deref());
    let privacy = pick(site.as_ref().and_then(|s| s.privacy_policy.as_deref()), listing.privacy_policy.as_deref());
    let now = now_naive();

    let txn = db.begin().await?;
    // Written first: on PostgreSQL the row lock makes a concurrent `recommend` of the same
    // app wait here, so it then sees this one's catalogue row instead of adding a second.
    let touched = apps::Entity::update_many()
        .col_expr(apps::Column::IsPublic, Expr::value(true))
        .filter(apps::Column::Id.eq(app.id))
        .exec(&txn)
        .await?;
    if touched.rows_affected == 0 {
        return Err(ApiError::not_found(format!("App '{}' is not found", app.id)));
    }
    let existing = recommended_apps::Entity::find()
        .filter(recommended_apps::Column::AppId.eq(app.id))
        .order_by_asc(recommended_apps::Column::CreatedAt)
        .one(&txn)
        .await?;
    let outcome = match existing {
        None => {
            recommended_apps::ActiveModel {
                id: Set(Uuid::new_v4()),
                app_id: Set(app.id),
                description: Set(Value::String(desc)),
                copyright: Set(copyright),
                privacy_policy: Set(privacy),
                category: Set(listing.category.clone()),
                position: Set(listing.position),
                is_listed: Set(true),
                install_count: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                language: Set(listing.language.as_str().into()),
            }
            .insert(&txn)
            .await?;
            Outcome::Created
        }
        Some(row) => {
            recommended_apps::ActiveModel {
                id: Set(row.id),
                description: Set(Value::String(desc)),
                copyright: Set(copyright),
                privacy_policy: Set(privacy),
                category: Set(listing.category.clone()),
                position: Set(listing.position),
                is_listed: Set(true),
                updated_at: Set(now),
                language: Set(listing.language.as_str().into()),
                ..Default::default()
            }
            .update(&txn)
            .await?;
            Outcome::Updated
        }
    };
    txn.commit().await?;
    Ok(outcome)
}

/// Takes the app off the catalogue as Dify's admin delete does: the catalogue row goes, the
/// app stops being public, and other workspaces' installs of it are removed (the owner's
/// own entry stays). False when the app was not listed; nothing changes then.
pub async fn unlist(db: &DatabaseConnection, app_id: Uuid) -> Result<bool, ApiError> {
    let txn = db.begin().await?;
    let removed = recommended_apps::Entity::delete_many()
        .filter(recommended_apps::Column::AppId.eq(app_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed == 0 {
        return Ok(false);
    }
    apps::Entity::update_many()
        .col_expr(apps::Column::IsPublic, Expr::value(false))
        .filter(apps::Column::Id.eq(app_id))
        .exec(&txn)
        .await?;
    installed_apps::Entity::delete_many()
        .filter(installed_apps::Column::AppId.eq(app_id))
        .filter(Expr::col(installed_apps::Column::TenantId).ne(Expr::col(installed_apps::Column::AppOwnerTenantId)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// The `{id, name, mode, icon, icon_background}` summary explore shows of an app.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppSummary {
    pub id: Uuid,
    pub name: String,
    pub mode: AppMode,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
}

pub fn app_summary(app: &apps::Model) -> AppSummary {
    AppSummary {
        id: app.id,
        name: app.name.clone(),
        mode: app.mode,
        icon: app.icon.clone(),
        icon_background: app.icon_background.clone(),
    }
}

/// One catalogue entry (Dify's `recommended_app_fields`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecommendedApp {
    pub app: AppSummary,
    pub app_id: Uuid,
    /// The app site's texts.
    pub description: Option<String>,
    pub copyright: Option<String>,
    pub privacy_policy: Option<String>,
    pub category: String,
    pub position: i32,
    pub is_listed: bool,
    pub install_count: i32,
    pub installed: bool,
    pub editable: bool,
}

/// Dify's `recommended_app_list_fields`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Catalogue {
    pub recommended_apps: Vec<RecommendedApp>,
    pub categories: Vec<String>,
}

/// `GET /explore/apps`: the listed rows in `language` whose app is public and has a site,
/// each with whether the workspace installed it; `editable` is the caller's role check.
/// Ordered by position, then age; categories in order of first appearance.
pub async fn catalogue(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    language: &str,
    editable: bool,
) -> Result<Catalogue, ApiError> {
    let rows = recommended_apps::Entity::find()
        .filter(recommended_apps::Column::IsListed.eq(true))
        .filter(recommended_apps::Column::Language.eq(language))
        .order_by_asc(recommended_apps::Column::Position)
        .order_by_asc(recommended_apps::Column::CreatedAt)
        .order_by_asc(recommended_apps::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Catalogue { recommended_apps: Vec::new(), categories: Vec::new() });
    }
    let app_ids: Vec<Uuid> = rows.iter().map(|r| r.app_id).collect();
    let app_rows: HashMap<Uuid, apps::Model> = apps::Entity::find()
        .filter(apps::Column::Id.is_in(app_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    // An app's first site, as Dify's `app.site` takes it.
    let mut site_rows: HashMap<Uuid, sites::Model> = HashMap::new();
    for s in sites::Entity::find()
        .filter(sites::Column::AppId.is_in(app_ids.clone()))
        .order_by_asc(sites::Column::CreatedAt)
        .all(db)
        .await?
    {
        site_rows.entry(s.app_id).or_insert(s);
    }
    let installed: HashSet<Uuid> = installed_apps::Entity::find()
        .filter(installed_apps::Column::TenantId.eq(tenant_id))
        .filter(installed_apps::Column::AppId.is_in(app_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.app_id)
        .collect();

    let mut items = Vec::with_capacity(rows.len());
    let mut categories: Vec<String> = Vec::new();
    for row in &rows {
        let Some(app) = app_rows.get(&row.app_id).filter(|a| a.is_public) else { continue };
        let Some(site) = site_rows.get(&row.app_id) else { continue };
        items.push(RecommendedApp {
            app: app_summary(app),
            app_id: row.app_id,
            description: site.description.clone(),
            copyright: site.copyright.clone(),
            privacy_policy: site.privacy_policy.clone(),
            category: row.category.clone(),
            position: row.position,
            is_listed: row.is_listed,
            install_count: row.install_count,
            installed: installed.contains(&row.app_id),
            editable,
        });
        if !categories.contains(&row.category) {
            categories.push(row.category.clone());
        }
    }
    Ok(Catalogue { recommended_apps: items, categories })
}

/// The part of the model config explore shows (a subset of the console's); with no
/// configuration every key is null, as Flask-RESTful's Nested renders None.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ExploreConfig {
    pub opening_statement: Option<String>,
    #[schema(value_type = Option<Vec<String>>)]
    pub suggested_questions: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub suggested_questions_after_answer: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub more_like_this: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub model: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub user_input_form: Option<Value>,
    pub pre_prompt: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub agent_mode: Option<Value>,
}

/// `GET /explore/apps/<id>`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExploreAppDetail {
    pub id: Uuid,
    pub name: String,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
    pub mode: AppMode,
    pub app_model_config: ExploreConfig,
}

/// `GET /explore/apps/<id>`: a listed, public app with its current configuration; anything
/// else is 404 `app_not_found`.
pub async fn detail(db: &DatabaseConnection, app_id: Uuid) -> Result<ExploreAppDetail, AppError> {
    let listed = recommended_apps::Entity::find()
        .filter(recommended_apps::Column::IsListed.eq(true))
        .filter(recommended_apps::Column::AppId.eq(app_id))
        .one(db)
        .await?;
    if listed.is_none() {
        return Err(AppError::NotFound);
    }
    let app = apps::Entity::find_by_id(app_id).one(db).await?.filter(|a| a.is_public).ok_or(AppError::NotFound)?;
    let config = match app.app_model_config_id {
        Some(id) => app_model_configs::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let app_model_config =
        config.as_ref().map(ModelConfigFields::from).map_or_else(ExploreConfig::default, |f| ExploreConfig {
            opening_statement: f.opening_statement,
            suggested_questions: Some(f.suggested_questions),
            suggested_questions_after_answer: Some(f.suggested_questions_after_answer),
            more_like_this: Some(f.more_like_this),
            model: f.model,
            user_input_form: Some(f.user_input_form),
            pre_prompt: f.pre_prompt,
            agent_mode: Some(f.agent_mode),
        });
    Ok(ExploreAppDetail {
        id: app.id,
        name: app.name,
        icon: app.icon,
        icon_background: app.icon_background,
        mode: app.mode,
        app_model_config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn site_texts_win_over_the_listers() {
        assert_eq!(pick(Some("site"), Some("arg")), "site");
        assert_eq!(pick(Some(""), Some("arg")), "arg");
        assert_eq!(pick(None, None), "");
        assert_eq!(pick(None, Some("")), "");
    }

    #[test]
    fn listings_fit_their_columns() {
        let ok = Listing::new(None, Some("c".into()), None, Language::ZhHans, "Writing".into(), 3).expect("valid");
        assert_eq!((ok.language().as_str(), ok.category(), ok.position()), ("zh-Hans", "Writing", 3));
        let long = "x".repeat(256);
        let e = Listing::new(None, Some(long.clone()), None, Language::EnUs, "C".into(), 0).expect_err("long");
        assert_eq!(e.params.as_deref(), Some("copyright"));
        let e = Listing::new(None, None, None, Language::EnUs, long, 0).expect_err("long");
        assert_eq!(e.params.as_deref(), Some("category"));
        let e = Listing::new(None, None, None, Language::EnUs, "  ".into(), 0).expect_err("blank");
        assert_eq!(e.params.as_deref(), Some("category"));
        assert_eq!(Language::parse("fr-FR"), None);
    }

    #[test]
    fn languages_are_read_by_tag() {
        let read = |v: Value| serde_json::from_value::<Language>(v).map_err(|e| e.to_string());
        assert_eq!(read(json!("zh-Hans")), Ok(Language::ZhHans));
        assert_eq!(read(json!("fr-FR")), Err("fr-FR is not a valid language.".into()));
        assert!(read(json!(1)).is_err_and(|e| e.starts_with("invalid type: integer")));
    }
}
