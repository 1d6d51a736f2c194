//! Web-app authentication: `Authorization: Bearer <passport>` names one end user of one app
//! whose site is still shared under the code the passport was issued for.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, web};
use entities::{apps, end_users};
use kernel::ApiError;

use crate::http_error::HttpError;
use crate::state::AppState;

/// A web-app visitor: the app their passport opens and the end user it names.
#[derive(Debug, Clone)]
pub struct WebAppUser {
    pub app: apps::Model,
    pub end_user: end_users::Model,
}

impl WebAppUser {
    /// The visitor as the owner of conversations, messages, pins and saved messages.
    pub fn caller(&self) -> conversations::Caller {
        conversations::Caller::EndUser(self.end_user.id)
    }
}

/// The passport of the request, with Dify's messages for a missing or malformed header.
fn passport(req: &HttpRequest) -> Result<&str, ApiError> {
    crate::bearer::bearer(req)?.ok_or_else(|| ApiError::unauthorized_msg("Authorization header is missing."))
}

async fn authenticate(req: HttpRequest) -> Result<WebAppUser, HttpError> {
    let state = req.app_data::<web::Data<AppState>>().cloned().ok_or_else(ApiError::internal)?;
    let token = passport(&req)?;
    let (app, end_user) =
        conversations::passport::holder(&state.hot_apps, &state.infra.db, &state.config.secret_key, token).await?;
    Ok(WebAppUser { app, end_user })
}

impl FromRequest for WebAppUser {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, HttpError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(authenticate(req))
    }
}
