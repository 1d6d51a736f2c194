//! Console sessions, shared by every api-server replica through the cache.
//!
//! One login makes one session record. The browser carries its id in an HttpOnly cookie
//! (Dify 0.3.23's console); newer consoles carry a signed token naming the same session
//! (Dify 0.3.24's JWT). Logout deletes the record, which ends both; a password change
//! revokes every session issued before it.

use std::time::Duration;

use infra::cache::Cache;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use kernel::ApiError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a session lives: Flask's permanent session lifetime, or the remember-me cookie's.
pub const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
pub const REMEMBER_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Dify's console JWT lifetime.
pub const TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

const TOKEN_SUBJECT: &str = "Console API Passport";

/// What a session remembers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionData {
    pub account_id: Uuid,
    pub workspace_id: Option<Uuid>,
    /// Milliseconds since the epoch; sessions older than the account's revocation are void.
    pub issued_at_ms: i64,
    pub remember: bool,
}

/// Claims of the console token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub user_id: Uuid,
    /// The session this token stands for.
    pub sid: String,
    pub exp: i64,
    pub iss: String,
    pub sub: String,
}

/// Session operations over the cache.
pub struct Sessions<'a> {
    cache: &'a dyn Cache,
    secret: &'a str,
    edition: &'a str,
}

fn session_key(sid: &str) -> String {
    format!("console_session:{sid}")
}

fn revoked_key(account_id: Uuid) -> String {
    format!("console_sessions_revoked_before:{account_id}")
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn cache_err(e: infra::InfraError) -> ApiError {
    tracing::error!(error = %e, "session store unavailable");
    ApiError::unavailable("The session store is unavailable, please try again later.")
}

impl<'a> Sessions<'a> {
    pub fn new(cache: &'a dyn Cache, secret: &'a str, edition: &'a str) -> Self {
        Self { cache, secret, edition }
    }

    /// Opens a session and returns its id (256 random bits, hex).
    pub async fn create(
        &self,
        account_id: Uuid,
        workspace_id: Option<Uuid>,
        remember: bool,
    ) -> Result<String, ApiError> {
        let sid = hex::encode(rand::random::<[u8; 32]>());
        let data = SessionData { account_id, workspace_id, issued_at_ms: now_ms(), remember };
        self.store(&sid, &data).await?;
        Ok(sid)
    }

    async fn store(&self, sid: &str, data: &SessionData) -> Result<(), ApiError> {
        let ttl = if data.remember { REMEMBER_TTL } else { SESSION_TTL };
        let bytes = serde_json::to_vec(data).map_err(|e| ApiError::internal_because("cannot encode a session", e))?;
        self.cache.set(&session_key(sid), &bytes, Some(ttl)).await.map_err(cache_err)
    }

    /// The live session `sid`, or None when it ended, expired or was revoked.
    pub async fn get(&self, sid: &str) -> Result<Option<SessionData>, ApiError> {
        if sid.len() != 64 || !sid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Some(bytes) = self.cache.get(&session_key(sid)).await.map_err(cache_err)? else { return Ok(None) };
        let Ok(data) = serde_json::from_slice::<SessionData>(&bytes) else { return Ok(None) };
        if let Some(raw) = self.cache.get(&revoked_key(data.account_id)).await.map_err(cache_err)?
            && let Some(before) = std::str::from_utf8(&raw).ok().and_then(|s| s.parse::<i64>().ok())
            && data.issued_at_ms <= before
        {
            return Ok(None);
        }
        Ok(Some(data))
    }

    /// Remembers the workspace the session acts in.
    pub async fn set_workspace(&self, sid: &str, data: &SessionData, workspace_id: Uuid) -> Result<(), ApiError> {
        let data = SessionData { workspace_id: Some(workspace_id), ..data.clone() };
        self.store(sid, &data).await
    }

    /// Ends one session (logout).
    pub async fn delete(&self, sid: &str) -> Result<(), ApiError> {
        self.cache.delete(&session_key(sid)).await.map_err(cache_err)?;
        Ok(())
    }

    /// Voids every session of the account issued until now, then renews `keep` (the session
    /// that asked, e.g. the one changing the password) so it stays signed in.
    pub async fn revoke_all(&self, account_id: Uuid, keep: Option<(&str, &SessionData)>) -> Result<(), ApiError> {
        let cutoff = now_ms();
        self.cache
            .set(&revoked_key(account_id), cutoff.to_string().as_bytes(), Some(REMEMBER_TTL))
            .await
            .map_err(cache_err)?;
        if let Some((sid, data)) = keep {
            self.store(sid, &SessionData { issued_at_ms: cutoff + 1, ..data.clone() }).await?;
        }
        Ok(())
    }

    /// A signed console token (HS256 with SECRET_KEY) for session `sid`.
    pub fn issue_token(&self, account_id: Uuid, sid: &str) -> Result<String, ApiError> {
        let claims = Claims {
            user_id: account_id,
            sid: sid.to_string(),
            exp: chrono::Utc::now().timestamp() + TOKEN_TTL.as_secs() as i64,
            iss: self.edition.to_string(),
            sub: TOKEN_SUBJECT.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(self.secret.as_bytes()))
            .map_err(|e| {
                tracing::error!(error = %e, "cannot sign console token");
                ApiError::internal()
            })
    }

    /// Checks a console token's signature and expiry; errors carry Dify's messages.
    pub fn decode_token(&self, token: &str) -> Result<Claims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[self.edition]);
        validation.sub = Some(TOKEN_SUBJECT.to_string());
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(self.secret.as_bytes()), &validation)
            .map(|d| d.claims)
            .map_err(|e| {
                let msg = match e.kind() {
                    ErrorKind::ExpiredSignature => "Token has expired.",
                    ErrorKind::InvalidSignature => "Invalid token signature.",
                    _ => "Invalid token.",
                };
                ApiError::unauthorized_msg(msg)
            })
    }
}

#[cfg(test)]
mod tests {
    use infra::cache::MemoryCache;

    use super::*;

    #[tokio::test]
    async fn tokens_round_trip_and_reject_forgeries() {
        let cache = MemoryCache::new();
        let s = Sessions::new(&cache, "secret", "SELF_HOSTED");
        let id = Uuid::new_v4();
        let token = s.issue_token(id, "sid").expect("token");
        let claims = s.decode_token(&token).expect("valid");
        assert_eq!((claims.user_id, claims.sid.as_str()), (id, "sid"));
        let other = Sessions::new(&cache, "other-secret", "SELF_HOSTED");
        assert_eq!(other.decode_token(&token).expect_err("forged").message, "Invalid token signature.");
        assert_eq!(s.decode_token("garbage").expect_err("garbage").message, "Invalid token.");
    }

    #[tokio::test]
    async fn revocation_voids_older_sessions_but_keeps_the_renewed_one() {
        let cache = MemoryCache::new();
        let s = Sessions::new(&cache, "secret", "SELF_HOSTED");
        let id = Uuid::new_v4();
        let a = s.create(id, None, false).await.expect("a");
        let b = s.create(id, None, true).await.expect("b");
        let b_data = s.get(&b).await.expect("get").expect("live");
        s.revoke_all(id, Some((&b, &b_data))).await.expect("revoke");
        assert!(s.get(&a).await.expect("get").is_none());
        assert!(s.get(&b).await.expect("get").is_some());
        s.delete(&b).await.expect("logout");
        assert!(s.get(&b).await.expect("get").is_none());
        assert!(s.get("not-hex").await.expect("get").is_none());
    }
}
