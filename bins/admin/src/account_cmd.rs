//! `reset-password` and `reset-email`: an operator's repairs to one account.

use accounts::account;
use accounts::session::Sessions;
use anyhow::{Context, anyhow, bail};
use clap::Args;
use entities::accounts as account_rows;
use kernel::Config;
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, Set};

use crate::prompt;

#[derive(Args, Debug)]
pub struct ResetPasswordArgs {
    /// The email address of the account whose password you need to reset.
    #[arg(long)]
    email: Option<String>,
    /// The new password.
    #[arg(long)]
    new_password: Option<String>,
    /// The new password again, to confirm it.
    #[arg(long)]
    password_confirm: Option<String>,
}

#[derive(Args, Debug)]
pub struct ResetEmailArgs {
    /// The current email address of the account whose email you need to reset.
    #[arg(long)]
    email: Option<String>,
    /// The new email address.
    #[arg(long)]
    new_email: Option<String>,
    /// The new email address again, to confirm it.
    #[arg(long)]
    email_confirm: Option<String>,
}

fn not_exist(email: &str) -> anyhow::Error {
    anyhow!("sorry. the account: [{email}] not exist .")
}

/// Sets a new password and signs the account out of every console session.
pub async fn reset_password(args: ResetPasswordArgs, config: &Config) -> anyhow::Result<()> {
    let email = prompt::or_ask(args.email, "Email").await?.trim().to_string();
    let new_password = prompt::or_ask(args.new_password, "New password").await?;
    let confirm = prompt::or_ask(args.password_confirm, "Password confirm").await?;
    // Checked in Dify's order: match, account, rule.
    if new_password != confirm {
        bail!("sorry. The two passwords do not match.");
    }
    let infra = crate::connect::infra(config).await?;
    let found = account::by_email(&infra.db, &email).await.context("cannot look up the account")?;
    let found = found.ok_or_else(|| not_exist(&email))?;
    if !kernel::crypto::valid_password(&new_password) {
        bail!(
            "sorry. The passwords must match the rule: at least 8 characters, with at least one letter and one digit."
        );
    }
    account::set_password(&infra.db, found.id, &new_password).await.context("cannot store the new password")?;
    Sessions::new(infra.cache.as_ref(), &config.secret_key, config.edition.as_str())
        .revoke_all(found.id, None)
        .await
        .context("the password was reset, but the account's console sessions could not be signed out")?;
    if config.redis_url.is_none() {
        // Without Redis each api-server keeps its sessions in its own memory, out of our reach.
        eprintln!("Note: no Redis is configured; restart api-server to end the account's open console sessions.");
    }
    println!("Congratulations!, password has been reset.");
    Ok(())
}

/// Moves an account to a new email address.
pub async fn reset_email(args: ResetEmailArgs, config: &Config) -> anyhow::Result<()> {
    let email = prompt::or_ask(args.email, "Email").await?.trim().to_string();
    let new_email = prompt::or_ask(args.new_email, "New email").await?.trim().to_string();
    let confirm = prompt::or_ask(args.email_confirm, "Email confirm").await?.trim().to_string();
    if new_email != confirm {
        bail!("Sorry, new email and confirm email do not match.");
    }
    let db = crate::connect::db(config).await?;
    let found = account::by_email(&db, &email).await.context("cannot look up the account")?;
    let found = found.ok_or_else(|| not_exist(&email))?;
    if accounts::validate::email("new_email", &new_email).is_err() {
        bail!("sorry. {new_email} is not a valid email.");
    }
    // Dify does not check this; two accounts on one address would leave login choosing between them.
    if let Some(other) = account::by_email(&db, &new_email).await.context("cannot look up the new email")?
        && other.id != found.id
    {
        bail!("sorry. the email [{new_email}] is already used by another account.");
    }
    account_rows::ActiveModel {
        id: Set(found.id),
        email: Set(new_email),
        updated_at: Set(now_naive()),
        ..Default::default()
    }
    .update(&db)
    .await
    .context("cannot store the new email")?;
    println!("Congratulations!, email has been reset.");
    Ok(())
}
