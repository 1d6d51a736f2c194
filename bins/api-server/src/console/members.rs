//! `/workspaces/current/members*`: listing, inviting, removing and re-roling members.

use accounts::members::{self, Inviter};
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use uuid::Uuid;

use super::guard::Console;
use crate::args::JsonArgs;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/workspaces/current/members", "console.memberlistapi", web::to(list));
    t.add(
        "POST",
        "/console/api/workspaces/current/members/invite-email",
        "console.memberinviteemailapi",
        web::to(invite),
    );
    t.add(
        "DELETE",
        "/console/api/workspaces/current/members/<uuid:member_id>",
        "console.membercancelinviteapi",
        web::to(remove),
    );
    t.add(
        "PUT",
        "/console/api/workspaces/current/members/<uuid:member_id>/update-role",
        "console.memberupdateroleapi",
        web::to(update_role),
    );
}

async fn list(state: web::Data<AppState>, user: Console) -> HttpResult {
    Ok(HttpResponse::Ok().json(members::list(&state.infra.db, user.tenant_id()).await?))
}

async fn invite(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let args = JsonArgs::new(body)?;
    let emails = args.required_str_list("emails")?;
    let role = members::invitable_role(&args.required_str("role")?)?;
    let inviter = Inviter {
        account: &user.account,
        tenant: &user.membership.tenant,
        role: user.role(),
        console_web_url: &state.config.console_web_url,
    };
    let results =
        members::invite(&state.infra.db, state.infra.cache.as_ref(), &state.infra.outbox, &inviter, &emails, role)
            .await?;
    Ok(HttpResponse::Created().json(json!({"result": "success", "invitation_results": results})))
}

async fn remove(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    members::remove(&state.infra.db, user.tenant_id(), &user.account, user.role(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn update_role(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let role = JsonArgs::new(body)?.required_str("role")?;
    members::update_role(&state.infra.db, user.tenant_id(), &user.account, user.role(), path.into_inner(), &role)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}
