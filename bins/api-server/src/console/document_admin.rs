//! One document and its segments: `/datasets/<id>/documents/<doc_id>` (detail, delete),
//! its metadata, processing pause/resume, status actions, and the segment listing and
//! per-segment add/edit/enable/disable/delete. Reads are open to members who may open the dataset;
//! every change needs an admin or owner.

use crate::query::QueryArgs;
use actix_web::{HttpResponse, web};
use datasets::DatasetError;
use datasets::document_admin::{self, MetadataEdit, MetadataView, StatusAction};
use datasets::segment_edit::{self, SegmentInput};
use datasets::segments::{self, SegmentQuery, SegmentWithForm};
use datasets::{dataset, documents};
use entities::{datasets as dataset_rows, documents as document_rows};
use kernel::ApiError;
use uuid::Uuid;

use super::guard::{Console, Manager};
use crate::body::Body;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

const DOC: &str = "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>";

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    detail,
    delete,
    metadata,
    pause,
    resume,
    processing_other,
    status,
    list_segments,
    segment_action,
    add_segment,
    update_segment,
    delete_segment
))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", DOC, "console.documentdetailapi", web::to(detail));
    t.add("DELETE", DOC, "console.documentdeleteapi", web::to(delete));
    t.add(
        "PUT",
        "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/metadata",
        "console.documentmetadataapi",
        web::to(metadata),
    );
    t.add(
        "PATCH",
        "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/processing/pause",
        "console.documentpauseapi",
        web::to(pause),
    );
    t.add(
        "PATCH",
        "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/processing/resume",
        "console.documentrecoverapi",
        web::to(resume),
    );
    t.add(
        "PATCH",
        "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/processing/<string:action>",
        "console.documentprocessingapi",
        web::to(processing_other),
    );
    t.add(
        "PATCH",
        "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/status/<string:action>",
        "console.documentstatusapi",
        web::to(status),
    );
    t.add(
        "GET",
        "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/segments",
        "console.datasetdocumentsegmentlistapi",
        web::to(list_segments),
    );
    t.add(
        "PATCH",
        "/console/api/datasets/<uuid:dataset_id>/segments/<uuid:segment_id>/<string:action>",
        "console.datasetdocumentsegmentapi",
        web::to(segment_action),
    );
    t.add(
        "POST",
        "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/segment",
        "console.datasetdocumentsegmentaddapi",
        web::to(add_segment),
    );
    t.add(
        "PATCH",
        "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/segments/<uuid:segment_id>",
        "console.datasetdocumentsegmentupdateapi",
        web::to(update_segment),
    );
    t.add(
        "DELETE",
        "/console/api/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/segments/<uuid:segment_id>",
        "console.datasetdocumentsegmentupdateapi",
        web::to(delete_segment),
    );
}

/// The caller's dataset and document, or 404/403 as Dify answers.
async fn document_of(
    state: &AppState,
    user: &Console,
    dataset_id: Uuid,
    document_id: Uuid,
) -> Result<(dataset_rows::Model, document_rows::Model), DatasetError> {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, dataset_id).await?;
    let doc = documents::find(db, &d, document_id).await?;
    Ok((d, doc))
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}/documents/{document_id}", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path), ("metadata" = Option<String>, Query, description = "`all` (default), `only` or `without`")), responses((status = 200, description = "The document", body = datasets::document_admin::DocumentView)))]
async fn detail(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<(Uuid, Uuid)>,
    query: QueryArgs,
) -> HttpResult {
    let (dataset_id, document_id) = path.into_inner();
    let (_, doc) = document_of(&state, &user, dataset_id, document_id).await?;
    let view = MetadataView::parse(query.get("metadata"))?;
    Ok(HttpResponse::Ok().json(document_admin::detail(&state.infra.db, &doc, view).await?))
}

#[utoipa::path(delete, path = "/console/api/datasets/{dataset_id}/documents/{document_id}", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path)), responses((status = 204, description = "Deleted, with its segments and index entries")))]
async fn delete(state: web::Data<AppState>, Manager(user): Manager, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (dataset_id, document_id) = path.into_inner();
    let (d, doc) = document_of(&state, &user, dataset_id, document_id).await?;
    document_admin::delete(&state.indexer, &d, &doc).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(put, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/metadata", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path)), request_body = MetadataEdit, responses((status = 200, description = "`{\"result\": \"success\", \"message\": ...}`", body = crate::answers::SuccessMessage)))]
async fn metadata(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<MetadataEdit>,
) -> HttpResult {
    let (dataset_id, document_id) = path.into_inner();
    let (_, doc) = document_of(&state, &user, dataset_id, document_id).await?;
    document_admin::set_metadata(&state.infra.db, &doc, &body.read()?).await?;
    Ok(HttpResponse::Ok().json(crate::answers::SuccessMessage::new("Document metadata updated.")))
}

#[utoipa::path(patch, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/processing/pause", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path)), responses((status = 204, description = "Paused")))]
async fn pause(state: web::Data<AppState>, Manager(user): Manager, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (dataset_id, document_id) = path.into_inner();
    let (_, doc) = document_of(&state, &user, dataset_id, document_id).await?;
    document_admin::pause(&state.infra.db, &doc, user.account.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(patch, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/processing/resume", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path)), responses((status = 204, description = "Queued again")))]
async fn resume(state: web::Data<AppState>, Manager(user): Manager, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (dataset_id, document_id) = path.into_inner();
    let (_, doc) = document_of(&state, &user, dataset_id, document_id).await?;
    document_admin::resume(&state.infra.db, &state.infra.outbox, &doc).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(patch, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/processing/{action}", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path), ("action" = String, Path)), responses((status = 400, description = "Any action but `pause` and `resume` is `invalid_action`")))]
async fn processing_other(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<(Uuid, Uuid, String)>,
) -> HttpResult {
    let (dataset_id, document_id, _) = path.into_inner();
    document_of(&state, &user, dataset_id, document_id).await?;
    Err(DatasetError::InvalidAction("Invalid action.").into())
}

#[utoipa::path(patch, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/status/{action}", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path), ("action" = String, Path, description = "`enable`, `disable`, `archive` or `un_archive`")), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn status(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<(Uuid, Uuid, String)>,
) -> HttpResult {
    let (dataset_id, document_id, action) = path.into_inner();
    let (d, doc) = document_of(&state, &user, dataset_id, document_id).await?;
    dataset::check_model_setting(&state.infra.db, &state.engine.hosting, &d).await?;
    let action = StatusAction::parse(&action)?;
    document_admin::set_status(&state.indexer, &d, &doc, user.account.id, action).await?;
    Ok(crate::answers::success())
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/segments", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path), ("last_id" = Option<String>, Query), ("limit" = Option<u64>, Query), ("status" = Option<Vec<String>>, Query), ("hit_count_gte" = Option<i32>, Query), ("enabled" = Option<String>, Query, description = "`true`, `false` or `all`"), ("keyword" = Option<String>, Query)), responses((status = 200, description = "A page of the document's segments", body = datasets::segments::SegmentPage)))]
async fn list_segments(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<(Uuid, Uuid)>,
    query: QueryArgs,
) -> HttpResult {
    let (dataset_id, document_id) = path.into_inner();
    let (_, doc) = document_of(&state, &user, dataset_id, document_id).await?;
    let query = segment_query(&query)?;
    Ok(HttpResponse::Ok().json(segments::list(&state.infra.db, &doc, &query).await?))
}

/// Dify's reqparse arguments of the segment list (`status` repeatable), as 400s when malformed.
fn segment_query(q: &QueryArgs) -> Result<SegmentQuery, ApiError> {
    let limit = match q.get("limit") {
        None => 20,
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|l| *l >= 1)
            .ok_or_else(|| ApiError::invalid_param("limit", "limit must be a positive integer."))?,
    };
    let hit_count_gte = match q.get("hit_count_gte") {
        None | Some("") => None,
        Some(v) => Some(
            v.trim()
                .parse::<i32>()
                .map_err(|_| ApiError::invalid_param("hit_count_gte", "hit_count_gte must be an integer."))?,
        ),
    };
    let enabled = match q.get("enabled").map(str::to_lowercase).as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        // `all`, and any other value: Dify applies no filter.
        _ => None,
    };
    Ok(SegmentQuery {
        last_id: q.get("last_id").map(str::to_owned),
        limit: limit.min(segments::MAX_LIMIT),
        statuses: q.values("status").map(str::to_owned).collect(),
        hit_count_gte,
        enabled,
        keyword: q.get("keyword").filter(|k| !k.is_empty()).map(str::to_owned),
    })
}

#[utoipa::path(patch, path = "/console/api/datasets/{dataset_id}/segments/{segment_id}/{action}", tag = "documents", params(("dataset_id" = Uuid, Path), ("segment_id" = Uuid, Path), ("action" = String, Path, description = "`enable` or `disable`")), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn segment_action(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<(Uuid, Uuid, String)>,
) -> HttpResult {
    let (dataset_id, segment_id, action) = path.into_inner();
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, dataset_id).await?;
    dataset::check_model_setting(db, &state.engine.hosting, &d).await?;
    let segment = segments::find(db, &d, segment_id).await?;
    segments::set_enabled(&state.indexer, &d, user.account.id, segment, &action).await?;
    Ok(crate::answers::success())
}

#[utoipa::path(delete, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/segments/{segment_id}", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path), ("segment_id" = Uuid, Path)), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn delete_segment(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> HttpResult {
    let (dataset_id, document_id, segment_id) = path.into_inner();
    let (d, doc) = document_of(&state, &user, dataset_id, document_id).await?;
    let segment = segment_of(&state, &d, &doc, segment_id).await?;
    segments::delete(&state.indexer, &d, &segment).await?;
    Ok(crate::answers::success())
}

/// The document's segment, or 404 "Segment not found.".
async fn segment_of(
    state: &AppState,
    d: &dataset_rows::Model,
    doc: &document_rows::Model,
    segment_id: Uuid,
) -> Result<entities::document_segments::Model, ApiError> {
    let segment = segments::find(&state.infra.db, d, segment_id).await?;
    if segment.document_id != doc.id {
        return Err(ApiError::not_found("Segment not found."));
    }
    Ok(segment)
}

#[utoipa::path(post, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/segment", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path)), request_body = SegmentInput, responses((status = 200, description = "The new segment and the document's form", body = datasets::segments::SegmentWithForm)))]
async fn add_segment(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<SegmentInput>,
) -> HttpResult {
    let (dataset_id, document_id) = path.into_inner();
    let (d, doc) = document_of(&state, &user, dataset_id, document_id).await?;
    dataset::check_model_setting(&state.infra.db, &state.engine.hosting, &d).await?;
    let input = body.read()?.validated(&doc)?;
    let row = segment_edit::create(&state.indexer, &d, &doc, user.account.id, input).await?;
    Ok(HttpResponse::Ok().json(SegmentWithForm { data: segments::fields(&row), doc_form: doc.doc_form }))
}

#[utoipa::path(patch, path = "/console/api/datasets/{dataset_id}/documents/{document_id}/segments/{segment_id}", tag = "documents", params(("dataset_id" = Uuid, Path), ("document_id" = Uuid, Path), ("segment_id" = Uuid, Path)), request_body = SegmentInput, responses((status = 200, description = "The segment and the document's form", body = datasets::segments::SegmentWithForm)))]
async fn update_segment(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<(Uuid, Uuid, Uuid)>,
    body: Body<SegmentInput>,
) -> HttpResult {
    let (dataset_id, document_id, segment_id) = path.into_inner();
    let (d, doc) = document_of(&state, &user, dataset_id, document_id).await?;
    dataset::check_model_setting(&state.infra.db, &state.engine.hosting, &d).await?;
    let segment = segment_of(&state, &d, &doc, segment_id).await?;
    let input = body.read()?.validated(&doc)?;
    let row = segment_edit::update(&state.indexer, &d, &doc, user.account.id, segment, input).await?;
    Ok(HttpResponse::Ok().json(SegmentWithForm { data: segments::fields(&row), doc_form: doc.doc_form }))
}
