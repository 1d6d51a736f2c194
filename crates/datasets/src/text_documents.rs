//! Documents created from plain text by the dataset service API (`POST /v1/documents`): the
//! text is stored as a `.txt` upload, then it becomes a document like any console upload,
//! under the dataset's latest process rule, marked `created_from='api'`.

use crate::DatasetError;
use bytes::Bytes;
use entities::dataset_process_rules::ProcessMode;
use entities::documents::DocForm;
use entities::{dataset_process_rules as rules, datasets, documents};
use kernel::ApiError;
use providers::hosted::Hosting;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Map, Value};

use crate::documents::NewDocuments;
use crate::upload::{self, Upload, Uploader};

/// Dify's `DOCUMENT_METADATA_SCHEMA`: the metadata keys of each document type (all strings),
/// and `others`, whose metadata is kept as given.
pub const DOCUMENT_METADATA_SCHEMA: &[(&str, &[&str])] = &[
    ("book", &["title", "language", "author", "publisher", "publication_date", "isbn", "category"]),
    ("web_page", &["title", "url", "language", "publish_date", "author/publisher", "topic/keywords", "description"]),
    (
        "paper",
        &[
            "title",
            "language",
            "author",
            "publish_date",
            "journal/conference_name",
            "volume/issue/page_numbers",
            "doi",
            "topic/keywords",
            "abstract",
        ],
    ),
    ("social_media_post", &["platform", "author/username", "publish_date", "post_url", "topic/tags"]),
    (
        "wikipedia_entry",
        &["title", "language", "web_page_url", "last_edit_date", "editor/contributor", "summary/introduction"],
    ),
    (
        "personal_document",
        &["title", "author", "creation_date", "last_modified_date", "document_type", "tags/category"],
    ),
    (
        "business_document",
        &["title", "author", "creation_date", "last_modified_date", "document_type", "department/team"],
    ),
    ("im_chat_log", &["chat_platform", "chat_participants/group_name", "start_date", "end_date", "summary"]),
    (
        "synced_from_notion",
        &[
            "title",
            "language",
            "author/creator",
            "creation_date",
            "last_modified_date",
            "notion_page_link",
            "category/tags",
            "description",
        ],
    ),
    (
        "synced_from_github",
        &[
            "repository_name",
            "repository_description",
            "repository_owner/organization",
            "code_filename",
            "code_file_path",
            "programming_language",
            "github_link",
            "open_source_license",
            "commit_date",
            "commit_author",
        ],
    ),
    ("others", &[]),
];

/// The metadata Dify keeps for a document type: the schema's keys with string values
/// (`others`: everything). None for an unknown type.
pub fn filter_metadata(doc_type: &str, metadata: &Map<String, Value>) -> Option<Map<String, Value>> {
    let (_, keys) = DOCUMENT_METADATA_SCHEMA.iter().find(|(t, _)| *t == doc_type)?;
    if doc_type == "others" {
        return Some(metadata.clone());
    }
    Some(
        keys.iter()
            .filter_map(|k| metadata.get(*k).filter(|v| v.is_string()).map(|v| ((*k).to_owned(), v.clone())))
            .collect(),
    )
}

/// A validated `POST /v1/documents` body.
#[derive(Debug, Clone, PartialEq)]
pub struct TextDocument {
    pub name: String,
    pub text: String,
    pub doc_type: Option<String>,
    pub doc_metadata: Option<Map<String, Value>>,
}

impl TextDocument {
    /// Dify's checks on what reqparse read: a name that is not blank, some text, and a known
    /// `doc_type` (`""` is none; anything else is `Invalid doc_type.`).
    pub fn new(
        name: String,
        text: String,
        doc_type: Option<Value>,
        doc_metadata: Option<Map<String, Value>>,
    ) -> Result<Self, ApiError> {
        if name.trim().is_empty() {
            return Err(ApiError::invalid_param("name", "name must not be empty."));
        }
        if text.is_empty() {
            return Err(ApiError::invalid_param("text", "text must not be empty."));
        }
        let doc_type = match doc_type {
            None => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) if DOCUMENT_METADATA_SCHEMA.iter().any(|(t, _)| *t == s) => Some(s),
            Some(_) => return Err(ApiError::value_error("Invalid doc_type.")),
        };
        Ok(Self { name, text, doc_type, doc_metadata })
    }
}

/// Stores the text as an upload and creates its document (status `waiting`) with its
/// indexing queued. A dataset without a process rule yet uses the automatic one (Dify: 500).
pub async fn create(
    db: &DatabaseConnection,
    outbox: &infra::outbox::Outbox,
    storage: &dyn infra::storage::Storage,
    hosting: &Hosting,
    storage_type: &'static str,
    dataset: &datasets::Model,
    doc: TextDocument,
) -> Result<documents::Model, DatasetError> {
    if dataset.indexing_technique.is_none() {
        return Err(DatasetError::NotInited);
    }
    let who = Uploader {
        tenant_id: dataset.tenant_id,
        account_id: dataset.created_by,
        storage_type,
        // Dify sets no limit on API text.
        size_limit: u64::MAX,
    };
    let file = Upload { filename: format!("{}.txt", doc.name), bytes: Bytes::from(doc.text.into_bytes()) };
    let file = upload::save(db, storage, who, file).await?;
    let latest = rules::Entity::find()
        .filter(rules::Column::DatasetId.eq(dataset.id))
        .order_by_desc(rules::Column::CreatedAt)
        .one(db)
        .await?;
    let process_rule = match latest {
        Some(r) if r.mode == ProcessMode::Custom => {
            let rules = r.rules.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok());
            (ProcessMode::Custom, rules)
        }
        _ => (ProcessMode::Automatic, None),
    };
    let args = NewDocuments {
        indexing_technique: None,
        file_ids: vec![file.id],
        process_rule,
        doc_form: DocForm::TextModel,
        doc_language: "English".into(),
    };
    let (_, created, _) = crate::documents::create(db, outbox, hosting, dataset, dataset.created_by, &args).await?;
    let created = created.into_iter().next().ok_or_else(ApiError::internal)?;
    let mut row = documents::ActiveModel { id: Set(created.id), ..Default::default() };
    row.created_from = Set(entities::documents::CreatedFrom::Api);
    if let (Some(t), Some(m)) = (&doc.doc_type, &doc.doc_metadata) {
        row.doc_type = Set(Some(t.clone()));
        row.doc_metadata = Set(filter_metadata(t, m).map(Value::Object));
    }
    Ok(row.update(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_keeps_schema_strings() {
        let m = json!({"title": "T", "isbn": 5, "extra": "x"}).as_object().cloned().expect("o");
        assert_eq!(filter_metadata("book", &m), Some(json!({"title": "T"}).as_object().cloned().expect("o")));
        assert_eq!(filter_metadata("others", &m), Some(m.clone()));
        assert_eq!(filter_metadata("comic", &m), None);
    }

    #[test]
    fn bodies_are_checked() {
        let new = |name: &str, text: &str, doc_type: Option<Value>| {
            TextDocument::new(name.into(), text.into(), doc_type, Some(Map::new()))
        };
        assert_eq!(new(" ", "t", None).map_err(|e| e.params), Err(Some("name".into())));
        assert_eq!(new("n", "", None).map_err(|e| e.message), Err("text must not be empty.".into()));
        let e = new("n", "t", Some(json!("comic"))).expect_err("bad type");
        assert_eq!(e.message, "Invalid doc_type.");
        assert_eq!(new("n", "t", Some(json!(1))).map_err(|e| e.message), Err("Invalid doc_type.".into()));
        assert_eq!(new("n", "t", Some(json!(""))).map(|d| d.doc_type), Ok(None));
        assert_eq!(new("n", "t", Some(json!("book"))).map(|d| d.doc_type), Ok(Some("book".into())));
    }
}
