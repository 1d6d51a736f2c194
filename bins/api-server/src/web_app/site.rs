//! `GET /api/site` and `GET /api/parameters`: what the web app shows before the first message.

use actix_web::{HttpResponse, web};
use entities::{app_model_configs, sites, tenants};
use kernel::ApiError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::guard::WebAppUser;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(site, parameters))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/api/site", "web.appsiteapi", web::to(site));
    t.add("GET", "/api/parameters", "web.appparameterapi", web::to(parameters));
}

/// The web app's site: title, icon, texts and (when public) the prompt.
#[utoipa::path(get, path = "/api/site", tag = "site", responses((status = 200, description = "The site and the app's public config")))]
async fn site(state: web::Data<AppState>, user: WebAppUser) -> HttpResult {
    let db = &state.infra.db;
    let app = &user.app;
    let site =
        sites::Entity::find().filter(sites::Column::AppId.eq(app.id)).one(db).await?.ok_or_else(ApiError::forbidden)?;
    let plan = tenants::Entity::find_by_id(app.tenant_id).one(db).await?.map(|t| t.plan);
    // The prompt is shown only when the owner made it public.
    let model_config = match app.app_model_config_id {
        Some(id) if app.enable_site && site.prompt_public => app_model_configs::Entity::find_by_id(id).one(db).await?,
        _ => None,
    };
    let model_config = model_config.map(|c| {
        let f = apps::model_config::fields(&c);
        json!({
            "opening_statement": f["opening_statement"],
            "suggested_questions": f["suggested_questions"],
            "suggested_questions_after_answer": f["suggested_questions_after_answer"],
            "more_like_this": f["more_like_this"],
            "model": f["model"],
            "user_input_form": f["user_input_form"],
            "pre_prompt": f["pre_prompt"],
        })
    });
    Ok(HttpResponse::Ok().json(json!({
        "app_id": app.id,
        "end_user_id": user.end_user.id,
        "enable_site": app.enable_site,
        "site": {
            "title": site.title,
            "icon": site.icon,
            "icon_background": site.icon_background,
            "description": site.description,
            "copyright": site.copyright,
            "privacy_policy": site.privacy_policy,
            "default_language": site.default_language,
            "prompt_public": site.prompt_public,
        },
        "model_config": model_config.unwrap_or(Value::Null),
        "plan": plan,
    })))
}

/// The app's input form and features.
#[utoipa::path(get, path = "/api/parameters", tag = "site", responses((status = 200, description = "The app's input form and features")))]
async fn parameters(state: web::Data<AppState>, user: WebAppUser) -> HttpResult {
    crate::history::parameters(&state.infra.db, &user.app).await
}
