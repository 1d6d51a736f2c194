//! What a benchmark needs on a fresh server, made through the console API as a user would:
//! the owner, OpenAI pointed at the fake, a chat app and its API key.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use test_support::fake_openai::FAKE_API_KEY;

/// A chat app ready for `/v1` requests.
#[derive(Debug, Clone)]
pub struct ChatApp {
    /// `Bearer app-…`.
    pub key: String,
}

/// A chat app whose prompt starts with `pre_prompt` (the fake echoes the prompt up to Dify's
/// chat stop word, so the pre-prompt is the answer).
pub async fn chat_app(
    http: &reqwest::Client,
    base: &str,
    fake_base: &str,
    pre_prompt: &str,
) -> anyhow::Result<ChatApp> {
    let account = json!({"email": "bench@example.com", "name": "Bench", "password": "Passw0rd123"});
    expect(http.post(format!("{base}/console/api/setup")).json(&account), 201, "setup").await?;
    let r = http.post(format!("{base}/console/api/login")).json(&account).send().await?;
    if r.status() != 200 {
        bail!("login: {}", r.status());
    }
    let cookie = session_cookie(&r).context("session cookie")?;
    let console = |req: reqwest::RequestBuilder| req.header("cookie", &cookie);
    let provider = json!({"config": {"openai_api_key": FAKE_API_KEY, "openai_api_base": fake_base}});
    let url = format!("{base}/console/api/workspaces/current/model-providers/openai");
    expect(console(http.post(url)).json(&provider), 201, "save the OpenAI key").await?;
    let config = json!({
        "pre_prompt": pre_prompt,
        "model": {"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {"max_tokens": 512}},
    });
    let body =
        json!({"name": "Bench", "mode": "chat", "icon": "🤖", "icon_background": "#FFEAD5", "model_config": config});
    let app = expect(console(http.post(format!("{base}/console/api/apps"))).json(&body), 201, "create the app").await?;
    let app_id = app["id"].as_str().context("app id")?.to_owned();
    let key = expect(console(http.post(format!("{base}/console/api/apps/{app_id}/api-keys"))), 201, "make an API key")
        .await?;
    let token = key["token"].as_str().context("token")?;
    Ok(ChatApp { key: format!("Bearer {token}") })
}

/// The console's `session=…` cookie a login answer set.
pub fn session_cookie(login: &reqwest::Response) -> Option<String> {
    login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("session="))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

async fn expect(req: reqwest::RequestBuilder, status: u16, what: &str) -> anyhow::Result<Value> {
    let r = req.send().await.with_context(|| what.to_owned())?;
    let got = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    // Saving a provider answers 201 in Dify; 200 is accepted too.
    if got != status && !(status == 201 && got == 200) {
        bail!("{what}: {got} {body}");
    }
    Ok(body)
}
