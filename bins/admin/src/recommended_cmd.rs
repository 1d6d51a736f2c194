//! `add-recommended-app`: lists an app in the explore catalogue and makes it public, as the
//! CLOUD admin route `POST /console/api/admin/insert-explore-apps` does.

use anyhow::{Context, anyhow, bail};
use apps::explore::{self, DEFAULT_CATEGORY, Language, Listing, Outcome};
use clap::Args;
use kernel::Config;
use uuid::Uuid;

#[derive(Args, Debug)]
pub struct AddRecommendedAppArgs {
    /// The app to list.
    #[arg(long)]
    app_id: Uuid,
    /// The catalogue language it is shown in: en-US or zh-Hans.
    #[arg(long, default_value = "en-US", value_parser = parse_language)]
    language: Language,
    /// The category it is filed under.
    #[arg(long, default_value = DEFAULT_CATEGORY)]
    category: String,
    /// Its position in the catalogue (lower first).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    position: i32,
    /// Description, used when the app's site has none.
    #[arg(long)]
    desc: Option<String>,
    /// Copyright, used when the app's site has none.
    #[arg(long)]
    copyright: Option<String>,
    /// Privacy policy URL, used when the app's site has none.
    #[arg(long)]
    privacy_policy: Option<String>,
}

fn parse_language(s: &str) -> Result<Language, String> {
    Language::parse(s).ok_or_else(|| format!("{s} is not a valid language (en-US or zh-Hans)."))
}

pub async fn run(args: AddRecommendedAppArgs, config: &Config) -> anyhow::Result<()> {
    let listing =
        Listing::new(args.desc, args.copyright, args.privacy_policy, args.language, args.category, args.position)
            .map_err(|e| anyhow!("sorry. {}", e.message))?;
    let db = crate::connect::db(config).await?;
    let app = match explore::app_by_id(&db, args.app_id).await {
        Ok(app) => app,
        Err(e @ apps::AppError::NoSuchApp(_)) => bail!("sorry. {e}."),
        Err(e) => return Err(anyhow!(e).context("cannot look up the app")),
    };
    let outcome = explore::recommend(&db, &app, &listing).await.context("cannot list the app")?;
    let what = match outcome {
        Outcome::Created => "added to",
        Outcome::Updated => "updated in",
    };
    println!(
        "App '{}' ({}) {what} the explore catalogue: language {}, category '{}', position {}. It is now public.",
        app.name,
        app.id,
        listing.language().as_str(),
        listing.category(),
        listing.position(),
    );
    Ok(())
}
