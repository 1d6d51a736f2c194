//! `admin db check-values` on a seeded database: silent while every enum column holds a value
//! dify-rs reads, then naming each column, value and row count a later Dify could write.

mod common;

use common::{ok, run_admin, text};
use entities::documents;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use test_support::TestEnv;
use test_support::fake_openai::FakeOpenAi;
use test_support::seed::high_quality_dataset;

const RULES: &str = r#"{"pre_processing_rules":[],"segmentation":{"separator":"\n\n","max_tokens":100}}"#;

#[tokio::test]
async fn check_values_names_the_rows_dify_rs_cannot_read() {
    let env = TestEnv::new().await;
    let fake = FakeOpenAi::start().await;
    let docs = [("a.txt", "one\n\ntwo".to_owned()), ("b.txt", "three".to_owned())];
    let seeded = high_quality_dataset(&env, &fake, RULES, &docs).await;
    let out = ok(&run_admin(&env, &["db", "check-values"], None, &[]).await);
    assert!(out.contains("Every status, mode, source and type value is one dify-rs reads."), "{out}");

    // What a later Dify writes: a document form and an indexing status 0.3.23 never had.
    let db = &env.infra.db;
    db.execute_unprepared("UPDATE documents SET doc_form = 'hierarchical_model'").await.expect("update");
    documents::Entity::update_many()
        .col_expr(documents::Column::IndexingStatus, Expr::value("queued"))
        .filter(documents::Column::Id.eq(seeded.document_ids[0]))
        .exec(db)
        .await
        .expect("update");
    let o = run_admin(&env, &["db", "check-values"], None, &[]).await;
    let out = text(&o.stdout);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains(r#"documents.doc_form: "hierarchical_model" in 2 row(s)"#), "{out}");
    assert!(out.contains(r#"documents.indexing_status: "queued" in 1 row(s)"#), "{out}");
    assert_eq!(out.lines().count(), 2, "only the two columns: {out}");
    assert!(text(&o.stderr).contains("2 column(s) hold values dify-rs cannot read"), "{}", text(&o.stderr));
}
