//! `GET /v1/parameters`: the app's input form and features, for the caller's UI.

use actix_web::{HttpResponse, web};
use entities::app_model_configs;
use kernel::ApiError;
use sea_orm::EntityTrait;
use serde_json::json;

use super::guard::AppApiKey;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/v1/parameters", "service_api.appparameterapi", web::to(parameters));
}

async fn parameters(state: web::Data<AppState>, key: AppApiKey) -> HttpResult {
    let config = match key.app.app_model_config_id {
        Some(id) => app_model_configs::Entity::find_by_id(id).one(&state.infra.db).await?,
        None => None,
    };
    let config = config.ok_or_else(|| {
        ApiError::new(400, "app_unavailable", "App unavailable, please check your app configurations.")
    })?;
    let f = apps::model_config::fields(&config);
    Ok(HttpResponse::Ok().json(json!({
        "opening_statement": f["opening_statement"],
        "suggested_questions": f["suggested_questions"],
        "suggested_questions_after_answer": f["suggested_questions_after_answer"],
        "speech_to_text": f["speech_to_text"],
        "retriever_resource": f["retriever_resource"],
        "more_like_this": f["more_like_this"],
        "user_input_form": f["user_input_form"],
    })))
}
