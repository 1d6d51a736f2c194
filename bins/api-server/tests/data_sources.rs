//! The data-source and tool lists the console's dataset pages, settings and Plugins page
//! call: empty (Notion) and not enabled (SerpAPI) for a new workspace, as Dify answers; a
//! Notion binding or tool credentials that Python Dify left are shown, switched and kept to
//! their workspace. Through HTTP, both modes.

mod common;

use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use api_server::app;
use common::datasets::owner;
use common::*;
use entities::{data_source_bindings, tenants, tool_providers};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;
use test_support::TestEnv;
use test_support::fake_openai::FakeOpenAi;
use uuid::Uuid;

async fn bind_notion(env: &TestEnv, tenant_id: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    let now = kernel::time::now_naive();
    data_source_bindings::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        access_token: Set("secret_notion_token".into()),
        provider: Set("notion".into()),
        source_info: Set(json!({
            "workspace_name": "Tea Lab",
            "workspace_id": "ws-1",
            "workspace_icon": null,
            "pages": [
                {"page_id": "p-1", "page_name": "Brewing", "page_icon": {"type": "emoji", "emoji": "🍵"}, "parent_id": "workspace", "type": "page"},
                {"page_id": "p-2", "page_name": "Origins", "page_icon": null, "parent_id": "p-1", "type": "database"}
            ],
            "total": 2
        })),
        created_at: Set(now),
        updated_at: Set(now),
        disabled: Set(Some(false)),
    }
    .insert(&env.infra.db)
    .await
    .expect("binding");
    id
}

#[actix_web::test]
async fn a_new_workspace_lists_no_data_source_and_serpapi_not_enabled() {
    let (env, state) = state_with(&[("CONSOLE_API_URL", "https://api.tea.test")]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, tenant) = owner(&env, &app, &fake).await;

    let r = send(&app, &mut c, Method::GET, "/console/api/data-source/integrates", None).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"data": []})));
    let r = send(&app, &mut c, Method::GET, "/console/api/notion/pre-import/pages", None).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"notion_info": []})));
    let r = send(&app, &mut c, Method::GET, "/console/api/workspaces/current/tool-providers", None).await;
    assert_eq!(
        (r.status.as_u16(), &r.body),
        (200, &json!([{"tool_name": "serpapi", "is_enabled": false, "credentials": null}]))
    );

    // Connecting needs a Notion integration this server does not have.
    let r = send(&app, &mut c, Method::GET, "/console/api/oauth/data-source/github", None).await;
    assert_eq!((r.status.as_u16(), &r.body), (400, &json!({"error": "Invalid provider"})));
    let r = send(&app, &mut c, Method::GET, "/console/api/oauth/data-source/notion", None).await;
    assert_eq!(r.status.as_u16(), 400, "{r:?}");
    let req = TestRequest::get().uri("/console/api/oauth/data-source/callback/notion?error=access_denied").to_request();
    let resp = test::call_service(&app, req).await;
    assert_eq!(resp.status().as_u16(), 302);
    let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(location.ends_with("?oauth_data_source=access_denied"), "{location}");
    let r = send(&app, &mut c, Method::PATCH, "/console/api/data-source/integrates", None).await;
    assert_error(&r, 405, "method_not_allowed");

    // A binding Python Dify's Notion connection left.
    let binding = bind_notion(&env, tenant).await;
    let r = send(&app, &mut c, Method::GET, "/console/api/data-source/integrates", None).await;
    let data = r.body["data"].as_array().expect("data");
    assert_eq!(data.len(), 1, "{r:?}");
    assert_eq!(data[0]["id"], binding.to_string());
    assert_eq!(data[0]["provider"], "notion");
    assert_eq!(data[0]["is_bound"], true);
    assert_eq!(data[0]["disabled"], false);
    assert!(data[0]["created_at"].is_i64());
    assert_eq!(data[0]["link"], "https://api.tea.test/console/api/oauth/data-source/notion");
    assert_eq!(data[0]["source_info"]["workspace_name"], "Tea Lab");
    assert_eq!(data[0]["source_info"]["total"], 2);
    assert_eq!(
        data[0]["source_info"]["pages"][0],
        json!({"page_name": "Brewing", "page_id": "p-1", "page_icon": {"type": "emoji", "url": null, "emoji": "🍵"}, "parent_id": "workspace", "type": "page"})
    );
    assert_eq!(data[0]["source_info"]["pages"][1]["page_icon"], json!(null));
    let r = send(&app, &mut c, Method::GET, "/console/api/notion/pre-import/pages", None).await;
    let info = &r.body["notion_info"];
    assert_eq!(info[0]["workspace_id"], "ws-1", "{r:?}");
    assert_eq!(info[0]["pages"][0]["is_bound"], false);

    let switch = |action: &str| format!("/console/api/data-source/integrates/{binding}/{action}");
    let r = send(&app, &mut c, Method::PATCH, &switch("disable"), None).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"result": "success"})));
    let r = send(&app, &mut c, Method::GET, "/console/api/data-source/integrates", None).await;
    assert_eq!(r.body, json!({"data": []}), "a disabled binding is not listed");
    let r = send(&app, &mut c, Method::PATCH, &switch("disable"), None).await;
    assert_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "Data source is disabled.");
    let r = send(&app, &mut c, Method::PATCH, &switch("enable"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");

    // Another workspace's binding is not found from here.
    let (_, other_tenant) = seed_account(&env, "other@tea.test", ADMIN_PASSWORD, None).await;
    let foreign = bind_notion(&env, other_tenant).await;
    let r = send(&app, &mut c, Method::PATCH, &format!("/console/api/data-source/integrates/{foreign}/disable"), None)
        .await;
    assert_error(&r, 404, "not_found");
    let r = send(&app, &mut c, Method::GET, "/console/api/data-source/integrates", None).await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(1));
    let r =
        send(&app, &mut c, Method::GET, &format!("/console/api/oauth/data-source/notion/{foreign}/sync"), None).await;
    assert_error(&r, 400, "invalid_param");

    // SerpAPI credentials as Dify stores them: the key encrypted with the workspace's key.
    let t = tenants::Entity::find_by_id(tenant).one(&env.infra.db).await.expect("q").expect("tenant");
    let cipher = kernel::crypto::encrypt("serp-0123456789", t.encrypt_public_key.as_deref().expect("pk")).expect("enc");
    let now = kernel::time::now_naive();
    tool_providers::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant),
        tool_name: Set("serpapi".into()),
        encrypted_credentials: Set(Some(json!({"api_key": cipher}).to_string())),
        is_enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&env.infra.db)
    .await
    .expect("tool");
    let r = send(&app, &mut c, Method::GET, "/console/api/workspaces/current/tool-providers", None).await;
    assert_eq!(
        r.body,
        json!([{"tool_name": "serpapi", "is_enabled": true, "credentials": {"api_key": "serp-0*******89"}}]),
        "{r:?}"
    );
}
