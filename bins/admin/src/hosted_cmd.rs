//! `sync-anthropic-hosted-providers`: rescales workspaces' Anthropic trial quotas after the
//! operator changed `HOSTED_ANTHROPIC_QUOTA_LIMIT`.

use anyhow::Context;
use kernel::Config;

pub async fn sync_anthropic(config: &Config) -> anyhow::Result<()> {
    let Some(anthropic) = config.hosted.anthropic.as_ref() else {
        println!("Anthropic hosted provider is not configured.");
        return Ok(());
    };
    println!("Start sync anthropic hosted providers.");
    let infra = crate::connect::infra(config).await?;
    let (synced, failed) = providers::store::sync_anthropic_trials(&infra.db, anthropic.quota_limit)
        .await
        .context("cannot read the hosted providers")?;
    for s in &synced {
        let show = |v: Option<i64>| v.map_or_else(|| "None".to_owned(), |n| n.to_string());
        println!(
            "Syncing tenant anthropic hosted provider: {}, origin: limit {}, used {}",
            s.tenant_id,
            show(s.old_limit),
            show(s.old_used)
        );
    }
    for (tenant_id, e) in &failed {
        eprintln!("Sync tenant anthropic hosted provider error: {tenant_id} {e}");
    }
    println!("Congratulations! Synced {} anthropic hosted providers.", synced.len());
    Ok(())
}
