//! The background jobs, as they travel on the queues: JSON tagged by `task`.

use serde::{Deserialize, Serialize};

/// A unit of background work. Every job is idempotent: running it twice has the effect of once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Job {
    /// Send one HTML mail (invitations, activation links).
    SendMail { to: String, subject: String, html: String },
    /// Give a new chat conversation a short title from its first query (if it has none yet).
    /// The workspace and the (shortened) query ride along so the worker need not read them;
    /// jobs queued without them are read as before.
    GenerateConversationName {
        conversation_id: uuid::Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tenant_id: Option<uuid::Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        query: Option<String>,
    },
    /// Index documents of a dataset from their sources (Dify's `document_indexing_task`).
    IndexDocuments { dataset_id: uuid::Uuid, document_ids: Vec<uuid::Uuid> },
    /// Build or drop a dataset's vectors after its indexing technique changed (Dify's
    /// `deal_dataset_vector_index_task`).
    SyncDatasetVectors { dataset_id: uuid::Uuid },
    /// Add CSV rows to a completed document as indexed segments, reporting in the cache under
    /// `segment_batch_import_<job_id>` (Dify's `batch_create_segment_to_index_task`).
    ImportSegments {
        job_id: uuid::Uuid,
        tenant_id: uuid::Uuid,
        dataset_id: uuid::Uuid,
        document_id: uuid::Uuid,
        account_id: uuid::Uuid,
        rows: Vec<SegmentRow>,
    },
}

/// One imported segment: its content, and the answer of a Q&A document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRow {
    pub content: String,
    pub answer: Option<String>,
}

impl Job {
    /// The queue the job belongs on, as Dify's Celery routes them.
    pub fn queue(&self) -> &'static str {
        match self {
            Job::SendMail { .. } => "mail",
            Job::GenerateConversationName { .. } => "generation",
            Job::IndexDocuments { .. } | Job::SyncDatasetVectors { .. } | Job::ImportSegments { .. } => "dataset",
        }
    }

    /// The task's name, as the payload's `task` tag spells it.
    pub fn task(&self) -> &'static str {
        match self {
            Job::SendMail { .. } => "send_mail",
            Job::GenerateConversationName { .. } => "generate_conversation_name",
            Job::IndexDocuments { .. } => "index_documents",
            Job::SyncDatasetVectors { .. } => "sync_dataset_vectors",
            Job::ImportSegments { .. } => "import_segments",
        }
    }

    /// The payload: the job, and the id of the request that queued it when there is one.
    pub fn to_bytes(&self) -> Vec<u8> {
        let request_id = crate::request_id::current();
        let traceparent = crate::request_id::traceparent();
        let envelope = Envelope { job: self, request_id: request_id.as_deref(), traceparent: traceparent.as_deref() };
        // Serialising a plain enum of strings cannot fail.
        serde_json::to_vec(&envelope).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The id of the request that queued the job in `bytes`, if it was queued by one.
    pub fn request_id(bytes: &[u8]) -> Option<String> {
        serde_json::from_slice::<Meta>(bytes).ok()?.request_id
    }

    /// The trace (W3C `traceparent`) of the request that queued the job, when spans are
    /// exported.
    pub fn traceparent(bytes: &[u8]) -> Option<String> {
        serde_json::from_slice::<Meta>(bytes).ok()?.traceparent
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(flatten)]
    job: &'a Job,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    traceparent: Option<&'a str>,
}

/// What travels beside a job.
#[derive(Deserialize)]
struct Meta {
    request_id: Option<String>,
    traceparent: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::Job;

    #[tokio::test]
    async fn a_job_carries_the_id_of_the_request_that_queued_it() {
        let job = Job::GenerateConversationName { conversation_id: uuid::Uuid::nil(), tenant_id: None, query: None };
        assert_eq!(Job::request_id(&job.to_bytes()), None);
        let bytes = crate::request_id::scope("req-7".into(), async { job.to_bytes() }).await;
        assert_eq!(Job::request_id(&bytes).as_deref(), Some("req-7"));
        assert_eq!(Job::from_bytes(&bytes).expect("parse"), job);
    }

    #[test]
    fn jobs_round_trip_tagged_by_task() {
        let job = Job::SendMail { to: "a@b.co".into(), subject: "s".into(), html: "<p>h</p>".into() };
        let bytes = job.to_bytes();
        assert!(String::from_utf8_lossy(&bytes).contains(r#""task":"send_mail""#));
        assert_eq!(Job::from_bytes(&bytes).expect("parse"), job);
        assert!(Job::from_bytes(br#"{"task":"nope"}"#).is_err());
        let uuid = uuid::Uuid::nil();
        let row = super::SegmentRow { content: "c".into(), answer: None };
        for job in [
            job,
            Job::GenerateConversationName { conversation_id: uuid, tenant_id: Some(uuid), query: Some("q".into()) },
            Job::IndexDocuments { dataset_id: uuid, document_ids: vec![uuid] },
            Job::SyncDatasetVectors { dataset_id: uuid },
            Job::ImportSegments {
                job_id: uuid,
                tenant_id: uuid,
                dataset_id: uuid,
                document_id: uuid,
                account_id: uuid,
                rows: vec![row],
            },
        ] {
            let tag = format!(r#""task":"{}""#, job.task());
            assert!(String::from_utf8_lossy(&job.to_bytes()).contains(&tag), "{tag}");
        }
    }

    /// A naming job queued before it carried the workspace and query still reads.
    #[test]
    fn naming_jobs_without_their_query_still_parse() {
        let old = br#"{"task":"generate_conversation_name","conversation_id":"00000000-0000-0000-0000-000000000000"}"#;
        let job = Job::from_bytes(old).expect("parse");
        assert_eq!(
            job,
            Job::GenerateConversationName { conversation_id: uuid::Uuid::nil(), tenant_id: None, query: None }
        );
    }

    #[test]
    fn segment_imports_carry_their_rows_on_the_dataset_queue() {
        let id = uuid::Uuid::nil();
        let rows = vec![super::SegmentRow { content: "q".into(), answer: Some("a".into()) }];
        let job =
            Job::ImportSegments { job_id: id, tenant_id: id, dataset_id: id, document_id: id, account_id: id, rows };
        assert_eq!(job.queue(), "dataset");
        assert!(String::from_utf8_lossy(&job.to_bytes()).contains(r#""task":"import_segments""#));
        assert_eq!(Job::from_bytes(&job.to_bytes()).expect("parse"), job);
    }
}
