//! Rows a dataset test or benchmark starts from, written straight through the entities: a
//! workspace with OpenAI pointed at a fake server, a high-quality dataset with a process
//! rule, and uploaded text documents waiting to be indexed.

use entities::{dataset_process_rules, datasets, documents, providers, upload_files};
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;
use uuid::Uuid;

use crate::TestEnv;
use crate::fake_openai::{FAKE_API_KEY, FakeOpenAi};

/// The seeded dataset and its documents, in the order given.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub tenant_id: Uuid,
    pub dataset_id: Uuid,
    pub document_ids: Vec<Uuid>,
}

/// A workspace using OpenAI at `fake`, a high-quality dataset with a `custom` process rule
/// (`rules` JSON), and one `waiting` text document per `(name, text)`.
pub async fn high_quality_dataset(env: &TestEnv, fake: &FakeOpenAi, rules: &str, docs: &[(&str, String)]) -> Seeded {
    dataset(env, &fake.base_url(), true, rules, docs).await
}

/// Like [`high_quality_dataset`], for a vendor at `fake_base`, high quality or economy.
pub async fn dataset(
    env: &TestEnv,
    fake_base: &str,
    high_quality: bool,
    rules: &str,
    docs: &[(&str, String)],
) -> Seeded {
    let db = &env.infra.db;
    let tenant = accounts::tenant::NewTenant::prepare(env.infra.storage.as_ref())
        .await
        .expect("keys")
        .insert(db, "Seeded")
        .await
        .expect("tenant");
    let now = now_naive();
    let key = kernel::crypto::encrypt(FAKE_API_KEY, tenant.encrypt_public_key.as_deref().expect("pk")).expect("enc");
    providers::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant.id),
        provider_name: Set("openai".into()),
        provider_type: Set(entities::providers::ProviderType::Custom),
        encrypted_config: Set(Some(json!({"openai_api_key": key, "openai_api_base": fake_base}).to_string())),
        is_valid: Set(true),
        last_used: Set(None),
        quota_type: Set(Some(entities::providers::QuotaType::NotHosted)),
        quota_limit: Set(None),
        quota_used: Set(Some(0)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("provider");
    let account = Uuid::new_v4();
    let dataset_id = Uuid::new_v4();
    datasets::ActiveModel {
        id: Set(dataset_id),
        tenant_id: Set(tenant.id),
        name: Set("Seeded".into()),
        description: Set(None),
        provider: Set("vendor".into()),
        permission: Set(entities::datasets::Permission::OnlyMe),
        data_source_type: Set(Some(entities::kinds::DataSourceType::UploadFile)),
        indexing_technique: Set(Some(if high_quality {
            entities::datasets::IndexingTechnique::HighQuality
        } else {
            entities::datasets::IndexingTechnique::Economy
        })),
        index_struct: Set(None),
        created_by: Set(account),
        created_at: Set(now),
        updated_by: Set(None),
        updated_at: Set(now),
        embedding_model: Set(high_quality.then(|| "text-embedding-ada-002".into())),
        embedding_model_provider: Set(high_quality.then(|| "openai".into())),
        collection_binding_id: Set(None),
    }
    .insert(db)
    .await
    .expect("dataset");
    let rule_id = Uuid::new_v4();
    dataset_process_rules::ActiveModel {
        id: Set(rule_id),
        dataset_id: Set(dataset_id),
        mode: Set(entities::dataset_process_rules::ProcessMode::Custom),
        rules: Set(Some(rules.into())),
        created_by: Set(account),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .expect("rule");
    let mut document_ids = Vec::with_capacity(docs.len());
    for (position, (name, text)) in docs.iter().enumerate() {
        let file_id = Uuid::new_v4();
        let file_key = format!("upload_files/{}/{file_id}.txt", tenant.id);
        env.infra.storage.save(&file_key, text.clone().into_bytes().into()).await.expect("store file");
        upload_files::ActiveModel {
            id: Set(file_id),
            tenant_id: Set(tenant.id),
            storage_type: Set("local".into()),
            key: Set(file_key),
            name: Set((*name).into()),
            size: Set(i32::try_from(text.len()).unwrap_or(i32::MAX)),
            extension: Set("txt".into()),
            mime_type: Set(Some("text/plain".into())),
            created_by: Set(account),
            created_at: Set(now),
            used: Set(true),
            used_by: Set(Some(account)),
            used_at: Set(Some(now)),
            hash: Set(None),
        }
        .insert(db)
        .await
        .expect("upload row");
        let doc_id = Uuid::new_v4();
        documents::ActiveModel {
            id: Set(doc_id),
            tenant_id: Set(tenant.id),
            dataset_id: Set(dataset_id),
            position: Set(i32::try_from(position + 1).unwrap_or(i32::MAX)),
            data_source_type: Set(entities::kinds::DataSourceType::UploadFile),
            data_source_info: Set(Some(json!({"upload_file_id": file_id.to_string()}).to_string())),
            dataset_process_rule_id: Set(Some(rule_id)),
            batch: Set("20261204000000123456".into()),
            name: Set((*name).into()),
            created_from: Set(entities::documents::CreatedFrom::Web),
            created_by: Set(account),
            created_at: Set(now),
            indexing_status: Set(entities::documents::IndexingStatus::Waiting),
            enabled: Set(true),
            archived: Set(false),
            is_paused: Set(Some(false)),
            updated_at: Set(now),
            doc_form: Set(entities::documents::DocForm::TextModel),
            doc_language: Set(Some("English".into())),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("document");
        document_ids.push(doc_id);
    }
    Seeded { tenant_id: tenant.id, dataset_id, document_ids }
}
