//! Speech to text for the chat input's microphone: the workspace's default speech2text model.

use crate::ConversationError;
use bytes::Bytes;
use providers::ModelType;
use providers::runtime::ModelRef;
use uuid::Uuid;

use crate::engine::Engine;

/// Largest audio accepted, as in Dify.
pub const MAX_AUDIO_BYTES: usize = 15 * 1024 * 1024;
/// The audio MIME types Dify accepts.
pub const AUDIO_TYPES: [&str; 7] =
    ["audio/mp3", "audio/mp4", "audio/mpeg", "audio/mpga", "audio/m4a", "audio/wav", "audio/webm"];

/// The text of an audio file, transcribed by the workspace's default speech2text model.
pub async fn transcribe(
    engine: &Engine,
    tenant_id: Uuid,
    audio: Bytes,
    mime: &str,
) -> Result<String, ConversationError> {
    let default =
        providers::store::usable_default_model(&engine.db, &engine.hosting, tenant_id, ModelType::Speech2Text)
            .await?
            .ok_or(ConversationError::NoSpeechModel)?;
    let provider = default.model_provider.provider_name;
    let credentials = providers::store::get_credentials(
        &engine.db,
        engine.storage.as_ref(),
        &engine.credentials,
        &engine.hosting,
        tenant_id,
        &provider,
        &default.model_name,
        ModelType::Speech2Text,
    )
    .await?
    .credentials;
    let model = ModelRef::new(provider, default.model_name, credentials);
    // The vendor reads the format from the file name's extension.
    let extension = mime.rsplit('/').next().unwrap_or("mp3");
    let text = providers::runtime::transcribe(&engine.http, &model, audio, &format!("audio.{extension}")).await?;
    Ok(text)
}
