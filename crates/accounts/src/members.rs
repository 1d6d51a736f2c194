//! Workspace members: listing, invitations, removal and role changes, with Dify's rules:
//! owners and admins invite; only the owner removes or changes roles; nobody acts on
//! themselves; there is always exactly one owner.

use entities::{accounts, tenant_account_joins as joins, tenants};
use infra::cache::Cache;
use infra::outbox::Outbox;
use kernel::ApiError;

use crate::AccountError;
use kernel::jobs::Job;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use uuid::Uuid;

use crate::account::{NewAccount, status};
use crate::role::TenantRole;

/// Dify's member list: `{accounts:[{id,name,avatar,email,last_login_at,created_at,role,status}]}`.
pub async fn list(db: &DatabaseConnection, tenant_id: Uuid) -> Result<Members, ApiError> {
    let joins = joins::Entity::find()
        .filter(joins::Column::TenantId.eq(tenant_id))
        .order_by_asc(joins::Column::CreatedAt)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = joins.iter().map(|j| j.account_id).collect();
    let accounts = accounts::Entity::find().filter(accounts::Column::Id.is_in(ids)).all(db).await?;
    let rows = joins
        .iter()
        .filter_map(|j| {
            let a = accounts.iter().find(|a| a.id == j.account_id)?;
            Some(Member {
                id: a.id,
                name: a.name.clone(),
                avatar: a.avatar.clone(),
                email: a.email.clone(),
                last_login_at: a.last_login_at.map(unix_seconds),
                created_at: unix_seconds(a.created_at),
                role: j.role,
                status: a.status,
            })
        })
        .collect();
    Ok(Members { accounts: rows })
}

/// Dify's `account_with_role_fields`: a member of the workspace.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Member {
    pub id: Uuid,
    pub name: String,
    pub avatar: Option<String>,
    pub email: String,
    /// Unix seconds.
    pub last_login_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    pub role: TenantRole,
    pub status: entities::accounts::AccountStatus,
}

/// `GET /workspaces/current/members`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Members {
    pub accounts: Vec<Member>,
}

/// One email's outcome: `success` with the activation link, or `failed` with the reason.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InvitationResult {
    pub status: &'static str,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Who is inviting, and where the links point.
#[derive(Debug)]
pub struct Inviter<'a> {
    pub account: &'a accounts::Model,
    pub tenant: &'a tenants::Model,
    pub role: TenantRole,
    pub console_web_url: &'a str,
}

/// Parses a role a member may be given by invitation (`admin` or `normal`).
pub fn invitable_role(role: &str) -> Result<TenantRole, AccountError> {
    match role.parse() {
        Ok(r @ (TenantRole::Admin | TenantRole::Normal)) => Ok(r),
        _ => Err(AccountError::InvalidRole),
    }
}

/// Invites each email; returns Dify's `invitation_results` (one success or failure per email).
pub async fn invite(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    outbox: &Outbox,
    inviter: &Inviter<'_>,
    emails: &[String],
    role: TenantRole,
) -> Result<Vec<InvitationResult>, AccountError> {
    if !inviter.role.is_manager() {
        return Err(AccountError::NoPermission("No permission to add member."));
    }
    let mut results = Vec::with_capacity(emails.len());
    for email in emails {
        let result = match invite_one(db, cache, outbox, inviter, email, role).await {
            Ok(url) => InvitationResult { status: "success", email: email.clone(), url: Some(url), message: None },
            Err(e) if e.is_refusal() => {
                InvitationResult { status: "failed", email: email.clone(), url: None, message: Some(e.message) }
            }
            Err(e) => return Err(e.into()),
        };
        results.push(result);
    }
    Ok(results)
}

async fn invite_one(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    outbox: &Outbox,
    inviter: &Inviter<'_>,
    email: &str,
    role: TenantRole,
) -> Result<String, ApiError> {
    let email = crate::validate::email("emails", email)?;
    // Another workspace's invitation may create the account between our look and our insert:
    // the unique index refuses ours (409) and the second try finds theirs.
    match invite_once(db, cache, outbox, inviter, &email, role).await {
        Err(e) if e.is_conflict() => invite_once(db, cache, outbox, inviter, &email, role).await,
        other => other,
    }
}

async fn invite_once(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    outbox: &Outbox,
    inviter: &Inviter<'_>,
    email: &str,
    role: TenantRole,
) -> Result<String, ApiError> {
    let email = email.to_owned();
    let txn = db.begin().await?;
    // The workspace row's write lock first: invitations to one workspace go in turn
    // (PostgreSQL's row lock; on SQLite the write lock up front, so a later insert waits
    // instead of failing as busy).
    tenants::Entity::update_many()
        .col_expr(tenants::Column::UpdatedAt, Expr::col(tenants::Column::UpdatedAt))
        .filter(tenants::Column::Id.eq(inviter.tenant.id))
        .exec(&txn)
        .await?;
    let account = match crate::account::by_email(&txn, &email).await? {
        Some(a) => {
            let joined = joins::Entity::find()
                .filter(joins::Column::TenantId.eq(inviter.tenant.id))
                .filter(joins::Column::AccountId.eq(a.id))
                .count(&txn)
                .await?;
            if joined > 0 {
                return Err(ApiError::value_error("Account already in tenant."));
            }
            a
        }
        None => {
            let name = email.split('@').next().unwrap_or(&email).to_string();
            NewAccount {
                email: &email,
                name: &name,
                password: None,
                interface_language: "en-US",
                status: status::PENDING,
                initialized: false,
            }
            .insert(&txn)
            .await?
        }
    };
    crate::tenant::add_member(&txn, inviter.tenant.id, account.id, role, Some(inviter.account.id)).await?;
    // The mail is written with the membership, so it is sent however the queue fares. A
    // token whose transaction then fails names a membership that does not exist: useless.
    let token = crate::invitation::issue(cache, &account, inviter.tenant.id).await?;
    let base = inviter.console_web_url.trim_end_matches('/');
    let mail = Job::SendMail {
        to: email.clone(),
        subject: format!("{} invited you to join {}", inviter.account.name, inviter.tenant.name),
        html: invitation_html(&inviter.account.name, &inviter.tenant.name, &format!("{base}/activate?token={token}")),
    };
    let mail = Outbox::stage(&txn, &mail).await?;
    txn.commit().await?;
    outbox.send([mail]).await;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("email", &email)
        .append_pair("token", &token)
        .finish();
    Ok(format!("{base}/activate?{query}"))
}

fn invitation_html(inviter: &str, workspace: &str, link: &str) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    format!(
        "<p>Dear {{user}},</p><p>{} invited you to join the workspace <strong>{}</strong> on Dify.</p>\
         <p><a href=\"{}\">Accept the invitation</a> (the link works for one hour).</p><p>The Dify Team</p>",
        esc(inviter),
        esc(workspace),
        esc(link)
    )
    .replace("{user}", "there")
}

async fn member_join(
    db: &impl sea_orm::ConnectionTrait,
    tenant_id: Uuid,
    account_id: Uuid,
) -> Result<joins::Model, AccountError> {
    joins::Entity::find()
        .filter(joins::Column::TenantId.eq(tenant_id))
        .filter(joins::Column::AccountId.eq(account_id))
        .one(db)
        .await?
        .ok_or(AccountError::MemberNotFound)
}

/// Removes a member (owner only). An account left in no workspace is reset to pending, as
/// Dify resets removed members; one that still belongs elsewhere keeps its password.
pub async fn remove(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    operator: &accounts::Model,
    operator_role: TenantRole,
    member_id: Uuid,
) -> Result<(), AccountError> {
    if operator.id == member_id {
        return Err(AccountError::CannotOperateSelf);
    }
    if operator_role != TenantRole::Owner {
        return Err(AccountError::NoPermission("No permission to remove member."));
    }
    // Parallel changes to one workspace's members take turns, so of parallel removals of one
    // member one finds it and the others find it gone (on SQLite a read-first transaction
    // that then writes would fail as busy instead of waiting).
    let txn = infra::db::begin_critical(db, &format!("members/{tenant_id}"), "tenant_account_joins").await?;
    let join = member_join(&txn, tenant_id, member_id).await?;
    joins::Entity::delete_by_id(join.id).exec(&txn).await?;
    let elsewhere = joins::Entity::find().filter(joins::Column::AccountId.eq(member_id)).count(&txn).await?;
    if elsewhere == 0 {
        accounts::ActiveModel {
            id: Set(member_id),
            status: Set(status::PENDING),
            password: Set(None),
            password_salt: Set(None),
            initialized_at: Set(None),
            updated_at: Set(now_naive()),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Changes a member's role (owner only). Making someone owner demotes the current owner to admin.
pub async fn update_role(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    operator: &accounts::Model,
    operator_role: TenantRole,
    member_id: Uuid,
    new_role: &str,
) -> Result<(), AccountError> {
    let new_role: TenantRole = new_role.parse().map_err(|_| AccountError::InvalidRole)?;
    if operator.id == member_id {
        return Err(ApiError::value_error("Cannot operate self.").into());
    }
    if operator_role != TenantRole::Owner {
        return Err(AccountError::NoPermission("No permission to update member."));
    }
    let txn = infra::db::begin_critical(db, &format!("members/{tenant_id}"), "tenant_account_joins").await?;
    let target = member_join(&txn, tenant_id, member_id).await?;
    if target.role == new_role {
        return Err(ApiError::value_error("The provided role is already assigned to the member.").into());
    }
    if new_role == TenantRole::Owner {
        let owners = joins::Entity::find()
            .filter(joins::Column::TenantId.eq(tenant_id))
            .filter(joins::Column::Role.eq(TenantRole::Owner))
            .all(&txn)
            .await?;
        for o in owners {
            let mut o: joins::ActiveModel = o.into();
            o.role = Set(TenantRole::Admin);
            o.updated_at = Set(now_naive());
            o.update(&txn).await?;
        }
    }
    let mut t: joins::ActiveModel = target.into();
    t.role = Set(new_role);
    t.updated_at = Set(now_naive());
    t.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}
