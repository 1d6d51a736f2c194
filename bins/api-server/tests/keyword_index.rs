//! The keyword index of economy datasets, on the mode's real database: one row per keyword and
//! segment, so a change costs what it touches; Dify's JSON written from the rows (at once while
//! the index is small, by the workers' round when it is large); a JSON Python Dify wrote
//! imported on first use; concurrent writers losing nothing.

use ::datasets::indexing::{
    add_keywords, keyword_table, remove_keywords, search_keywords, write_keyword_json, write_pending_keyword_json,
};
use entities::dataset_keyword_tables;
use rag::keywords::KeywordTable;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use test_support::TestEnv;
use uuid::Uuid;

/// The dataset's JSON as stored, read as Dify reads it.
async fn stored_json(env: &TestEnv, dataset: Uuid) -> Option<KeywordTable> {
    let row = dataset_keyword_tables::Entity::find()
        .filter(dataset_keyword_tables::Column::DatasetId.eq(dataset))
        .one(&env.infra.db)
        .await
        .expect("read");
    row.map(|r| KeywordTable::from_json(&r.keyword_table).expect("Dify's JSON"))
}

fn nodes(table: &KeywordTable, keyword: &str) -> Vec<String> {
    table.nodes(keyword).map(|n| n.iter().cloned().collect()).unwrap_or_default()
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| (*w).to_owned()).collect()
}

#[tokio::test]
async fn a_table_python_dify_wrote_is_imported_searched_and_kept_current() {
    let env = TestEnv::new().await;
    let db = &env.infra.db;
    let dataset = Uuid::new_v4();
    // As Python Dify 0.3.23 stores it (json.dumps of sets as lists).
    let dify = format!(
        r#"{{"__type__": "keyword_table", "__data__": {{"index_id": "{dataset}", "summary": null, "table": {{"tea": ["n1", "n2"], "garden": ["n2"]}}}}}}"#
    );
    dataset_keyword_tables::ActiveModel { id: Set(Uuid::new_v4()), dataset_id: Set(dataset), keyword_table: Set(dify) }
        .insert(db)
        .await
        .expect("Dify's row");

    let hits = search_keywords(db, dataset, "tea garden", 5).await.expect("search");
    assert_eq!(hits, ["n2", "n1"], "more shared keywords first");

    add_keywords(db, dataset, &[("n3".into(), words(&["tea", "harvest"]))]).await.expect("add");
    let json = stored_json(&env, dataset).await.expect("json");
    assert_eq!(nodes(&json, "tea"), ["n1", "n2", "n3"], "imported rows and the new one, written back as Dify's JSON");
    assert_eq!(nodes(&json, "harvest"), ["n3"]);

    remove_keywords(db, dataset, &["n2".into()]).await.expect("remove");
    let json = stored_json(&env, dataset).await.expect("json");
    assert_eq!(nodes(&json, "tea"), ["n1", "n3"]);
    assert!(json.nodes("garden").is_none(), "a keyword left without segments is dropped, as Dify does");
    assert!(search_keywords(db, dataset, "garden", 5).await.expect("search").is_empty());
    assert_eq!(keyword_table(db, dataset).await.expect("rows"), json, "the JSON is the rows");
}

#[tokio::test]
async fn a_large_index_is_searched_at_once_and_its_json_follows_in_the_round() {
    let env = TestEnv::new().await;
    let db = &env.infra.db;
    let dataset = Uuid::new_v4();
    // 600 segments × 10 keywords: above what is rewritten inline.
    let batch: Vec<(String, Vec<String>)> =
        (0..600).map(|n| (format!("node-{n:04}"), (0..10).map(|k| format!("kw{k}")).collect())).collect();
    add_keywords(db, dataset, &batch).await.expect("add");
    assert!(stored_json(&env, dataset).await.is_none(), "a large index does not rewrite its JSON per change");
    assert_eq!(search_keywords(db, dataset, "kw3", 2).await.expect("search"), ["node-0000", "node-0001"]);

    assert_eq!(write_pending_keyword_json(db).await.expect("round"), 1);
    let json = stored_json(&env, dataset).await.expect("written by the round");
    assert_eq!(json.len(), 10);
    assert_eq!(nodes(&json, "kw7").len(), 600);
    assert_eq!(write_pending_keyword_json(db).await.expect("round"), 0, "nothing left to write");
    assert!(!write_keyword_json(db, dataset).await.expect("write"), "already current");

    // Back under the inline limit (the rows are counted as they come and go): written at once.
    let gone: Vec<String> = (0..200).map(|n| format!("node-{n:04}")).collect();
    remove_keywords(db, dataset, &gone).await.expect("remove");
    let json = stored_json(&env, dataset).await.expect("json");
    assert_eq!(nodes(&json, "kw7").len(), 400, "rewritten with the removal");
    assert_eq!(write_pending_keyword_json(db).await.expect("round"), 0);
}

#[tokio::test]
async fn concurrent_writers_of_one_dataset_lose_nothing() {
    let env = TestEnv::new().await;
    let dataset = Uuid::new_v4();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let db = env.infra.db.clone();
            tokio::spawn(async move {
                for b in 0..5 {
                    let batch: Vec<(String, Vec<String>)> = (0..4)
                        .map(|n| (format!("w{w}-b{b}-n{n}"), vec!["shared".to_owned(), format!("own{w}")]))
                        .collect();
                    add_keywords(&db, dataset, &batch).await.expect("add");
                }
                remove_keywords(&db, dataset, &[format!("w{w}-b0-n0")]).await.expect("remove");
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    let rows = keyword_table(&env.infra.db, dataset).await.expect("rows");
    assert_eq!(nodes(&rows, "shared").len(), 8 * 5 * 4 - 8);
    assert_eq!(nodes(&rows, "own3").len(), 5 * 4 - 1);
    write_keyword_json(&env.infra.db, dataset).await.expect("write");
    assert_eq!(stored_json(&env, dataset).await.expect("json"), rows, "the last JSON written is the newest");
}
