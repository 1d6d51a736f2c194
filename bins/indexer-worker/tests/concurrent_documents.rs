//! Documents of one dataset indexed side by side share its keyword table and, on SQLite, one
//! writer: every one completes, none fails as "database is locked" (the bug this catches:
//! transactions that read before writing could not wait for each other on SQLite). More
//! documents run at once than embedding calls: the vendor never sees more than
//! [`CONCURRENT_EMBEDDINGS`] of one job's calls at once. One document asks for up to
//! [`FETCH_AHEAD`] of its batches' embeddings at once, and only the vendor's call takes a turn.

use std::time::Duration;

use datasets::embedding_cache::{embed_documents, embed_uncommitted};
use datasets::indexing::{BATCH, CONCURRENT_EMBEDDINGS, DocumentOutcome, FETCH_AHEAD, Indexer, index_documents};
use test_support::TestEnv;
use test_support::fake_openai::{FAKE_API_KEY, FakeOpenAi};

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

#[tokio::test]
async fn one_document_fetches_its_next_batches_embeddings_while_the_first_is_answered() {
    let env = TestEnv::new().await;
    let fake = FakeOpenAi::start().await;
    // Long enough that a document's calls overlap only if it makes them side by side.
    fake.set_embedding_latency(Duration::from_millis(300));
    let text: String = (0..3 * BATCH).map(|p| format!("Paragraph {p} about oolong.\n\n")).collect();
    let seeded = test_support::seed::high_quality_dataset(&env, &fake, RULES, &[("one.txt", text)]).await;
    let http = providers::runtime::http_client().expect("http");
    let indexer = Indexer(datasets::Ctx::new(&env.infra, &env.config, http));
    let outcomes =
        index_documents(&indexer, seeded.dataset_id, &seeded.document_ids).await.expect("no transient error");
    assert!(matches!(outcomes[0].1, DocumentOutcome::Completed { segments, .. } if segments == 3 * BATCH));
    assert_eq!(fake.embeddings_peak(), FETCH_AHEAD, "one document's embedding calls at once");
}

#[tokio::test]
async fn a_cached_batch_takes_no_turn_for_the_vendor() {
    let env = TestEnv::new().await;
    let fake = FakeOpenAi::start().await;
    let mut credentials = providers::runtime::Credentials::new();
    credentials.insert("openai_api_key".into(), FAKE_API_KEY.into());
    credentials.insert("openai_api_base".into(), fake.base_url().into());
    let model = providers::runtime::ModelRef::new("openai", "text-embedding-ada-002", credentials);
    let http = providers::runtime::http_client().expect("http");
    let texts: Vec<String> = (0..3).map(|i| format!("cached text {i}")).collect();
    let first = embed_documents(&env.infra.db, &http, &model, &texts).await.expect("embedded");
    assert_eq!(first.misses, 3);
    // No turn is free: a lookup that waited for one would never return.
    let none_free = tokio::sync::Semaphore::new(0);
    let looked_up = tokio::time::timeout(
        Duration::from_secs(5),
        embed_uncommitted(&env.infra.db, &http, &model, &texts, Some(&none_free)),
    )
    .await
    .expect("the cache answered without a turn")
    .expect("embedded");
    assert_eq!((looked_up.0.misses, looked_up.1.len()), (0, 0), "all from the cache");
    assert_eq!(looked_up.0.vectors, first.vectors);
}
