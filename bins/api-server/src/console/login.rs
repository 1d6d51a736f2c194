//! `POST /login` and `GET /logout`.

use accounts::login::authenticate;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use entities::accounts as account_rows;
use kernel::ApiError;
use serde_json::json;

use super::guard::{SESSION_COOKIE, bearer, client_ip, cookie_sid, sessions, setup_required};
use crate::args::JsonArgs;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("POST", "/console/api/login", "console.loginapi", web::to(login));
    t.add("GET", "/console/api/logout", "console.logoutapi", web::to(logout));
}

fn session_cookie(state: &AppState, value: String, max_age: Option<CookieDuration>) -> Cookie<'static> {
    let same_site = match state.config.cookie_samesite.to_ascii_lowercase().as_str() {
        "strict" => SameSite::Strict,
        "none" => SameSite::None,
        _ => SameSite::Lax,
    };
    let mut c = Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(same_site)
        // Browsers drop SameSite=None cookies that are not Secure.
        .secure(state.config.cookie_secure || same_site == SameSite::None)
        .finish();
    if let Some(age) = max_age {
        c.set_max_age(age);
    }
    c
}

/// Signs `account` in: a session in the cache, its cookie on `resp`, and a token naming it.
pub async fn start_session(
    state: &AppState,
    account: &account_rows::Model,
    remember: bool,
    resp: &mut HttpResponseBuilder,
) -> Result<String, ApiError> {
    let workspace = accounts::tenant::memberships(&state.infra.db, account.id).await?.first().map(|m| m.tenant.id);
    let s = sessions(state);
    let sid = s.create(account.id, workspace, remember).await?;
    let token = s.issue_token(account.id, &sid)?;
    let max_age = remember.then(|| CookieDuration::seconds(accounts::session::REMEMBER_TTL.as_secs() as i64));
    resp.cookie(session_cookie(state, sid, max_age));
    Ok(token)
}

async fn login(req: HttpRequest, state: web::Data<AppState>, body: web::Json<serde_json::Value>) -> HttpResult {
    setup_required(&state).await?;
    let args = JsonArgs::new(body)?;
    let email = accounts::validate::email("email", &args.required_str("email")?)?;
    let password = accounts::validate::password("password", &args.required_str("password")?)
        // A password that breaks the rule cannot be right: same answer as a wrong one.
        .map_err(|_| ApiError::unauthorized_msg("Invalid email or password"))?;
    let remember = args.bool_or("remember_me", false)?;
    let ip = client_ip(&req);
    let account = authenticate(&state.infra.db, state.infra.cache.as_ref(), &email, &password, &ip).await?;
    let mut resp = HttpResponse::Ok();
    let token = start_session(&state, &account, remember, &mut resp).await?;
    Ok(resp.json(json!({"result": "success", "data": token})))
}

async fn logout(req: HttpRequest, state: web::Data<AppState>) -> HttpResult {
    setup_required(&state).await?;
    let s = sessions(&state);
    if let Some(sid) = cookie_sid(&req) {
        s.delete(&sid).await?;
    }
    if let Ok(Some(token)) = bearer(&req)
        && let Ok(claims) = s.decode_token(&token)
    {
        s.delete(&claims.sid).await?;
    }
    let mut gone = session_cookie(&state, String::new(), Some(CookieDuration::ZERO));
    gone.make_removal();
    Ok(HttpResponse::Ok().cookie(gone).json(json!({"result": "success"})))
}
