//! `/account/*`: the signed-in user's own profile, password and initialisation.

use accounts::AccountError;
use accounts::account::{self, ProfileEdit};
use accounts::validate;
use actix_web::{HttpRequest, HttpResponse, web};
use kernel::ApiError;
use kernel::config::Edition;
use serde::Deserialize;
use serde_json::Value;

use super::guard::{Console, ConsoleUninit, Credential, sessions};
use crate::body::{Body, choice};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// A string checked by one of `accounts::validate`'s rules, worded as that rule words it (the
/// argument is named by the field it is read from).
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String")]
        pub(super) struct $name(pub(super) String);

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                let check: fn(&str) -> Result<String, ApiError> = $check;
                check(&value).map(Self).map_err(|e| e.message)
            }
        }
    };
}

checked_string!(
    /// An email address, as Dify's `email` type reads it.
    EmailAddress,
    |v| validate::email("email", v)
);
checked_string!(
    /// A password: 8 or more characters with a letter and a digit.
    AccountPassword,
    |v| validate::password("password", v)
);
checked_string!(
    /// An interface language the console ships (`en-US`, `zh-Hans`).
    InterfaceLanguage,
    |v| validate::language("interface_language", v)
);
checked_string!(
    /// An IANA time zone name.
    TimezoneName,
    |v| validate::timezone("timezone", v)
);
checked_string!(
    /// A name of at most 30 characters (Dify's `str_len(30)`).
    AccountName,
    |v| validate::max_len("name", v, 30)
);

/// `POST /account/name`.
#[derive(Deserialize, utoipa::ToSchema)]
struct AccountNameEdit {
    name: String,
}

/// `POST /account/avatar`.
#[derive(Deserialize, utoipa::ToSchema)]
struct AccountAvatarEdit {
    avatar: String,
}

/// `POST /account/interface-language`.
#[derive(Deserialize, utoipa::ToSchema)]
struct AccountLanguageEdit {
    interface_language: InterfaceLanguage,
}

/// `POST /account/interface-theme`.
#[derive(Deserialize, utoipa::ToSchema)]
struct AccountThemeEdit {
    #[serde(deserialize_with = "choice")]
    interface_theme: InterfaceTheme,
}

/// The console's themes.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum InterfaceTheme {
    Light,
    Dark,
}

impl InterfaceTheme {
    fn as_str(&self) -> &'static str {
        match self {
            InterfaceTheme::Light => "light",
            InterfaceTheme::Dark => "dark",
        }
    }
}

/// `POST /account/timezone`. Checked by the profile edit (a `value_error`, as in Dify).
#[derive(Deserialize, utoipa::ToSchema)]
struct AccountTimezoneEdit {
    timezone: String,
}

/// `POST /account/password`.
#[derive(Deserialize, utoipa::ToSchema)]
struct PasswordChange {
    /// The current password; an account without one may leave it out.
    password: Option<String>,
    new_password: String,
    repeat_new_password: String,
}

/// `POST /account/init`.
#[derive(Deserialize, utoipa::ToSchema)]
struct InitAccount {
    /// An unused invitation code: required on Dify Cloud, not read elsewhere.
    #[schema(value_type = Option<String>)]
    #[allow(dead_code)]
    invitation_code: Option<Value>,
    interface_language: InterfaceLanguage,
    timezone: TimezoneName,
}

/// The Cloud edition's first argument of `POST /account/init`.
#[derive(Deserialize)]
struct Invitation {
    invitation_code: Option<String>,
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(init, profile, name, avatar, language, theme, timezone, password, integrates))]
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

#[utoipa::path(get, path = "/console/api/account/profile", tag = "account", responses((status = 200, description = "The account's profile", body = accounts::account::Profile)))]
async fn profile(user: Console) -> HttpResult {
    Ok(HttpResponse::Ok().json(account::profile(&user.account)))
}

async fn apply(state: &AppState, user: &Console, edit: ProfileEdit) -> HttpResult {
    let updated = account::edit(&state.infra.db, &user.account, edit).await?;
    Ok(HttpResponse::Ok().json(account::profile(&updated)))
}

#[utoipa::path(post, path = "/console/api/account/name", tag = "account", request_body = AccountNameEdit, responses((status = 200, description = "The account's profile", body = accounts::account::Profile)))]
async fn name(state: web::Data<AppState>, user: Console, body: Body<AccountNameEdit>) -> HttpResult {
    let AccountNameEdit { name } = body.read()?;
    apply(&state, &user, ProfileEdit::Name(name)).await
}

#[utoipa::path(post, path = "/console/api/account/avatar", tag = "account", request_body = AccountAvatarEdit, responses((status = 200, description = "The account's profile", body = accounts::account::Profile)))]
async fn avatar(state: web::Data<AppState>, user: Console, body: Body<AccountAvatarEdit>) -> HttpResult {
    let AccountAvatarEdit { avatar } = body.read()?;
    apply(&state, &user, ProfileEdit::Avatar(avatar)).await
}

#[utoipa::path(post, path = "/console/api/account/interface-language", tag = "account", request_body = AccountLanguageEdit, responses((status = 200, description = "The account's profile", body = accounts::account::Profile)))]
async fn language(state: web::Data<AppState>, user: Console, body: Body<AccountLanguageEdit>) -> HttpResult {
    let AccountLanguageEdit { interface_language: InterfaceLanguage(language) } = body.read()?;
    apply(&state, &user, ProfileEdit::InterfaceLanguage(language)).await
}

#[utoipa::path(post, path = "/console/api/account/interface-theme", tag = "account", request_body = AccountThemeEdit, responses((status = 200, description = "The account's profile", body = accounts::account::Profile)))]
async fn theme(state: web::Data<AppState>, user: Console, body: Body<AccountThemeEdit>) -> HttpResult {
    let AccountThemeEdit { interface_theme } = body.read()?;
    apply(&state, &user, ProfileEdit::InterfaceTheme(interface_theme.as_str().into())).await
}

#[utoipa::path(post, path = "/console/api/account/timezone", tag = "account", request_body = AccountTimezoneEdit, responses((status = 200, description = "The account's profile", body = accounts::account::Profile)))]
async fn timezone(state: web::Data<AppState>, user: Console, body: Body<AccountTimezoneEdit>) -> HttpResult {
    let AccountTimezoneEdit { timezone } = body.read()?;
    apply(&state, &user, ProfileEdit::Timezone(timezone)).await
}

/// Changes the password and signs out every other session of the account.
#[utoipa::path(post, path = "/console/api/account/password", tag = "account", request_body = PasswordChange, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn password(state: web::Data<AppState>, user: Console, body: Body<PasswordChange>) -> HttpResult {
    let PasswordChange { password: current, new_password, repeat_new_password: repeat } = body.read()?;
    account::change_password(&state.infra.db, &user.account, current.as_deref(), &new_password, &repeat).await?;
    let keep = match &user.credential {
        Credential::Session { sid, data } => Some((sid.as_str(), data)),
        Credential::AdminKey => None,
    };
    sessions(&state).revoke_all(user.account.id, keep).await?;
    Ok(crate::answers::success())
}

#[utoipa::path(get, path = "/console/api/account/integrates", tag = "account", responses((status = 200, description = "The account's GitHub and Google bindings", body = accounts::account::Integrations)))]
async fn integrates(req: HttpRequest, state: web::Data<AppState>, user: Console) -> HttpResult {
    let base = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let data = account::integrations(&state.infra.db, user.account.id, &base).await?;
    Ok(HttpResponse::Ok().json(account::Integrations { data }))
}

/// Finishes an uninitialised account (CLOUD: consuming an invitation code). As in Dify, an
/// account already initialised is refused before any argument is read.
#[utoipa::path(post, path = "/console/api/account/init", tag = "account", request_body = InitAccount, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn init(state: web::Data<AppState>, user: ConsoleUninit, body: Body<InitAccount>) -> HttpResult {
    let user = user.0;
    if user.account.status == account::status::ACTIVE {
        return Err(AccountError::AlreadyInitialized.into());
    }
    let code = if state.config.edition == Edition::Cloud {
        let Invitation { invitation_code } = body.read_as()?;
        Some(invitation_code.ok_or_else(|| ApiError::value_error("invitation_code is required"))?)
    } else {
        None
    };
    let InitAccount { interface_language: InterfaceLanguage(language), timezone: TimezoneName(tz), .. } =
        body.read()?;
    account::initialize(&state.infra.db, &user.account, user.tenant_id(), code.as_deref(), language, tz).await?;
    Ok(crate::answers::success())
}
