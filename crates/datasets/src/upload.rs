//! Upload files: the types a dataset accepts (checked on the bytes, not only the name), the
//! size limit, storage under `upload_files/<tenant>/<uuid>.<ext>`, and the `upload_files` row.

use crate::DatasetError;
use bytes::Bytes;
use entities::upload_files;
use infra::storage::Storage;
use kernel::ApiError;
use kernel::time::{now_naive, unix_seconds};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::Value;
use sha3::{Digest, Sha3_256};
use uuid::Uuid;

use crate::zip_names;

/// The extensions Dify 0.3.23 accepts for dataset documents.
pub const ALLOWED_EXTENSIONS: [&str; 9] = ["txt", "markdown", "md", "pdf", "html", "htm", "xlsx", "docx", "csv"];

/// How many characters of extracted text a preview shows.
pub const PREVIEW_CHARS: usize = 3000;

/// The longest file name kept (the column is `varchar(255)`).
const MAX_NAME_CHARS: usize = 255;

/// What an upload's bytes turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// UTF-8 text: txt, markdown, md, html, htm, csv.
    Text,
    Pdf,
    Docx,
    Xlsx,
}

fn file_not_found() -> ApiError {
    ApiError::not_found("File not found")
}

/// The lowercased extension of `name` when it is one Dify accepts.
pub fn allowed_extension(name: &str) -> Option<String> {
    let (_, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    ALLOWED_EXTENSIONS.contains(&ext.as_str()).then_some(ext)
}

/// Checks that `bytes` really are what `ext` claims: `%PDF-` near the start for pdf, a zip
/// holding the main part of a Word or Excel document for docx/xlsx, and UTF-8 text without
/// NUL bytes for the text types.
pub fn sniff(ext: &str, bytes: &[u8]) -> Result<FileKind, DatasetError> {
    let kind = match ext {
        "pdf" => FileKind::Pdf,
        "docx" => FileKind::Docx,
        "xlsx" => FileKind::Xlsx,
        "txt" | "markdown" | "md" | "html" | "htm" | "csv" => FileKind::Text,
        _ => return Err(DatasetError::UnsupportedFileType),
    };
    let ok = match kind {
        // The PDF header may follow a little junk; readers look in the first kilobyte.
        FileKind::Pdf => bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-"),
        FileKind::Docx => zip_has(bytes, "word/document.xml"),
        FileKind::Xlsx => zip_has(bytes, "xl/workbook.xml"),
        FileKind::Text => !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok(),
    };
    if ok { Ok(kind) } else { Err(DatasetError::UnsupportedFileType) }
}

fn zip_has(bytes: &[u8], entry: &str) -> bool {
    zip_names::entry_names(bytes).is_some_and(|names| names.iter().any(|n| n == entry))
}

/// The MIME type recorded for a kind of file (from what the bytes are, not what the client said).
fn mime_for(ext: &str) -> &'static str {
    match ext {
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "html" | "htm" => "text/html",
        "csv" => "text/csv",
        "md" | "markdown" => "text/markdown",
        _ => "text/plain",
    }
}

/// The file name as stored: its last path segment (some clients send a path), without control
/// characters, at most 255 characters with the extension kept.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let name: String = base.chars().filter(|c| !c.is_control()).collect();
    if name.chars().count() <= MAX_NAME_CHARS {
        return name;
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((&name, ""));
    let keep = MAX_NAME_CHARS.saturating_sub(ext.chars().count() + 1);
    format!("{}.{ext}", stem.chars().take(keep).collect::<String>())
}

/// One file received from the client.
#[derive(Debug)]
pub struct Upload {
    pub filename: String,
    pub bytes: Bytes,
}

/// Who uploads, and where the bytes go.
#[derive(Debug, Clone, Copy)]
pub struct Uploader<'a> {
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    /// `STORAGE_TYPE` as recorded in the row (`local` or `s3`).
    pub storage_type: &'a str,
    /// `UPLOAD_FILE_SIZE_LIMIT` in bytes.
    pub size_limit: u64,
}

/// Checks and stores an upload; the row is written only once the bytes are saved.
pub async fn save(
    db: &impl ConnectionTrait,
    storage: &dyn Storage,
    who: Uploader<'_>,
    upload: Upload,
) -> Result<upload_files::Model, DatasetError> {
    let size = upload.bytes.len() as u64;
    if size == 0 {
        return Err(DatasetError::NoFileUploaded);
    }
    if size > who.size_limit {
        return Err(DatasetError::FileTooLarge { size, limit: who.size_limit });
    }
    let name = clean_name(&upload.filename);
    let ext = allowed_extension(&name).ok_or(DatasetError::UnsupportedFileType)?;
    // Sniffing and hashing up to the size limit is CPU work: off the async threads.
    let bytes = upload.bytes.clone();
    let check_ext = ext.clone();
    let hash = tokio::task::spawn_blocking(move || {
        sniff(&check_ext, &bytes)?;
        Ok::<_, DatasetError>(hex::encode(Sha3_256::digest(&bytes)))
    })
    .await
    .map_err(|e| ApiError::internal_because("the upload check task failed", e))??;
    let id = Uuid::new_v4();
    let key = format!("upload_files/{}/{id}.{ext}", who.tenant_id);
    storage.save(&key, upload.bytes).await.map_err(|e| {
        tracing::error!(error = %e, %key, "saving an upload failed");
        ApiError::internal()
    })?;
    let row = upload_files::ActiveModel {
        id: Set(id),
        tenant_id: Set(who.tenant_id),
        storage_type: Set(who.storage_type.to_string()),
        key: Set(key.clone()),
        name: Set(name),
        size: Set(i32::try_from(size).unwrap_or(i32::MAX)),
        extension: Set(ext.clone()),
        mime_type: Set(Some(mime_for(&ext).to_string())),
        created_by: Set(who.account_id),
        created_at: Set(now_naive()),
        used: Set(false),
        used_by: Set(None),
        used_at: Set(None),
        hash: Set(Some(hash)),
    };
    match row.insert(db).await {
        Ok(row) => Ok(row),
        Err(e) => {
            // No row names the object: remove it rather than leave an orphan behind.
            if let Err(cleanup) = storage.delete(&key).await {
                tracing::warn!(error = %cleanup, %key, "removing an unrecorded upload failed");
            }
            Err(e.into())
        }
    }
}

/// Dify's `file_fields`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FileFields {
    pub id: Uuid,
    pub name: String,
    pub size: i32,
    pub extension: String,
    pub mime_type: Option<String>,
    pub created_by: Uuid,
    /// Unix seconds.
    pub created_at: i64,
}

/// Dify's `file_fields` of a row.
pub fn fields(f: &upload_files::Model) -> FileFields {
    FileFields {
        id: f.id,
        name: f.name.clone(),
        size: f.size,
        extension: f.extension.clone(),
        mime_type: f.mime_type.clone(),
        created_by: f.created_by,
        created_at: unix_seconds(f.created_at),
    }
}

/// `GET /files/<id>/preview`: the start of the file's text.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FilePreview {
    pub content: String,
}

/// The upload a document was made from (`data_source_info.upload_file_id`).
pub fn source_file(d: &entities::documents::Model) -> Option<Uuid> {
    let info: Value = serde_json::from_str(d.data_source_info.as_deref()?).ok()?;
    info.get("upload_file_id")?.as_str()?.parse().ok()
}

/// Removes uploads no document of the workspace is made from any more (after documents or
/// datasets are deleted): the stored file, then its row. Best effort: failures are logged.
pub async fn remove_orphans(db: &impl ConnectionTrait, storage: &dyn Storage, tenant_id: Uuid, file_ids: &[Uuid]) {
    use entities::documents;
    for id in file_ids {
        let needle = format!("%{id}%");
        let still_used = documents::Entity::find()
            .filter(documents::Column::TenantId.eq(tenant_id))
            .filter(documents::Column::DataSourceInfo.like(needle))
            .one(db)
            .await;
        let file = match still_used {
            Ok(Some(_)) => continue,
            Ok(None) => {
                upload_files::Entity::find_by_id(*id).filter(upload_files::Column::TenantId.eq(tenant_id)).one(db).await
            }
            Err(e) => Err(e),
        };
        let file = match file {
            Ok(Some(f)) => f,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, file_id = %id, "cannot check an upload for removal");
                continue;
            }
        };
        if let Err(e) = storage.delete(&file.key).await {
            tracing::warn!(error = %e, key = %file.key, "cannot remove an orphaned upload");
            continue;
        }
        if let Err(e) = upload_files::Entity::delete_by_id(file.id).exec(db).await {
            tracing::warn!(error = %e, file_id = %id, "cannot remove an orphaned upload row");
        }
    }
}

/// The workspace's upload file; another workspace's is 404 like a missing one.
pub async fn find(db: &impl ConnectionTrait, tenant_id: Uuid, id: Uuid) -> Result<upload_files::Model, ApiError> {
    upload_files::Entity::find_by_id(id)
        .filter(upload_files::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or_else(file_not_found)
}

/// `{content}`: the first 3000 characters of the file's text.
pub async fn preview(
    db: &impl ConnectionTrait,
    storage: &dyn Storage,
    extractor: &rag::extract::Extractor,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<FilePreview, DatasetError> {
    let file = find(db, tenant_id, id).await?;
    let ext = file.extension.to_ascii_lowercase();
    if !ALLOWED_EXTENSIONS.contains(&ext.as_str()) {
        return Err(DatasetError::UnsupportedFileType);
    }
    let bytes = storage.load(&file.key).await.map_err(|e| match e {
        infra::InfraError::NotFound(_) => file_not_found(),
        other => {
            tracing::error!(error = %other, key = %file.key, "loading an upload failed");
            ApiError::internal()
        }
    })?;
    let text = crate::extract::extract_text_sandboxed(extractor, &ext, bytes.to_vec()).await?;
    let content: String = text.chars().take(PREVIEW_CHARS).collect();
    Ok(FilePreview { content })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zip_names::tests::zip_of;

    #[test]
    fn bytes_must_match_the_extension() {
        assert_eq!(sniff("pdf", b"%PDF-1.4\n%..."), Ok(FileKind::Pdf));
        assert_eq!(sniff("pdf", b"MZ\x90\x00\x03 this is an exe"), Err(DatasetError::UnsupportedFileType));
        let docx = zip_of(&[("[Content_Types].xml", b"<x/>"), ("word/document.xml", b"<w:document/>")]);
        let xlsx = zip_of(&[("xl/workbook.xml", b"<workbook/>")]);
        assert_eq!(sniff("docx", &docx), Ok(FileKind::Docx));
        assert!(sniff("xlsx", &docx).is_err(), "a Word document named .xlsx");
        assert_eq!(sniff("xlsx", &xlsx), Ok(FileKind::Xlsx));
        assert!(sniff("docx", &zip_of(&[("evil.exe", b"MZ")])).is_err(), "any zip is not a docx");
        assert_eq!(sniff("md", "# Título\n".as_bytes()), Ok(FileKind::Text));
        assert!(sniff("txt", b"abc\0def").is_err(), "NUL bytes");
        assert!(sniff("csv", b"caf\xe9").is_err(), "not UTF-8");
        assert!(sniff("exe", b"hello").is_err());
    }

    #[test]
    fn names_keep_their_last_segment_and_extension() {
        assert_eq!(clean_name("C:\\Users\\me\\notes.txt"), "notes.txt");
        assert_eq!(clean_name("../../etc/passwd.md"), "passwd.md");
        assert_eq!(clean_name("a\u{0}b\n.txt"), "ab.txt");
        let long = format!("{}.pdf", "x".repeat(300));
        let cleaned = clean_name(&long);
        assert_eq!(cleaned.chars().count(), 255);
        assert!(cleaned.ends_with(".pdf"));
        assert_eq!(allowed_extension("Report.PDF").as_deref(), Some("pdf"));
        assert_eq!(allowed_extension("noext"), None);
        assert_eq!(allowed_extension("x.exe"), None);
    }
}
