//! Shared helpers for the HTTP tests: a test server per test and a client that keeps cookies.

#![allow(dead_code)]

pub mod datasets;

use accounts::TenantRole;
use accounts::account::{NewAccount, status};
use accounts::tenant::NewTenant;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{self, TestRequest};
use api_server::AppState;
use serde_json::{Value, json};
use test_support::TestEnv;
use uuid::Uuid;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "Passw0rd123";

/// What one request answered.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub cookie: Option<String>,
}

/// A console client: remembers the session cookie and, optionally, sends a bearer token.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub cookie: Option<String>,
    pub bearer: Option<String>,
}

pub async fn send<S, B>(app: &S, client: &mut Client, method: Method, uri: &str, body: Option<Value>) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut req = TestRequest::default().method(method).uri(uri).peer_addr("10.0.0.1:1234".parse().expect("addr"));
    if let Some(c) = &client.cookie {
        req = req.insert_header((header::COOKIE, format!("session={c}")));
    }
    if let Some(t) = &client.bearer {
        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
    }
    if let Some(b) = body {
        req = req.set_json(b);
    }
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status();
    let cookie = resp.response().cookies().find(|c| c.name() == "session").map(|c| c.value().to_string());
    if let Some(c) = &cookie {
        client.cookie = (!c.is_empty()).then(|| c.clone());
    }
    let bytes = test::read_body(resp).await;
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    Reply { status, body, cookie }
}

/// A test environment with its app state.
pub async fn state_with(vars: &[(&str, &str)]) -> (TestEnv, AppState) {
    let env = TestEnv::with_vars(vars).await;
    let state = AppState::new(env.config.clone(), env.infra.clone());
    (env, state)
}

/// Asserts a Dify error reply.
pub fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "{r:?}");
    assert_eq!(r.body["code"], code, "{r:?}");
    assert!(r.body["message"].is_string(), "{r:?}");
}

pub fn setup_body() -> Value {
    json!({"email": ADMIN_EMAIL, "name": "admin", "password": ADMIN_PASSWORD})
}

/// An active account, joined to `tenant` with `role`, or owning a new workspace of its own.
pub async fn seed_account(
    env: &TestEnv,
    email: &str,
    password: &str,
    join: Option<(Uuid, TenantRole)>,
) -> (Uuid, Uuid) {
    let db = &env.infra.db;
    let hash = accounts::account::hash(password).await.expect("hash");
    let account = NewAccount {
        email,
        name: "someone",
        password: Some(hash),
        interface_language: "en-US",
        status: status::ACTIVE,
        initialized: true,
    }
    .insert(db)
    .await
    .expect("account");
    let (tenant, role) = match join {
        Some(j) => j,
        None => {
            let t = NewTenant::prepare(env.infra.storage.as_ref())
                .await
                .expect("keys")
                .insert(db, &format!("{email}'s Workspace"))
                .await
                .expect("tenant");
            (t.id, TenantRole::Owner)
        }
    };
    accounts::tenant::add_member(db, tenant, account.id, role, None).await.expect("join");
    (account.id, tenant)
}

/// Signs in through `POST /login` and returns the client holding the session.
pub async fn login<S, B>(app: &S, email: &str, password: &str) -> Client
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut c = Client::default();
    let r = send(app, &mut c, Method::POST, "/console/api/login", Some(json!({"email": email, "password": password})))
        .await;
    assert_eq!(r.status.as_u16(), 200, "login {email}: {r:?}");
    c
}

/// Configures OpenAI for `tenant` as a saved credential leaves it: the key encrypted with the
/// workspace key, pointed at `api_base` (a fake server) when given.
pub async fn configure_openai_at(env: &TestEnv, tenant_id: Uuid, key: &str, api_base: Option<&str>) {
    use entities::providers;
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let db = &env.infra.db;
    let tenant = entities::tenants::Entity::find_by_id(tenant_id).one(db).await.expect("q").expect("tenant");
    let enc = kernel::crypto::encrypt(key, tenant.encrypt_public_key.as_deref().expect("pk")).expect("enc");
    let mut config = json!({"openai_api_key": enc});
    if let Some(base) = api_base {
        config["openai_api_base"] = json!(base);
    }
    // Listing providers leaves an unconfigured placeholder row, as Dify does: replace it.
    providers::Entity::delete_many()
        .filter(providers::Column::TenantId.eq(tenant_id))
        .filter(providers::Column::ProviderName.eq("openai"))
        .filter(providers::Column::ProviderType.eq("custom"))
        .exec(db)
        .await
        .expect("clear placeholder");
    let now = kernel::time::now_naive();
    providers::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        provider_name: Set("openai".into()),
        provider_type: Set(entities::providers::ProviderType::Custom),
        encrypted_config: Set(Some(config.to_string())),
        is_valid: Set(true),
        last_used: Set(None),
        quota_type: Set(Some(entities::providers::QuotaType::NotHosted)),
        quota_limit: Set(None),
        quota_used: Set(Some(0)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("provider row");
}

/// A visitor's passport for the app's shared site, fetched the way the web app does.
pub async fn web_visitor<S, B>(app: &S, owner: &mut Client, app_id: &str) -> Client
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = send(app, owner, Method::GET, &format!("/console/api/apps/{app_id}"), None).await;
    let code = r.body["site"]["access_token"].as_str().expect("site code").to_string();
    let req = TestRequest::get().uri("/api/passport").insert_header(("X-App-Code", code)).to_request();
    let body: Value = test::call_and_read_body_json(app, req).await;
    Client { bearer: Some(body["access_token"].as_str().expect("passport").to_string()), ..Client::default() }
}

/// The caller's installed-app id of `app_id` (Explore).
pub async fn installed_app_id<S, B>(app: &S, client: &mut Client, app_id: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = send(app, client, Method::GET, "/console/api/installed-apps", None).await;
    r.body["installed_apps"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["app"]["id"] == app_id))
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("app {app_id} is not installed: {r:?}"))
        .to_string()
}

/// Sends one request `n` times at once, after opening `n` of the pool's connections so the
/// requests run side by side instead of queueing for connections being opened.
pub async fn at_once<S, B>(env: &TestEnv, app: &S, client: &Client, method: Method, uri: &str, n: usize) -> Vec<Reply>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    use sea_orm::EntityTrait;
    futures::future::join_all((0..n).map(|_| entities::accounts::Entity::find().all(&env.infra.db))).await;
    let mut replies = futures::future::join_all((0..n).map(|_| {
        let (mut c, method) = (client.clone(), method.clone());
        async move { send(app, &mut c, method, uri, None).await }
    }))
    .await;
    replies.sort_by_key(|r| r.status.as_u16());
    replies
}
