//! Documents of one dataset indexed side by side share its keyword table and, on SQLite, one
//! writer: every one completes, none fails as "database is locked" (the bug this catches:
//! transactions that read before writing could not wait for each other on SQLite).

use datasets::indexing::{DocumentOutcome, Indexer, index_documents};
use test_support::TestEnv;
use test_support::fake_openai::FakeOpenAi;

const RULES: &str = r#"{"pre_processing_rules":[],"segmentation":{"separator":"\n\n","max_tokens":100}}"#;

#[tokio::test]
async fn one_jobs_documents_all_complete_side_by_side() {
    let env = TestEnv::new().await;
    let fake = FakeOpenAi::start().await;
    let docs: Vec<(String, String)> = (0..8)
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
    assert_eq!(outcomes.len(), 8);
    for (id, outcome) in outcomes {
        assert!(matches!(outcome, DocumentOutcome::Completed { segments: 120, .. }), "{id}: {outcome:?}");
    }
}
