//! Console authentication as extractors: a handler that takes `Console` has passed Dify's
//! `setup_required`, `login_required` and `account_initialization_required`; one that takes
//! `Manager` also knows the caller is the workspace's owner or an admin.

use std::future::Future;
use std::pin::Pin;

use accounts::session::{SessionData, Sessions};
use accounts::tenant::Membership;
use accounts::{TenantRole, account::status};
use actix_web::{FromRequest, HttpRequest, web};
use entities::accounts as account_rows;
use kernel::ApiError;
use kernel::config::Edition;
use uuid::Uuid;

use crate::http_error::HttpError;
use crate::state::AppState;

/// The console's session cookie, named as Flask names it.
pub const SESSION_COOKIE: &str = "session";

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A console session (cookie, or a token naming it).
    Session { sid: String, data: SessionData },
    /// `Authorization: Bearer <ADMIN_API_KEY>` with `X-WORKSPACE-ID`.
    AdminKey,
}

/// A signed-in console user in their current workspace.
#[derive(Debug, Clone)]
pub struct Console {
    pub account: account_rows::Model,
    pub membership: Membership,
    pub credential: Credential,
}

impl Console {
    pub fn tenant_id(&self) -> Uuid {
        self.membership.tenant.id
    }

    pub fn role(&self) -> TenantRole {
        self.membership.role
    }
}

/// A `Console` user whose account may still be uninitialised (for `/account/init`).
#[derive(Debug, Clone)]
pub struct ConsoleUninit(pub Console);

/// A `Console` user who is the workspace's owner or an admin.
#[derive(Debug, Clone)]
pub struct Manager(pub Console);

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(ApiError::internal)
}

pub fn sessions(state: &AppState) -> Sessions<'_> {
    Sessions::new(state.infra.cache.as_ref(), &state.config.secret_key, state.config.edition.as_str())
}

/// Dify's `setup_required`: SELF_HOSTED instances answer 401 `not_setup` until set up.
pub async fn setup_required(state: &AppState) -> Result<(), ApiError> {
    if state.config.edition == Edition::SelfHosted && !state.is_setup().await? {
        return Err(crate::error_table::account(accounts::AccountError::NotSetup));
    }
    Ok(())
}

/// The bearer token of the request, if it sent an Authorization header.
pub fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    Ok(crate::bearer::bearer(req)?.map(str::to_owned))
}

/// The session id in the cookie, if any.
pub fn cookie_sid(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()).filter(|v| !v.is_empty())
}

/// Who the request is from: (account id, credential, workspace it asks for).
async fn identify(req: &HttpRequest, state: &AppState) -> Result<(Uuid, Credential, Option<Uuid>), ApiError> {
    let s = sessions(state);
    if let Some(token) = bearer(req)? {
        if let Some(admin_key) = state.config.admin_api_key.as_deref()
            && bool::from(subtle::ConstantTimeEq::ct_eq(token.as_bytes(), admin_key.as_bytes()))
        {
            return admin_identity(req, state).await;
        }
        let claims = s.decode_token(&token)?;
        let data =
            s.get(&claims.sid).await?.filter(|d| d.account_id == claims.user_id).ok_or_else(ApiError::unauthorized)?;
        let ws = data.workspace_id;
        return Ok((claims.user_id, Credential::Session { sid: claims.sid, data }, ws));
    }
    let sid = cookie_sid(req).ok_or_else(ApiError::unauthorized)?;
    let data = s.get(&sid).await?.ok_or_else(ApiError::unauthorized)?;
    let ws = data.workspace_id;
    Ok((data.account_id, Credential::Session { sid, data }, ws))
}

/// Dify's admin key: acts as the owner of the workspace named by `X-WORKSPACE-ID`.
async fn admin_identity(req: &HttpRequest, state: &AppState) -> Result<(Uuid, Credential, Option<Uuid>), ApiError> {
    let ws: Uuid = req
        .headers()
        .get("X-WORKSPACE-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(ApiError::unauthorized)?;
    let owner = accounts::tenant::owner_of(&state.infra.db, ws).await?.ok_or_else(ApiError::unauthorized)?;
    Ok((owner, Credential::AdminKey, Some(ws)))
}

/// Runs Dify's three console decorators; `require_init` is `account_initialization_required`.
async fn authenticate(req: HttpRequest, require_init: bool) -> Result<Console, ApiError> {
    let state = state(&req)?;
    setup_required(&state).await?;
    let (account_id, credential, preferred) = identify(&req, &state).await?;
    let db = &state.infra.db;
    let account = accounts::account::by_id(db, account_id).await?.ok_or_else(ApiError::unauthorized)?;
    if account.status.is_locked_out() {
        return Err(ApiError::forbidden());
    }
    let membership = accounts::tenant::resolve_current(db, state.infra.storage.as_ref(), &account, preferred).await?;
    if let Credential::Session { sid, data } = &credential
        && data.workspace_id != Some(membership.tenant.id)
    {
        sessions(&state).set_workspace(sid, data, membership.tenant.id).await?;
    }
    let account = accounts::account::touch_last_active(db, account).await?;
    if require_init && account.status == status::UNINITIALIZED {
        return Err(crate::error_table::account(accounts::AccountError::NotInitialized));
    }
    Ok(Console { account, membership, credential })
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, HttpError>>>>;

impl FromRequest for Console {
    type Error = HttpError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(authenticate(req, true).await?) })
    }
}

impl FromRequest for ConsoleUninit {
    type Error = HttpError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(ConsoleUninit(authenticate(req, false).await?)) })
    }
}

impl FromRequest for Manager {
    type Error = HttpError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let c = authenticate(req, true).await?;
            if !c.role().is_manager() {
                return Err(HttpError(ApiError::forbidden()));
            }
            Ok(Manager(c))
        })
    }
}

/// The client's address: the peer, unless the peer is one of `TRUSTED_PROXIES`; then
/// `X-Forwarded-For` is read right to left and the first address that is not itself a trusted
/// proxy is the client. A header from anyone else is ignored, so it can neither spread
/// password guesses over made-up addresses nor lock a victim's address out.
pub fn client_ip(req: &HttpRequest) -> String {
    let trusted: &[ipnet::IpNet] =
        req.app_data::<web::Data<AppState>>().map_or(&[], |s| s.config.trusted_proxies.as_slice());
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else { return "unknown".into() };
    forwarded_client(peer, trusted, req.headers().get_all("X-Forwarded-For").filter_map(|v| v.to_str().ok()))
        .to_string()
}

fn forwarded_client<'a>(
    peer: std::net::IpAddr,
    trusted: &[ipnet::IpNet],
    headers: impl Iterator<Item = &'a str>,
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // Something that is not an address ends what the proxies vouch for.
        let Ok(ip) = hop.parse::<std::net::IpAddr>() else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod forwarded_tests {
    use super::forwarded_client;

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> =
            vec!["172.28.0.0/16".parse().expect("cidr"), "10.0.0.9/32".parse().expect("ip")];
        let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("ip");
        // An untrusted peer's header is ignored.
        assert_eq!(forwarded_client(ip("203.0.113.7"), &trusted, ["1.2.3.4"].into_iter()), ip("203.0.113.7"));
        // Through nginx: the address nginx saw.
        assert_eq!(forwarded_client(ip("172.28.0.5"), &trusted, ["198.51.100.1"].into_iter()), ip("198.51.100.1"));
        // A client-made prefix is skipped: right to left, the first untrusted hop.
        let spoofed = ["6.6.6.6, 198.51.100.1"].into_iter();
        assert_eq!(forwarded_client(ip("172.28.0.5"), &trusted, spoofed), ip("198.51.100.1"));
        // Chained trusted proxies, several headers.
        let chained = ["198.51.100.1", "10.0.0.9"].into_iter();
        assert_eq!(forwarded_client(ip("172.28.0.5"), &trusted, chained), ip("198.51.100.1"));
        // Garbage stops the walk at the last vouched hop; no header leaves the peer.
        assert_eq!(forwarded_client(ip("172.28.0.5"), &trusted, ["nonsense"].into_iter()), ip("172.28.0.5"));
        assert_eq!(forwarded_client(ip("172.28.0.5"), &trusted, std::iter::empty()), ip("172.28.0.5"));
    }
}
