//! `/workspaces/current/members*`: listing, inviting, removing and re-roling members.

use accounts::members::{self, Inviter};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use super::guard::Console;
use crate::body::{Body, one_or_many};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /workspaces/current/members/invite-email`.
#[derive(Deserialize, utoipa::ToSchema)]
struct MemberInvite {
    /// The addresses to invite (one string is taken as a list of one).
    #[serde(deserialize_with = "one_or_many")]
    emails: Vec<String>,
    /// `admin` or `normal` (anything else is Dify's 400 `invalid-role`).
    role: String,
}

/// `PUT /workspaces/current/members/<id>/update-role`.
#[derive(Deserialize, utoipa::ToSchema)]
struct MemberRoleUpdate {
    /// `owner`, `admin` or `normal` (anything else is Dify's 400 `invalid-role`).
    role: String,
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, invite, remove, update_role))]
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

#[utoipa::path(get, path = "/console/api/workspaces/current/members", tag = "members", responses((status = 200, description = "The workspace's members", body = accounts::members::Members)))]
async fn list(state: web::Data<AppState>, user: Console) -> HttpResult {
    Ok(HttpResponse::Ok().json(members::list(&state.infra.db, user.tenant_id()).await?))
}

/// `POST /workspaces/current/members/invite-email`: one result per email.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Invited {
    pub result: &'static str,
    pub invitation_results: Vec<accounts::members::InvitationResult>,
}

#[utoipa::path(post, path = "/console/api/workspaces/current/members/invite-email", tag = "members", request_body = MemberInvite, responses((status = 201, description = "One invitation result per email", body = Invited)))]
async fn invite(state: web::Data<AppState>, user: Console, body: Body<MemberInvite>) -> HttpResult {
    let MemberInvite { emails, role } = body.read()?;
    let role = members::invitable_role(&role)?;
    let inviter = Inviter {
        account: &user.account,
        tenant: &user.membership.tenant,
        role: user.role(),
        console_web_url: &state.config.console_web_url,
    };
    let results =
        members::invite(&state.infra.db, state.infra.cache.as_ref(), &state.infra.outbox, &inviter, &emails, role)
            .await?;
    Ok(HttpResponse::Created().json(Invited { result: "success", invitation_results: results }))
}

#[utoipa::path(delete, path = "/console/api/workspaces/current/members/{member_id}", tag = "members", params(("member_id" = Uuid, Path)), responses((status = 204, description = "Removed, or the invitation cancelled")))]
async fn remove(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    members::remove(&state.infra.db, user.tenant_id(), &user.account, user.role(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(put, path = "/console/api/workspaces/current/members/{member_id}/update-role", tag = "members", params(("member_id" = Uuid, Path)), request_body = MemberRoleUpdate, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn update_role(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<Uuid>,
    body: Body<MemberRoleUpdate>,
) -> HttpResult {
    let MemberRoleUpdate { role } = body.read()?;
    members::update_role(&state.infra.db, user.tenant_id(), &user.account, user.role(), path.into_inner(), &role)
        .await?;
    Ok(crate::answers::success())
}
