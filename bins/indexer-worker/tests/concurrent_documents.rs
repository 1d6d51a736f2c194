//! Documents of one dataset indexed side by side share its keyword table and, on SQLite, one
//! writer: every one completes, none fails as "database is locked" (the bug this catches:
//! transactions that read before writing could not wait for each other on SQLite). More
//! documents run at once than embedding calls: the vendor never sees more than
//! [`CONCURRENT_EMBEDDINGS`] of one job's calls at once.

use std::time::Duration;

use datasets::indexing::{CONCURRENT_EMBEDDINGS, DocumentOutcome, Indexer, index_documents};
use test_support::TestEnv;
use test_support::fake_openai::FakeOpenAi;

const RULES: &str = r#"{"pre_processing_rules":[],"segmentation":{"separator":"\n\n","max_tokens":100}}"#;

#[tokio::test]
async fn one_jobs_documents_all_complete_side_by_side() {
    let env = TestEnv::new().await;
    let fake = FakeOpenAi::start().await;
    fake.set_embedding_latency(Duration::from_millis(50));
    let docs: Vec<(String, String)> = (0..12)
        .map(|d| {
            (format!("doc-{d}.txt"), (0..120).map(|p| format!("Doc {d} paragraph {p} about oolong.\n\n")).collect())
        })
        .collect();
    let named: Vec<(&str, String)> = docs.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let seeded = test_support::seed::high_quality_dataset(&env, &fake, RULES, &named).await;
    let http = providers::runtime::http_client().expect("http");
    let indexer = Indexer(datasets::Ctx::new(&env.infra, &env.config, http));
    let outcomes =
        index_documents(&indexer, seeded.dataset_id, &seeded.document_ids).await.expect("no transient error");
    let ids: Vec<_> = outcomes.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, seeded.document_ids, "one outcome per document, in the job's order");
    for (id, outcome) in outcomes {
        assert!(matches!(outcome, DocumentOutcome::Completed { segments: 120, .. }), "{id}: {outcome:?}");
    }
    let peak = fake.embeddings_peak();
    assert!((2..=CONCURRENT_EMBEDDINGS).contains(&peak), "{peak} embedding calls at once");
}
