//! Email and password login, with throttling of repeated failures.

use std::sync::LazyLock;
use std::time::Duration;

use entities::accounts;
use infra::cache::Cache;
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use sha2::{Digest, Sha256};

use crate::account::{self, status};

/// Failures allowed per email, and per client address, within the window.
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
pub const MAX_FAILURES_PER_IP: i64 = 20;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// One answer for unknown emails, wrong passwords and unusable accounts alike.
fn invalid() -> ApiError {
    ApiError::unauthorized_msg("Invalid email or password")
}

fn throttled() -> ApiError {
    ApiError::too_many_requests("Too many failed login attempts. Please try again later.")
}

fn email_key(email: &str) -> String {
    format!("login_failures:email:{}", hex::encode(Sha256::digest(email.to_lowercase().as_bytes())))
}

fn ip_key(ip: &str) -> String {
    format!("login_failures:ip:{ip}")
}

/// A hash to verify against when the email is unknown, so both cases cost the same time.
static DECOY: LazyLock<kernel::crypto::PasswordHash> =
    LazyLock::new(|| kernel::crypto::hash_password("decoy-password-for-timing-1"));

/// Checks credentials and returns the account, or Dify's 401 (429 while throttled).
/// A legacy Dify hash is upgraded to Argon2 on success.
#[tracing::instrument(name = "login", skip_all, fields(ip = %ip))]
pub async fn authenticate(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<accounts::Model, ApiError> {
    let (ek, ik) = (email_key(email), ip_key(ip));
    // Every attempt is counted before it is judged, with one atomic increment: however many
    // arrive at once, no more than the allowed number reach the password check in a window.
    // (Counting is best effort: a cache outage must not lock everyone out.)
    let by_email = cache.incr(&ek, 1, Some(FAILURE_WINDOW)).await.ok();
    let by_ip = cache.incr(&ik, 1, Some(FAILURE_WINDOW)).await.ok();
    if by_email.is_some_and(|n| n > MAX_FAILURES_PER_EMAIL) || by_ip.is_some_and(|n| n > MAX_FAILURES_PER_IP) {
        return Err(throttled());
    }
    let found = account::by_email(db, email).await?;
    let usable = found.filter(|a| !a.status.is_locked_out());
    let ok = match usable.as_ref().and_then(|a| Some((a.password.as_deref()?, a.password_salt.as_deref()))) {
        Some((hash, salt)) => account::verify(password, hash, salt.unwrap_or_default()).await,
        None => {
            let decoy = tokio::task::spawn_blocking(|| LazyLock::force(&DECOY).clone()).await;
            if let Ok(d) = decoy {
                let _ = account::verify(password, &d.hash, &d.salt).await;
            }
            false
        }
    };
    let Some(account) = usable.filter(|_| ok) else {
        return Err(invalid());
    };
    // A success was no failure: the email starts afresh and the address gets its attempt back.
    let _ = cache.delete(&ek).await;
    if by_ip.is_some() {
        let _ = cache.incr(&ik, -1, Some(FAILURE_WINDOW)).await;
    }

    let mut row: accounts::ActiveModel = account.clone().into();
    if account.status == status::PENDING {
        row.status = Set(status::ACTIVE);
        row.initialized_at = Set(Some(now_naive()));
    }
    if account.password.as_deref().is_some_and(kernel::crypto::needs_rehash) {
        let h = account::hash(password).await?;
        row.password = Set(Some(h.hash));
        row.password_salt = Set(Some(h.salt));
    }
    row.last_login_at = Set(Some(now_naive()));
    row.last_login_ip = Set(Some(ip.to_string()));
    Ok(row.update(db).await?)
}
