//! `ApiError`: every failure a client can see, rendered as Dify's `{"code","message","status"}`.

use std::borrow::Cow;

use serde::Serialize;

/// An error with Dify's stable machine code, its message and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: String,
    /// The offending argument, for reqparse-style validation errors.
    pub params: Option<String>,
}

/// The JSON body of an error response.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub code: &'a str,
    pub message: &'a str,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: u16, code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self { status, code: code.into(), message: message.into(), params: None }
    }

    /// 400 `invalid_param` naming the argument, as Flask-RESTful's reqparse answers.
    pub fn invalid_param(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self { params: Some(param.into()), ..Self::new(400, "invalid_param", message) }
    }

    /// 400 `invalid_param` without a named argument (Dify's `ValueError` path).
    pub fn value_error(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_param", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }

    /// 401 as Flask-Login's `login_required` answers.
    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "Unauthorized.")
    }

    pub fn unauthorized_msg(message: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", message)
    }

    /// 403 with Werkzeug's default text.
    pub fn forbidden() -> Self {
        Self::new(
            403,
            "forbidden",
            "You don't have the permission to access the requested resource. It is either read-protected or not readable by the server.",
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    /// 404 for a path no route matches, with Werkzeug's default text.
    pub fn route_not_found() -> Self {
        Self::not_found(
            "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(405, "method_not_allowed", "The method is not allowed for the requested URL.")
    }

    pub fn conflict(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(413, "request_entity_too_large", message)
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(415, "unsupported_media_type", message)
    }

    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self::new(429, "too_many_requests", message)
    }

    /// 500 without details: the cause goes to the log, never to the client.
    pub fn internal() -> Self {
        Self::new(500, "internal_server_error", "Internal Server Error")
    }

    /// [`ApiError::internal`] for `cause`, which is logged (`what` says what failed) so the
    /// 500 can be traced; the client still sees no detail.
    pub fn internal_because(what: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{what}");
        Self::internal()
    }

    /// 501 for a contract route dify-rs does not implement yet.
    pub fn not_implemented(endpoint: &str) -> Self {
        Self::new(501, "not_implemented", format!("'{endpoint}' is not implemented by dify-rs yet."))
    }

    /// 503 when a backing service (database, cache, broker) cannot be reached.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(503, "service_unavailable", message)
    }

    /// A refusal of the request (4xx), as opposed to a failure of the server.
    pub fn is_refusal(&self) -> bool {
        (400..500).contains(&self.status)
    }

    /// A unique index decided a race against this write (see the `DbErr` conversion).
    pub fn is_conflict(&self) -> bool {
        self.status == 409
    }

    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody { code: &self.code, message: &self.message, status: self.status, params: self.params.as_deref() }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        use sea_orm::DbErr;
        if let Some((field, message)) = crate::values::as_refused(&e) {
            return Self::invalid_param(field, format!("{field} {message}"));
        }
        // A unique index decided a race: the loser is told, never a 500.
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) = e.sql_err() {
            tracing::info!(%detail, "a unique index refused a write");
            return Self::conflict("conflict", "It already exists.");
        }
        if let Some(message) = crate::values::postgres_refusal(&e) {
            tracing::info!(error = %e, "PostgreSQL refused a value");
            return Self::value_error(message);
        }
        match e {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
                tracing::error!(error = %e, "database unavailable");
                Self::unavailable("The database is unavailable, please try again later.")
            }
            DbErr::RecordNotFound(msg) => Self::not_found(msg),
            other => {
                tracing::error!(error = %other, "database error");
                Self::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_dify_shape() {
        let e = ApiError::not_found("App not found");
        let json = serde_json::to_value(e.body()).expect("serialise");
        assert_eq!(json, serde_json::json!({"code":"not_found","message":"App not found","status":404}));
        let e = ApiError::invalid_param("email", "Missing required parameter in the JSON body");
        let json = serde_json::to_value(e.body()).expect("serialise");
        assert_eq!(json["params"], "email");
    }
}
