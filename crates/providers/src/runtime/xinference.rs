//! What Dify derived from a Xinference server when a model was saved: the model's format and how
//! to call it (`model_handle_type`), stored next to `server_url` and `model_uid`.

use serde::Deserialize;

use super::errors::{body_message, from_reqwest, from_status};
use super::openai_compat::check_url;
use super::{Credentials, within};
use crate::ProviderError;

const LABEL: &str = "Xinference: ";

#[derive(Debug, Deserialize)]
struct ModelDescription {
    #[serde(default)]
    model_format: Option<String>,
    #[serde(default)]
    model_name: String,
    #[serde(default)]
    model_ability: Vec<String>,
}

/// Asks the server about `model_uid` (`GET {server_url}/v1/models/{uid}`) and returns the extra
/// credentials Dify stored for text-generation models: `model_format` and `model_handle_type`
/// (`chatglm` for ggmlv3 chatglm models, else `generate` if the model can, else `chat`).
pub async fn xinference_model_info(
    http: &reqwest::Client,
    server_url: &str,
    model_uid: &str,
) -> Result<Credentials, ProviderError> {
    let mut url = url::Url::parse(server_url.trim().trim_end_matches('/'))
        .map_err(|_| ProviderError::BadRequest(format!("Invalid server URL: {server_url}")))?;
    check_url(url.as_str())?;
    url.path_segments_mut()
        .map_err(|()| ProviderError::BadRequest(format!("Invalid server URL: {server_url}")))?
        .pop_if_empty()
        .extend(["v1", "models", model_uid]);
    let description = within(super::VALIDATION_TIMEOUT, async {
        let response = http.get(url).send().await.map_err(|e| from_reqwest(LABEL, &e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| from_reqwest(LABEL, &e))?;
        if !status.is_success() {
            let detail = body_message(&body);
            return Err(from_status(status.as_u16(), format!("Failed to get the model description, detail: {detail}")));
        }
        serde_json::from_str::<ModelDescription>(&body)
            .map_err(|e| ProviderError::Other(format!("{LABEL}unexpected model description: {e}")))
    })
    .await?;
    let format = description.model_format.unwrap_or_default();
    let handle = if format == "ggmlv3" && description.model_name.contains("chatglm") {
        "chatglm"
    } else if description.model_ability.iter().any(|a| a == "generate") {
        "generate"
    } else if description.model_ability.iter().any(|a| a == "chat") {
        "chat"
    } else {
        return Err(ProviderError::ModelNotSupported("Model handle type not supported.".into()));
    };
    let mut extra = Credentials::new();
    extra.insert("model_format".into(), format.into());
    extra.insert("model_handle_type".into(), handle.into());
    Ok(extra)
}
