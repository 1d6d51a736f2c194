//! `POST /webhook/stripe`: Stripe's payment events for hosted model quotas. Dify answers it
//! only in the CLOUD edition (`setup_required`, then `only_edition_cloud`'s 404); a
//! self-hosted instance has no payments, so it answers 404 as Dify does.

use actix_web::web;

use super::guard::setup_required;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;
use kernel::ApiError;
use kernel::config::Edition;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(stripe))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("POST", "/console/api/webhook/stripe", "console.stripewebhookapi", web::to(stripe));
}

#[utoipa::path(post, path = "/console/api/webhook/stripe", tag = "billing", responses((status = 404, description = "Not the CLOUD edition: there are no payments, as in self-hosted Dify"), (status = 501, description = "CLOUD: Stripe payments are not built")))]
async fn stripe(state: web::Data<AppState>) -> HttpResult {
    setup_required(&state).await?;
    if state.config.edition != Edition::Cloud {
        return Err(ApiError::route_not_found().into());
    }
    Err(ApiError::not_implemented("console.stripewebhookapi").into())
}
