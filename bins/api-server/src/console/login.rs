//! `POST /login` and `GET /logout`.

use accounts::login::authenticate;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use entities::accounts as account_rows;
use kernel::ApiError;
use serde::Deserialize;

use super::account::EmailAddress;
use super::guard::{SESSION_COOKIE, bearer, client_ip, cookie_sid, sessions, setup_required};
use crate::body::Body;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /login`.
#[derive(Deserialize, utoipa::ToSchema)]
struct Login {
    /// Read (with `password`) through `Credentials` first.
    #[allow(dead_code)]
    email: EmailAddress,
    /// A password that breaks Dify's rule is answered as a wrong one (401).
    #[allow(dead_code)]
    password: String,
    #[serde(default)]
    remember_me: bool,
}

/// The first arguments of `POST /login`: as in Dify, a password that breaks the rule is
/// refused before `remember_me` is read.
#[derive(Deserialize)]
struct Credentials {
    email: EmailAddress,
    password: String,
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(login, logout))]
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

/// Signs in with email and password. As in Dify, an instance not set up yet is refused before
/// any argument is read.
/// `POST /login`: the session token (also set as the cookie).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub result: &'static str,
    pub data: String,
}

#[utoipa::path(post, path = "/console/api/login", tag = "login", request_body = Login, responses((status = 200, description = "`result` and a session token in `data`; the session cookie is set", body = SignedIn)))]
async fn login(req: HttpRequest, state: web::Data<AppState>, body: Body<Login>) -> HttpResult {
    setup_required(&state).await?;
    let Credentials { email: EmailAddress(email), password } = body.read_as()?;
    let password = accounts::validate::password("password", &password)
        // A password that breaks the rule cannot be right: same answer as a wrong one.
        .map_err(|_| ApiError::unauthorized_msg("Invalid email or password"))?;
    let Login { remember_me: remember, .. } = body.read()?;
    let ip = client_ip(&req);
    let account = authenticate(&state.infra.db, state.infra.cache.as_ref(), &email, &password, &ip).await?;
    let mut resp = HttpResponse::Ok();
    let token = start_session(&state, &account, remember, &mut resp).await?;
    Ok(resp.json(SignedIn { result: "success", data: token }))
}

#[utoipa::path(get, path = "/console/api/logout", tag = "login", responses((status = 200, description = "`{\"result\": \"success\"}`; the session cookie is removed", body = crate::answers::Success)))]
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
    Ok(HttpResponse::Ok().cookie(gone).json(crate::answers::SUCCESS))
}
