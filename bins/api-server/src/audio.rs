//! Reading the `file` part of an audio-to-text upload, checked as Dify checks it: present,
//! of an audio type it accepts, and at most 15 MB (the size counted on the bytes received).

use crate::error_table::Refusal;
use actix_multipart::Multipart;
use bytes::{Bytes, BytesMut};
use conversations::audio::{AUDIO_TYPES, MAX_AUDIO_BYTES};
use futures::StreamExt;

/// The uploaded audio and its MIME type.
pub async fn read_audio(mut form: Multipart) -> Result<(Bytes, String), Refusal> {
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| Refusal::NoAudioUploaded)?;
        if field.name() != Some("file") {
            continue;
        }
        let mime = field.content_type().map(|m| m.essence_str().to_owned()).unwrap_or_default();
        if !AUDIO_TYPES.contains(&mime.as_str()) {
            return Err(Refusal::UnsupportedAudioType);
        }
        let mut data = BytesMut::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| Refusal::NoAudioUploaded)?;
            if data.len() + chunk.len() > MAX_AUDIO_BYTES {
                return Err(Refusal::AudioTooLarge);
            }
            data.extend_from_slice(&chunk);
        }
        if data.is_empty() {
            return Err(Refusal::NoAudioUploaded);
        }
        return Ok((data.freeze(), mime));
    }
    Err(Refusal::NoAudioUploaded)
}

/// Dify's refusal when the app has speech to text turned off.
pub fn disabled() -> Refusal {
    Refusal::AppUnavailable
}

/// Audio-to-text for a web, installed-app or service-API caller: the app must have speech to
/// text turned on.
pub async fn transcribe_for(
    state: &crate::state::AppState,
    app: &entities::apps::Model,
    form: Multipart,
) -> crate::http_error::HttpResult {
    let config = conversations::generate::current_config(&state.engine, app).await?;
    if !conversations::config::AppConfig::from_row(&config).enabled("speech_to_text") {
        return Err(disabled().into());
    }
    let (audio, mime) = read_audio(form).await?;
    let text = conversations::audio::transcribe(&state.engine, app.tenant_id, audio, &mime).await?;
    Ok(actix_web::HttpResponse::Ok().json(serde_json::json!({"text": text})))
}
