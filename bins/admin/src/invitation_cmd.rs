//! `generate-invitation-codes`: a batch of unused sign-up codes, in the database and as a
//! text file in storage for the operator to hand out.

use std::collections::HashSet;

use anyhow::{Context, anyhow, bail};
use clap::Args;
use entities::invitation_codes;
use infra::storage::Bytes;
use kernel::Config;
use kernel::time::now_naive;
use rand::Rng;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait};

use crate::prompt;

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// The batch of invitation codes [default: the current UTC time as %Y%m%d%H%M%S].
    #[arg(long)]
    batch: Option<String>,
    /// Invitation codes count.
    #[arg(long, allow_negative_numbers = true)]
    count: Option<i64>,
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const CODE_LEN: usize = 8;
/// Rows per statement, well under SQLite's and PostgreSQL's bind-parameter limits.
const CHUNK: usize = 500;
/// `invitation_codes.batch` is varchar(255).
const MAX_BATCH_LEN: usize = 255;

pub async fn run(args: GenerateArgs, config: &Config) -> anyhow::Result<()> {
    let batch = match args.batch.filter(|b| !b.is_empty()) {
        Some(b) => b,
        None => chrono::Utc::now().format("%Y%m%d%H%M%S").to_string(),
    };
    // The batch names a storage key: nothing that could leave the storage root or break a backend.
    if batch.len() > MAX_BATCH_LEN || !batch.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        bail!("sorry. the batch must be at most 255 letters, digits, '-', '_' or '.'.");
    }
    let count = match args.count {
        Some(n) => n,
        None => {
            let answer = prompt::ask("Count").await?;
            answer.trim().parse().map_err(|_| anyhow!("sorry. the count must be a number, not {answer:?}."))?
        }
    };
    if count <= 0 {
        bail!("sorry. the count must be greater than 0.");
    }
    let count = usize::try_from(count).context("sorry. the count is too large.")?;
    println!("Start generate {count} invitation codes for batch {batch}.");

    let infra = crate::connect::infra(config).await?;
    let key = format!("invitation-codes-{batch}.txt");
    let txn = infra.db.begin().await.context("cannot start a transaction")?;
    // Checked and inserted in one transaction, so the check sees what this batch adds.
    let codes = unique_codes(&txn, count).await?;
    let now = now_naive();
    for chunk in codes.chunks(CHUNK) {
        let rows = chunk.iter().map(|code| invitation_codes::ActiveModel {
            batch: Set(batch.clone()),
            code: Set(code.clone()),
            status: Set(entities::invitation_codes::CodeStatus::Unused),
            created_at: Set(now),
            // `id` is left to the database's sequence.
            ..Default::default()
        });
        invitation_codes::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await
            .context("cannot store the invitation codes")?;
    }
    let file: String = codes.iter().map(|c| format!("{c}\n")).collect();
    // Written before the commit: a failed write rolls the batch back instead of losing the list.
    infra.storage.save(&key, Bytes::from(file)).await.context("cannot write the invitation code file")?;
    if let Err(e) = txn.commit().await {
        let _ = infra.storage.delete(&key).await;
        return Err(e).context("cannot commit the invitation codes");
    }
    for code in &codes {
        println!("{code}");
    }
    println!(
        "Congratulations! Generated {count} invitation codes for batch {batch} and saved to the file '{key}' in storage."
    );
    Ok(())
}

/// `count` codes that are distinct from each other and from every code already stored.
async fn unique_codes<C: ConnectionTrait>(conn: &C, count: usize) -> anyhow::Result<Vec<String>> {
    let mut seen = HashSet::with_capacity(count);
    let mut codes = Vec::with_capacity(count);
    while codes.len() < count {
        let fresh = draw(count - codes.len(), &mut seen);
        let mut taken = HashSet::new();
        for chunk in fresh.chunks(CHUNK) {
            let found: Vec<String> = invitation_codes::Entity::find()
                .select_only()
                .column(invitation_codes::Column::Code)
                .filter(invitation_codes::Column::Code.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(conn)
                .await
                .context("cannot check existing invitation codes")?;
            taken.extend(found);
        }
        codes.extend(fresh.into_iter().filter(|c| !taken.contains(c)));
    }
    Ok(codes)
}

/// `n` random codes not in `seen` (which records them): 8 of A-Z0-9 from the thread's CSPRNG.
fn draw(n: usize, seen: &mut HashSet<String>) -> Vec<String> {
    let mut rng = rand::rng();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let code: String = (0..CODE_LEN).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect();
        if seen.insert(code.clone()) {
            out.push(code);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_upper_alphanumerics_and_never_repeat() {
        let mut seen = HashSet::new();
        let first = draw(1000, &mut seen);
        let second = draw(1000, &mut seen);
        let all: HashSet<&String> = first.iter().chain(&second).collect();
        assert_eq!(all.len(), 2000);
        assert!(all.iter().all(|c| c.len() == 8 && c.bytes().all(|b| ALPHABET.contains(&b))));
    }
}
