//! The job runner: consumes the `dataset`, `generation` and `mail` queues and dispatches each
//! job to the domain code. Runs as `indexer-worker`, or inside api-server in embedded mode.

use std::sync::Arc;

use async_trait::async_trait;
use datasets::indexing::DocumentOutcome;
use infra::Infra;
use infra::mail::Mail;
use infra::worker::{JobHandler, JobOutcome};
use kernel::Config;
use kernel::jobs::Job;
use tokio::sync::watch;
use tracing::Instrument;

/// Every queue, in Celery's `-Q` order.
pub fn all_queues() -> Vec<String> {
    infra::queue::QUEUES.iter().map(|q| q.to_string()).collect()
}

/// Dispatches a job to the code that does it.
struct Dispatcher {
    config: Config,
    infra: Infra,
    /// Model calls of `generation` jobs (its credential cache lives as long as the worker).
    engine: conversations::Engine,
    /// Document indexing of `dataset` jobs.
    indexer: datasets::indexing::Indexer,
}

#[async_trait]
impl JobHandler for Dispatcher {
    async fn handle(&self, payload: &[u8]) -> JobOutcome {
        let job = match Job::from_bytes(payload) {
            Ok(job) => job,
            Err(e) => return JobOutcome::Reject(format!("malformed job: {e}")),
        };
        // Every line of the job carries the id of the request that queued it.
        let request_id = Job::request_id(payload).unwrap_or_default();
        let span = tracing::info_span!("job", queue = job.queue(), task = job.task(), request_id = %request_id);
        // With spans exported, the job continues the trace of the request that queued it.
        if let Some(traceparent) = Job::traceparent(payload) {
            infra::telemetry::set_parent(&span, &traceparent);
        }
        let started = std::time::Instant::now();
        let queue = job.queue();
        let outcome = self.run(job).instrument(span.clone()).await;
        let elapsed = started.elapsed().as_secs_f64();
        let ms = elapsed * 1000.0;
        let result = match &outcome {
            JobOutcome::Done => "done",
            JobOutcome::Retry(_) => "retry",
            JobOutcome::Reject(_) => "dead_letter",
        };
        metrics::counter!("jobs_total", "queue" => queue, "outcome" => result).increment(1);
        metrics::histogram!("job_duration_seconds", "queue" => queue).record(elapsed);
        span.in_scope(|| match &outcome {
            JobOutcome::Done => tracing::info!(ms, "job done"),
            JobOutcome::Retry(why) => tracing::warn!(ms, reason = %why, "job will be retried"),
            JobOutcome::Reject(why) => tracing::error!(ms, reason = %why, "job dead-lettered"),
        });
        outcome
    }
}

impl Dispatcher {
    async fn run(&self, job: Job) -> JobOutcome {
        match job {
            Job::SendMail { to, subject, html } => {
                let mail = Mail { from: self.config.mail_default_send_from.clone(), to, subject, html };
                match self.infra.mail.send(&mail).await {
                    Ok(()) => JobOutcome::Done,
                    Err(e) => JobOutcome::Retry(e.to_string()),
                }
            }
            Job::IndexDocuments { dataset_id, document_ids } => {
                match datasets::indexing::index_documents(&self.indexer, dataset_id, &document_ids).await {
                    // A document its runs kept killing: the job goes to the dead-letter queue.
                    Ok(outcomes) => match outcomes.into_iter().find_map(|(id, o)| match o {
                        DocumentOutcome::Abandoned(reason) => Some(format!("document {id}: {reason}")),
                        _ => None,
                    }) {
                        Some(reason) => JobOutcome::Reject(reason),
                        None => JobOutcome::Done,
                    },
                    Err(e) => JobOutcome::Retry(e.to_string()),
                }
            }
            Job::ImportSegments { job_id, tenant_id, dataset_id, document_id, account_id, rows } => {
                let target =
                    datasets::segment_import::ImportTarget { job_id, tenant_id, dataset_id, document_id, account_id };
                match datasets::segment_import::run(&self.indexer, self.infra.cache.as_ref(), target, &rows).await {
                    Ok(()) => JobOutcome::Done,
                    Err(e) => JobOutcome::Retry(e.to_string()),
                }
            }
            Job::SyncDatasetVectors { dataset_id } => {
                match datasets::indexing::sync_vector_index(&self.indexer, dataset_id).await {
                    Ok(()) => JobOutcome::Done,
                    Err(e) => JobOutcome::Retry(e.to_string()),
                }
            }
            Job::GenerateConversationName { conversation_id, tenant_id, query } => {
                let known = tenant_id.zip(query);
                // Its default model and credentials vouch with one read of the version, as a request's do.
                let naming = conversations::naming::name_conversation(&self.engine, conversation_id, known);
                match infra::kept::per_request(naming).await {
                    Ok(()) => JobOutcome::Done,
                    Err(e) => JobOutcome::Retry(e.to_string()),
                }
            }
        }
    }
}

/// Consumes `queues` until `shutdown` turns true, then waits for in-flight jobs.
pub async fn run(config: Config, infra: Infra, queues: Vec<String>, shutdown: watch::Receiver<bool>) {
    let concurrency = usize::from(config.worker_prefetch);
    let http = match providers::runtime::http_client() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the model HTTP client");
            return;
        }
    };
    let engine = conversations::Engine(datasets::Ctx::new(&infra, &config, http));
    let indexer = engine.indexer();
    if infra.in_process_queue && queues.iter().any(|q| q == "dataset") {
        // Documents a crash interrupted before the outbox existed have no job left anywhere.
        requeue_unfinished(&infra, config.indexing_max_attempts).await;
    }
    // Sends what the outbox still holds: with a broker, jobs whose publish failed; in-process,
    // every job the last process did not finish.
    let relay = tokio::spawn(infra.outbox.clone().run_relay(shutdown.clone()));
    let sweeper = queues
        .iter()
        .any(|q| q == "dataset")
        .then(|| tokio::spawn(requeue_lost_documents(infra.clone(), config.indexing_requeue_after, shutdown.clone())));
    let keyword_json = queues
        .iter()
        .any(|q| q == "dataset")
        .then(|| tokio::spawn(write_keyword_json(infra.clone(), shutdown.clone())));
    let handler: Arc<dyn JobHandler> = Arc::new(Dispatcher { config, infra: infra.clone(), engine, indexer });
    let loops: Vec<_> = queues
        .into_iter()
        .map(|q| {
            tokio::spawn(infra::worker::run(infra.queue.clone(), q, handler.clone(), concurrency, shutdown.clone()))
        })
        .collect();
    for l in loops {
        if let Err(e) = l.await {
            tracing::error!(error = %e, "a queue loop panicked");
        }
    }
    for task in [sweeper, keyword_json].into_iter().flatten() {
        task.abort();
    }
    relay.abort();
}

/// Every so often, rewrites Dify's keyword-table JSON of the datasets whose keyword rows
/// changed and were too many to rewrite it at once (see `datasets::indexing::keyword_index`).
async fn write_keyword_json(infra: Infra, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(datasets::indexing::KEYWORD_JSON_EVERY) => {}
            _ = shutdown.changed() => return,
        }
        match datasets::indexing::write_pending_keyword_json(&infra.db).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(datasets = n, "keyword tables written"),
            Err(e) => tracing::warn!(error = %e, "cannot write keyword tables yet; the next round tries again"),
        }
    }
}

/// Every so often, queues again the documents left `waiting` longer than `after` with no run
/// started: a publish that failed after its rows committed, or a delivery nobody started.
/// In every layout, so no document waits forever; a repeated job is harmless (runs replace).
async fn requeue_lost_documents(infra: Infra, after: std::time::Duration, mut shutdown: watch::Receiver<bool>) {
    let every = (after / 2).clamp(std::time::Duration::from_millis(200), std::time::Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        match datasets::indexing::claim_stale_waiting(&infra.db, after).await {
            Ok(groups) => {
                for (dataset_id, document_ids) in groups {
                    tracing::warn!(%dataset_id, documents = document_ids.len(), "queuing documents whose job was lost");
                    let job = Job::IndexDocuments { dataset_id, document_ids };
                    if let Err(e) = infra.outbox.enqueue(&job).await {
                        tracing::warn!(error = %e, "cannot queue lost documents yet; the next sweep tries again");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot look for lost documents"),
        }
    }
}

/// Queues the unfinished documents that no job in the outbox names.
async fn requeue_unfinished(infra: &Infra, max_attempts: u32) {
    let queued: std::collections::HashSet<uuid::Uuid> = match infra.outbox.pending().await {
        Ok(jobs) => jobs
            .into_iter()
            .flat_map(|j| match j {
                Job::IndexDocuments { document_ids, .. } => document_ids,
                _ => Vec::new(),
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the outbox; unfinished documents wait for the sweep");
            return;
        }
    };
    match datasets::indexing::resume_unfinished(&infra.db, max_attempts).await {
        Ok(groups) => {
            for (dataset_id, document_ids) in groups {
                let document_ids: Vec<_> = document_ids.into_iter().filter(|id| !queued.contains(id)).collect();
                if document_ids.is_empty() {
                    continue;
                }
                let job = Job::IndexDocuments { dataset_id, document_ids };
                if let Err(e) = infra.outbox.enqueue(&job).await {
                    tracing::warn!(error = %e, "cannot queue an unfinished document again");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot look for unfinished documents"),
    }
}
