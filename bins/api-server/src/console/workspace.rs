//! Workspaces: the caller's list, the current one, switching, and the operators' list of all.

use crate::query::QueryArgs;

use actix_web::{HttpRequest, HttpResponse, web};
use kernel::ApiError;
use serde::Deserialize;
use uuid::Uuid;

use super::guard::{Console, Credential, sessions, setup_required};
use crate::bearer::Authorization;
use crate::body::Body;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /workspaces/switch`.
#[derive(Deserialize, utoipa::ToSchema)]
struct WorkspaceSwitch {
    /// A workspace the account belongs to (anything else is Dify's 403 `account_not_link_tenant`).
    tenant_id: String,
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, all, current, info, switch))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/workspaces", "console.tenantlistapi", web::to(list));
    t.add("GET", "/console/api/all-workspaces", "console.workspacelistapi", web::to(all));
    t.add("GET", "/console/api/workspaces/current", "console.workspaces_current", web::to(current));
    t.add("GET", "/console/api/info", "console.info", web::to(info));
    t.add("POST", "/console/api/workspaces/switch", "console.switchworkspaceapi", web::to(switch));
}

#[utoipa::path(get, path = "/console/api/workspaces", tag = "workspaces", responses((status = 200, description = "The account's workspaces", body = accounts::tenant::Workspaces)))]
async fn list(state: web::Data<AppState>, user: Console) -> HttpResult {
    let all = accounts::tenant::memberships(&state.infra.db, user.account.id).await?;
    let workspaces = all.iter().map(|m| accounts::tenant::list_item(m, m.tenant.id == user.tenant_id())).collect();
    Ok(HttpResponse::Ok().json(accounts::tenant::Workspaces { workspaces }))
}

#[utoipa::path(get, path = "/console/api/workspaces/current", tag = "workspaces", responses((status = 200, description = "The current workspace", body = accounts::tenant::WorkspaceInfo)))]
async fn current(state: web::Data<AppState>, user: Console) -> HttpResult {
    Ok(HttpResponse::Ok().json(accounts::tenant::info(&state.infra.db, &user.membership).await?))
}

/// The same answer as `GET /workspaces/current`.
#[utoipa::path(get, path = "/console/api/info", tag = "workspaces", responses((status = 200, description = "The current workspace", body = accounts::tenant::WorkspaceInfo)))]
async fn info(state: web::Data<AppState>, user: Console) -> HttpResult {
    current(state, user).await
}

/// `POST /workspaces/switch`: the workspace switched to.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Switched {
    pub result: &'static str,
    pub new_tenant: accounts::tenant::WorkspaceInfo,
}

#[utoipa::path(post, path = "/console/api/workspaces/switch", tag = "workspaces", request_body = WorkspaceSwitch, responses((status = 200, description = "`result` and the new workspace", body = Switched)))]
async fn switch(state: web::Data<AppState>, user: Console, body: Body<WorkspaceSwitch>) -> HttpResult {
    let WorkspaceSwitch { tenant_id } = body.read()?;
    let tenant_id: Uuid = tenant_id.parse().map_err(|_| accounts::AccountError::NotLinkedToWorkspace)?;
    let membership = accounts::tenant::membership(&state.infra.db, user.account.id, tenant_id)
        .await?
        .ok_or(accounts::AccountError::NotLinkedToWorkspace)?;
    if let Credential::Session { sid, data } = &user.credential {
        sessions(&state).set_workspace(sid, data, tenant_id).await?;
    }
    let info = accounts::tenant::info(&state.infra.db, &membership).await?;
    Ok(HttpResponse::Ok().json(Switched { result: "success", new_tenant: info }))
}

/// Dify's `admin_required`: the request must carry `Bearer <ADMIN_API_KEY>`.
pub(crate) fn admin_required(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let invalid = || ApiError::unauthorized_msg("API key is invalid.");
    let key = state.config.admin_api_key.as_deref().ok_or_else(invalid)?;
    if crate::bearer::authorization(req) == Authorization::Missing {
        return Err(ApiError::unauthorized_msg("Authorization header is missing."));
    }
    let token = crate::bearer::bearer(req)?.ok_or_else(invalid)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(token.as_bytes(), key.as_bytes())) {
        return Err(invalid());
    }
    Ok(())
}

/// Every workspace on the instance, newest first, for operators.
#[utoipa::path(get, path = "/console/api/all-workspaces", tag = "workspaces", params(("page" = Option<u64>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "A page of every workspace (operators, with the admin API key)", body = accounts::tenant::WorkspacePage)))]
async fn all(req: HttpRequest, state: web::Data<AppState>, query: QueryArgs) -> HttpResult {
    setup_required(&state).await?;
    admin_required(&req, &state)?;
    let page = query.page_request()?;
    Ok(HttpResponse::Ok().json(accounts::tenant::all(&state.infra.db, page).await?))
}
