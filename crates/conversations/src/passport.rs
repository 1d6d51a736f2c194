//! Web-app passports: a visitor trades a site's share code for a token naming a new anonymous
//! end user of that app (Dify's `PassportResource`), and each request's token is checked
//! back to the app, its live share code and the end user.

use ::apps::hot::HotApps;
use entities::end_users::EndUserType;
use entities::kinds::RowStatus;
use entities::{apps, end_users, sites};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kernel::ApiError;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ConversationError;

/// Dify's passport claims (no expiry, as in Dify 0.3.23).
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    #[serde(default)]
    iss: String,
    #[serde(default)]
    sub: String,
    app_id: String,
    app_code: String,
    end_user_id: String,
}

fn no_such_site() -> ConversationError {
    ApiError::route_not_found().into()
}

/// A passport for a new anonymous visitor of the site shared under `code`.
pub async fn issue(db: &DatabaseConnection, secret: &str, code: &str) -> Result<String, ConversationError> {
    let site = sites::Entity::find()
        .filter(sites::Column::Code.eq(code))
        .filter(sites::Column::Status.eq(RowStatus::Normal))
        .one(db)
        .await?
        .ok_or_else(no_such_site)?;
    let app = apps::Entity::find_by_id(site.app_id)
        .one(db)
        .await?
        .filter(|a| a.status == RowStatus::Normal && a.enable_site)
        .ok_or_else(no_such_site)?;
    let end_user = crate::end_user::create(db, &app, EndUserType::Browser, &Uuid::new_v4().to_string()).await?;
    let claims = Claims {
        iss: app.id.to_string(),
        sub: "Web API Passport".into(),
        app_id: app.id.to_string(),
        app_code: code.to_owned(),
        end_user_id: end_user.id.to_string(),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
        .map_err(|e| ApiError::internal_because("cannot sign a passport", e).into())
}

/// Checks the signature only: passports carry no expiry (Dify 0.3.23).
fn verify(token: &str, secret: &str) -> Result<Claims, ConversationError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation)
        .map(|d| d.claims)
        .map_err(|e| {
            ConversationError::InvalidPassport(match e.kind() {
                ErrorKind::InvalidSignature => "Invalid token signature.",
                _ => "Invalid token.",
            })
        })
}

/// The app and end user a passport names. It stays good only while its code is the app's live
/// share code: resetting the code (or disabling the site row) signs every visitor of the old
/// link out. Dify re-checked only the app here.
pub async fn holder(
    hot: &HotApps,
    db: &DatabaseConnection,
    secret: &str,
    token: &str,
) -> Result<(apps::Model, end_users::Model), ConversationError> {
    let claims = verify(token, secret)?;
    let parse = |s: &str| s.parse::<Uuid>().map_err(|_| ConversationError::InvalidPassport("Invalid token."));
    let (app_id, end_user_id) = (parse(&claims.app_id)?, parse(&claims.end_user_id)?);
    // The app and whether the passport's code is its live site, kept while apps are unchanged.
    let load = async {
        let Some(app) = apps::Entity::find_by_id(app_id).one(db).await?.filter(|a| a.status == RowStatus::Normal)
        else {
            return Ok::<_, sea_orm::DbErr>(None);
        };
        let site_live = sites::Entity::find()
            .filter(sites::Column::AppId.eq(app.id))
            .filter(sites::Column::Code.eq(claims.app_code.as_str()))
            .filter(sites::Column::Status.eq(RowStatus::Normal))
            .one(db)
            .await?
            .is_some();
        Ok(Some((app, site_live)))
    };
    let (app, site_live) =
        hot.site(app_id, &claims.app_code, hot.seen().await, load).await?.ok_or_else(no_such_site)?;
    if !site_live {
        return Err(ConversationError::InvalidPassport("Site URL is no longer valid."));
    }
    if !app.enable_site {
        return Err(ConversationError::InvalidPassport("Site is disabled."));
    }
    let end_user = match hot.visitor(end_user_id) {
        Some(kept) => kept,
        None => {
            let found = end_users::Entity::find_by_id(end_user_id).one(db).await?.ok_or_else(no_such_site)?;
            hot.keep_visitor(&found);
            found
        }
    };
    if end_user.app_id != Some(app.id) {
        return Err(no_such_site());
    }
    Ok((app, end_user))
}
