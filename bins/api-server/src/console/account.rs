//! `/account/*`: the signed-in user's own profile, password and initialisation.

use accounts::account::{self, ProfileEdit};
use accounts::validate;
use actix_web::{HttpRequest, HttpResponse, web};
use entities::{account_integrates, invitation_codes};
use kernel::ApiError;
use kernel::config::Edition;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::{Value, json};

use super::guard::{Console, ConsoleUninit, Credential, sessions};
use crate::args::JsonArgs;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("POST", "/console/api/account/init", "console.accountinitapi", web::to(init));
    t.add("GET", "/console/api/account/profile", "console.accountprofileapi", web::to(profile));
    t.add("POST", "/console/api/account/name", "console.accountnameapi", web::to(name));
    t.add("POST", "/console/api/account/avatar", "console.accountavatarapi", web::to(avatar));
    t.add("POST", "/console/api/account/interface-language", "console.accountinterfacelanguageapi", web::to(language));
    t.add("POST", "/console/api/account/interface-theme", "console.accountinterfacethemeapi", web::to(theme));
    t.add("POST", "/console/api/account/timezone", "console.accounttimezoneapi", web::to(timezone));
    t.add("POST", "/console/api/account/password", "console.accountpasswordapi", web::to(password));
    t.add("GET", "/console/api/account/integrates", "console.accountintegrateapi", web::to(integrates));
}

async fn profile(user: Console) -> HttpResult {
    Ok(HttpResponse::Ok().json(account::profile(&user.account)))
}

async fn apply(state: &AppState, user: &Console, edit: ProfileEdit) -> HttpResult {
    let updated = account::edit(&state.infra.db, &user.account, edit).await?;
    Ok(HttpResponse::Ok().json(account::profile(&updated)))
}

async fn name(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let v = JsonArgs::new(body)?.required_str("name")?;
    apply(&state, &user, ProfileEdit::Name(v)).await
}

async fn avatar(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let v = JsonArgs::new(body)?.required_str("avatar")?;
    apply(&state, &user, ProfileEdit::Avatar(v)).await
}

async fn language(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let v = validate::language("interface_language", &JsonArgs::new(body)?.required_str("interface_language")?)?;
    apply(&state, &user, ProfileEdit::InterfaceLanguage(v)).await
}

async fn theme(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let v = JsonArgs::new(body)?.required_str("interface_theme")?;
    if v != "light" && v != "dark" {
        return Err(ApiError::invalid_param("interface_theme", format!("{v} is not a valid choice")).into());
    }
    apply(&state, &user, ProfileEdit::InterfaceTheme(v)).await
}

async fn timezone(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let v = JsonArgs::new(body)?.required_str("timezone")?;
    apply(&state, &user, ProfileEdit::Timezone(v)).await
}

/// Changes the password and signs out every other session of the account.
async fn password(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let args = JsonArgs::new(body)?;
    let current = args.optional_str("password")?;
    let new_password = args.required_str("new_password")?;
    let repeat = args.required_str("repeat_new_password")?;
    account::change_password(&state.infra.db, &user.account, current.as_deref(), &new_password, &repeat).await?;
    let keep = match &user.credential {
        Credential::Session { sid, data } => Some((sid.as_str(), data)),
        Credential::AdminKey => None,
    };
    sessions(&state).revoke_all(user.account.id, keep).await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}

async fn integrates(req: HttpRequest, state: web::Data<AppState>, user: Console) -> HttpResult {
    let bound = account_integrates::Entity::find()
        .filter(account_integrates::Column::AccountId.eq(user.account.id))
        .all(&state.infra.db)
        .await?;
    let info = req.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    let data: Vec<Value> = ["github", "google"]
        .into_iter()
        .map(|provider| match bound.iter().find(|b| b.provider == provider) {
            Some(b) => {
                json!({"provider": provider, "created_at": unix_seconds(b.created_at), "is_bound": true, "link": null})
            }
            None => json!({
                "provider": provider,
                "created_at": null,
                "is_bound": false,
                "link": format!("{base}/console/api/oauth/login/{provider}"),
            }),
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "data": data })))
}

fn invalid_invitation_code() -> ApiError {
    ApiError::new(400, "invalid_invitation_code", "Invalid invitation code.")
}

/// Finishes an uninitialised account (CLOUD: consuming an invitation code).
async fn init(state: web::Data<AppState>, user: ConsoleUninit, body: web::Json<Value>) -> HttpResult {
    let user = user.0;
    if user.account.status == account::status::ACTIVE {
        return Err(ApiError::new(
            400,
            "account_already_inited",
            "The account has been initialized. Please refresh the page.",
        )
        .into());
    }
    let args = JsonArgs::new(body)?;
    let code = if state.config.edition == Edition::Cloud {
        Some(
            args.optional_str("invitation_code")?
                .ok_or_else(|| ApiError::value_error("invitation_code is required"))?,
        )
    } else {
        None
    };
    let language = validate::language("interface_language", &args.required_str("interface_language")?)?;
    let tz = validate::timezone("timezone", &args.required_str("timezone")?)?;

    let txn = state.infra.db.begin().await?;
    let now = now_naive();
    if let Some(code) = code {
        let row = invitation_codes::Entity::find()
            .filter(invitation_codes::Column::Code.eq(code))
            .filter(invitation_codes::Column::Status.eq("unused"))
            .one(&txn)
            .await?
            .ok_or_else(invalid_invitation_code)?;
        // Conditional update: of two accounts racing for one code, only one flips it.
        let flipped = invitation_codes::Entity::update_many()
            .col_expr(invitation_codes::Column::Status, "used".into())
            .col_expr(invitation_codes::Column::UsedAt, now.into())
            .col_expr(invitation_codes::Column::UsedByTenantId, Some(user.tenant_id()).into())
            .col_expr(invitation_codes::Column::UsedByAccountId, Some(user.account.id).into())
            .filter(invitation_codes::Column::Id.eq(row.id))
            .filter(invitation_codes::Column::Status.eq("unused"))
            .exec(&txn)
            .await?;
        if flipped.rows_affected != 1 {
            return Err(invalid_invitation_code().into());
        }
    }
    let mut row: entities::accounts::ActiveModel = user.account.clone().into();
    row.interface_language = Set(Some(language));
    row.timezone = Set(Some(tz));
    row.interface_theme = Set(Some("light".into()));
    row.status = Set(account::status::ACTIVE.into());
    row.initialized_at = Set(Some(now));
    row.updated_at = Set(now);
    row.update(&txn).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}
