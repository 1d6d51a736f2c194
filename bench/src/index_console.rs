//! Economy indexing through the console API, as the web console does it: the documents uploaded
//! (`POST /console/api/files/upload`), one dataset made of them (`POST /console/api/datasets/init`),
//! then its batch's indexing status polled until every document is done. It speaks only Dify's
//! API, so the same client measures dify-rs (started in the mode asked) and any running Dify,
//! Python Dify 0.3.23 included (`--url`): the same corpus and rules as `index`, timed from the
//! request that creates the dataset to the last document completed, upload excluded.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::index::{RULES, document};
use crate::report::{Section, num};
use crate::setup::session_cookie;
use crate::stack::{Mode, Stack};

pub struct Args {
    pub mode: Mode,
    /// A running server to measure instead of starting dify-rs.
    pub url: Option<String>,
    pub email: String,
    pub password: String,
    pub docs: usize,
    pub paragraphs: usize,
}

/// The server measured, for the report's name: the mode started, or `remote`.
pub fn label(args: &Args) -> &'static str {
    if args.url.is_some() { "remote" } else { args.mode.name() }
}

pub async fn index_console(args: &Args) -> anyhow::Result<Section> {
    // Kept alive for the run when this bench started the server.
    let (base, _stack) = match &args.url {
        Some(url) => (url.trim_end_matches('/').to_owned(), None),
        None => {
            let stack = Stack::start(args.mode).await?;
            (stack.base.clone(), Some(stack))
        }
    };
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
    let cookie = sign_in(&http, &base, &args.email, &args.password).await?;
    let console = |req: reqwest::RequestBuilder| req.header("cookie", &cookie);

    eprintln!("uploading {} documents…", args.docs);
    let mut file_ids = Vec::with_capacity(args.docs);
    for n in 0..args.docs {
        let (content_type, body) = multipart_file(&format!("doc-{n}.txt"), &document(n, args.paragraphs));
        let req = console(http.post(format!("{base}/console/api/files/upload")))
            .header("content-type", content_type)
            .body(body);
        let file = answer(req, "upload").await?;
        file_ids.push(file["id"].as_str().context("the upload's id")?.to_owned());
    }
    let rules: Value = serde_json::from_str(RULES)?;
    let body = json!({
        "indexing_technique": "economy",
        "data_source": {"type": "upload_file", "info_list": {
            "data_source_type": "upload_file", "file_info_list": {"file_ids": file_ids}}},
        "process_rule": {"mode": "custom", "rules": rules},
        "doc_form": "text_model",
        "doc_language": "English",
    });
    let started = Instant::now();
    let made =
        answer(console(http.post(format!("{base}/console/api/datasets/init"))).json(&body), "datasets/init").await?;
    let dataset = made["dataset"]["id"].as_str().context("the dataset's id")?;
    let batch = made["batch"].as_str().context("the batch")?;
    let status_url = format!("{base}/console/api/datasets/{dataset}/batch/{batch}/indexing-status");
    let documents = loop {
        let status = answer(console(http.get(&status_url)), "indexing-status").await?;
        let documents = status["data"].as_array().context("the batch's documents")?.clone();
        let done = |d: &Value| matches!(d["indexing_status"].as_str(), Some("completed" | "error" | "paused"));
        if documents.len() == args.docs && documents.iter().all(done) {
            break documents;
        }
        if started.elapsed() > Duration::from_secs(3600) {
            bail!("the batch did not finish within an hour");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let seconds = started.elapsed().as_secs_f64();
    let mut segments = 0;
    for d in &documents {
        if d["indexing_status"] != "completed" {
            bail!("document {} did not complete: {}", d["id"], d);
        }
        segments += d["completed_segments"].as_u64().context("completed_segments")?;
    }
    let mut s = Section::new(
        format!(
            "Economy indexing through the console API of {} ({} paragraphs per document)",
            args.url.as_deref().map_or_else(|| "dify-rs".to_owned(), |url| format!("the server at {url}")),
            args.paragraphs
        ),
        &["documents", "segments", "seconds", "documents/min", "segments/s"],
    );
    s.row(
        vec![
            args.docs.to_string(),
            segments.to_string(),
            format!("{seconds:.2}"),
            num(args.docs as f64 / seconds * 60.0),
            num(segments as f64 / seconds),
        ],
        json!({"server": base, "documents": args.docs, "segments": segments, "seconds": seconds}),
    );
    Ok(s)
}

/// The console's session cookie, after setting the server up with this account if it is new.
async fn sign_in(http: &reqwest::Client, base: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let account = json!({"email": email, "name": "Bench", "password": password});
    let step = answer(http.get(format!("{base}/console/api/setup")), "setup step").await?;
    if step["step"] == "not_start" {
        answer(http.post(format!("{base}/console/api/setup")).json(&account), "setup").await?;
    }
    let login = json!({"email": email, "password": password, "remember_me": true});
    let r = http.post(format!("{base}/console/api/login")).json(&login).send().await?;
    if !r.status().is_success() {
        bail!("login: {} {}", r.status(), r.text().await.unwrap_or_default());
    }
    session_cookie(&r).context("the login set no session cookie")
}

/// A `multipart/form-data` body holding one text file in the field `file`.
fn multipart_file(name: &str, text: &str) -> (String, Vec<u8>) {
    let boundary = "dify-bench-7d3f1c2a9b";
    let mut body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         content-type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(text.as_bytes());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn answer(req: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
    let r = req.send().await.with_context(|| what.to_owned())?;
    let status = r.status();
    let body = r.text().await?;
    if !status.is_success() {
        bail!("{what}: {status} {body}");
    }
    serde_json::from_str(&body).with_context(|| format!("{what}: not JSON: {body}"))
}
