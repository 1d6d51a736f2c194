//! Terminal prompts for options left off the command line, as click's `prompt=True` asks them.
//!
//! The prompt goes to stderr so stdout stays the command's output; the answer is one line of
//! stdin. Input is echoed, as click echoes Dify's password prompts.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};

/// The value given on the command line, or else the answer to `label`.
pub async fn or_ask(value: Option<String>, label: &str) -> anyhow::Result<String> {
    match value {
        Some(v) => Ok(v),
        None => ask(label).await,
    }
}

/// Asks until a non-empty line arrives; end of input aborts.
pub async fn ask(label: &str) -> anyhow::Result<String> {
    let prompt = format!("{label}: ");
    // Reading a terminal blocks: keep it off the async workers.
    tokio::task::spawn_blocking(move || read_answer(&prompt)).await.context("prompt task failed")?
}

/// A yes/no question that defaults to no.
pub async fn confirm(question: &str) -> anyhow::Result<bool> {
    let prompt = format!("{question} [y/N]: ");
    let answer = tokio::task::spawn_blocking(move || read_line(&prompt)).await.context("prompt task failed")??;
    Ok(matches!(answer.map(|a| a.trim().to_ascii_lowercase()).as_deref(), Some("y" | "yes")))
}

fn read_answer(prompt: &str) -> anyhow::Result<String> {
    loop {
        match read_line(prompt)? {
            None => bail!("Aborted!"),
            Some(line) if line.trim().is_empty() => continue,
            Some(line) => return Ok(line),
        }
    }
}

/// One line without its line ending; None at end of input.
fn read_line(prompt: &str) -> anyhow::Result<Option<String>> {
    let mut err = std::io::stderr().lock();
    err.write_all(prompt.as_bytes())?;
    err.flush()?;
    // `Stdin` keeps one shared buffer, so consecutive prompts never lose piped lines.
    let mut line = String::new();
    let stdin = std::io::stdin();
    let read = stdin.lock().read_line(&mut line).context("cannot read from stdin")?;
    if !stdin.is_terminal() {
        // Piped input is not echoed: end the prompt's line so the next output starts afresh.
        err.write_all(b"\n")?;
    }
    if read == 0 {
        return Ok(None);
    }
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(Some(line.strip_suffix('\r').unwrap_or(line).to_string()))
}
