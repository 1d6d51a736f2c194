//! The small answers many routes share, as structs so their schemas are documented once.

use actix_web::HttpResponse;
use serde::Serialize;

/// Dify's `{"result": "success"}`.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Success {
    /// Always `success`.
    pub result: &'static str,
}

pub const SUCCESS: Success = Success { result: "success" };

/// `200 {"result": "success"}`.
pub fn success() -> HttpResponse {
    HttpResponse::Ok().json(SUCCESS)
}

/// A credentials check: `{"result": "success"}`, or `{"result": "error", "error": ...}`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Checked {
    /// `success` or `error`.
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Checked {
    pub fn of(outcome: Result<(), String>) -> Self {
        match outcome {
            Ok(()) => Checked { result: "success", error: None },
            Err(error) => Checked { result: "error", error: Some(error) },
        }
    }
}

/// `{"result": "success", "message": ...}`.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct SuccessMessage {
    pub result: &'static str,
    pub message: &'static str,
}

impl SuccessMessage {
    pub const fn new(message: &'static str) -> Self {
        Self { result: "success", message }
    }
}

/// `{"message": ...}`.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Message {
    pub message: &'static str,
}

/// `{"data": [...]}`: the suggested questions after an answer, and other plain lists.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Data<T> {
    pub data: Vec<T>,
}

/// `{"text": ...}`: a transcription.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Text {
    pub text: String,
}

/// `{"count": n}`.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Count {
    pub count: u64,
}

/// `{"introduction": ...}`: an opening statement written by the model.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Introduction {
    pub introduction: String,
}

/// A segment import job and where it is.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportJob {
    pub job_id: uuid::Uuid,
    /// `waiting`, `processing`, `completed` or `error`.
    pub job_status: String,
}

/// `{"access_token": ...}`: a web-app passport.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccessToken {
    pub access_token: String,
}

/// `{"id": ...}`: what was created.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct CreatedId {
    pub id: uuid::Uuid,
}

/// `GET /files/upload`: the upload limits.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct UploadLimits {
    /// Megabytes.
    pub file_size_limit: u64,
    pub batch_count_limit: u64,
}
