//! `GET /activate/check` and `POST /activate`: an invited member sets up their account.

use accounts::invitation::{self, Activation};
use accounts::validate;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::account::{AccountName, AccountPassword, EmailAddress, InterfaceLanguage, TimezoneName};
use crate::body::Body;
use crate::http_error::HttpResult;
use crate::query::QueryArgs;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /activate`: the invited member's name, password and preferences.
#[derive(Deserialize, utoipa::ToSchema)]
struct Activate {
    workspace_id: Option<String>,
    email: Option<EmailAddress>,
    /// The invitation's token.
    token: String,
    name: AccountName,
    password: AccountPassword,
    interface_language: InterfaceLanguage,
    timezone: TimezoneName,
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(check, activate))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/activate/check", "console.activatecheckapi", web::to(check));
    t.add("POST", "/console/api/activate", "console.activateapi", web::to(activate));
}

/// `GET /activate/check`: whether an invitation is still open, and to which workspace.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InvitationCheck {
    pub is_valid: bool,
    pub workspace_name: Option<String>,
}

#[utoipa::path(get, path = "/console/api/activate/check", tag = "activate", params(("token" = String, Query), ("workspace_id" = Option<String>, Query), ("email" = Option<String>, Query)), responses((status = 200, description = "`is_valid` and the inviting `workspace_name`", body = InvitationCheck)))]
async fn check(state: web::Data<AppState>, query: QueryArgs) -> HttpResult {
    let token = query.required("token")?.to_owned();
    let workspace_id = query.get("workspace_id").filter(|v| !v.is_empty());
    let email = match query.get("email").filter(|v| !v.is_empty()) {
        Some(e) => Some(validate::email("email", e)?),
        None => None,
    };
    let found =
        invitation::find(&state.infra.db, state.infra.cache.as_ref(), workspace_id, email.as_deref(), &token).await?;
    Ok(HttpResponse::Ok()
        .json(InvitationCheck { is_valid: found.is_some(), workspace_name: found.map(|i| i.tenant.name) }))
}

#[utoipa::path(post, path = "/console/api/activate", tag = "activate", request_body = Activate, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn activate(state: web::Data<AppState>, body: Body<Activate>) -> HttpResult {
    let Activate { workspace_id, email, token, name, password, interface_language, timezone } = body.read()?;
    let email = email.map(|EmailAddress(e)| e);
    let activation = Activation {
        name: name.0,
        password: password.0,
        interface_language: interface_language.0,
        timezone: timezone.0,
    };
    invitation::activate(
        &state.infra.db,
        state.infra.cache.as_ref(),
        workspace_id.as_deref(),
        email.as_deref(),
        &token,
        activation,
    )
    .await?;
    Ok(crate::answers::success())
}
