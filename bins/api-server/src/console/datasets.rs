//! `/datasets*`: the workspace's datasets (knowledge) — list, create, settings, delete, their
//! queries and related apps, the default process rule and the document limit.

use crate::query::QueryArgs;
use actix_web::{HttpResponse, web};
use datasets::dataset::{self, DatasetEdit, DatasetName, IndexingTechnique, NAME_HELP, Permission};
use datasets::listing::{self, Page, Selection};
use datasets::process_rule;
use kernel::ApiError;
use serde::Deserialize;
use uuid::Uuid;

use super::guard::{Console, Manager};
use crate::body::{self, Body};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /datasets`.
#[derive(Deserialize, utoipa::ToSchema)]
struct CreateDataset {
    /// Required (refused with Dify's help when missing).
    name: Option<DatasetName>,
    indexing_technique: Option<IndexingTechnique>,
}

/// `PATCH /datasets/<id>`, read with its nulls: a null `description` clears it, a null `name`
/// is refused; other nulls leave the field as it is.
#[derive(Deserialize, utoipa::ToSchema)]
struct EditDataset {
    #[serde(default, deserialize_with = "body::sent")]
    name: Option<DatasetName>,
    #[serde(default, deserialize_with = "body::nullable")]
    #[schema(value_type = Option<String>, max_length = 400)]
    description: Option<Option<Description>>,
    permission: Option<Permission>,
    indexing_technique: Option<IndexingTechnique>,
}

/// A dataset's description: at most 400 characters.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct Description(String);

impl TryFrom<String> for Description {
    type Error = &'static str;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.chars().count() > 400 {
            return Err("Description cannot exceed 400 characters.");
        }
        Ok(Self(s))
    }
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, detail, update, delete, queries, related_apps, process_rule, limit))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/datasets", "console.datasetlistapi", web::to(list));
    t.add("POST", "/console/api/datasets", "console.datasetlistapi", web::to(create));
    t.add("GET", "/console/api/datasets/<uuid:dataset_id>", "console.datasetapi", web::to(detail));
    t.add("PATCH", "/console/api/datasets/<uuid:dataset_id>", "console.datasetapi", web::to(update));
    t.add("DELETE", "/console/api/datasets/<uuid:dataset_id>", "console.datasetapi", web::to(delete));
    t.add("GET", "/console/api/datasets/<uuid:dataset_id>/queries", "console.datasetqueryapi", web::to(queries));
    t.add(
        "GET",
        "/console/api/datasets/<uuid:dataset_id>/related-apps",
        "console.datasetrelatedapplistapi",
        web::to(related_apps),
    );
    t.add("GET", "/console/api/datasets/process-rule", "console.getprocessruleapi", web::to(process_rule));
    t.add("GET", "/console/api/datasets/limit", "console.documentlimitapi", web::to(limit));
}

/// The query string as (name, value) pairs; repeated names (`ids=a&ids=b`) are kept.
/// Dify's lenient `page` and `limit` of the dataset lists (`paginate` without `error_out`).
fn page_of(query: &QueryArgs) -> Result<Page, ApiError> {
    Page::lenient(query.get("page"), query.get("limit"))
}

#[utoipa::path(get, path = "/console/api/datasets", tag = "datasets", params(("page" = Option<u64>, Query), ("limit" = Option<u64>, Query), ("provider" = Option<String>, Query, description = "Default `vendor`"), ("ids" = Option<Vec<Uuid>>, Query, description = "These datasets (at most 100), all on one page; also `ids[]`")), responses((status = 200, description = "A page of the datasets the caller may open", body = datasets::listing::NumberedPage<datasets::listing::DatasetDetail>)))]
async fn list(state: web::Data<AppState>, user: Console, query: QueryArgs) -> HttpResult {
    let pairs = query.pairs();
    let ids: Vec<&str> = pairs.iter().filter(|(k, _)| k == "ids" || k == "ids[]").map(|(_, v)| v.as_str()).collect();
    let (selection, page) = if ids.is_empty() {
        let provider = query.get("provider").unwrap_or("vendor").to_string();
        (Selection::Visible { account_id: user.account.id, provider }, page_of(&query)?)
    } else {
        let mut ids = ids
            .iter()
            .map(|v| v.parse::<Uuid>().map_err(|_| ApiError::invalid_param("ids", format!("{v} is not a valid uuid."))))
            .collect::<Result<Vec<_>, _>>()?;
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > 100 {
            return Err(ApiError::invalid_param("ids", "At most 100 ids.").into());
        }
        // As Dify: the named datasets, all on one page.
        let page = Page { page: 1, limit: ids.len() as u64 };
        (Selection::Ids(ids), page)
    };
    let body = listing::list(&state.infra.db, &state.engine.hosting, user.tenant_id(), selection, page).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(post, path = "/console/api/datasets", tag = "datasets", request_body = CreateDataset, responses((status = 201, description = "The new dataset", body = datasets::listing::DatasetDetail)))]
async fn create(state: web::Data<AppState>, user: Manager, body: Body<CreateDataset>) -> HttpResult {
    let user = user.0;
    let CreateDataset { name, indexing_technique } = body.read()?;
    let name = name.ok_or_else(|| ApiError::invalid_param("name", NAME_HELP))?;
    let db = &state.infra.db;
    let d =
        dataset::create(db, &state.engine.hosting, user.tenant_id(), user.account.id, name, indexing_technique).await?;
    Ok(HttpResponse::Created().json(listing::detail(db, &state.engine.hosting, &d, false).await?))
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}", tag = "datasets", params(("dataset_id" = Uuid, Path)), responses((status = 200, description = "The dataset", body = datasets::listing::DatasetDetail)))]
async fn detail(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(listing::detail(db, &state.engine.hosting, &d, true).await?))
}

#[utoipa::path(patch, path = "/console/api/datasets/{dataset_id}", tag = "datasets", params(("dataset_id" = Uuid, Path)), request_body = EditDataset, responses((status = 200, description = "The dataset", body = datasets::listing::DatasetDetail)))]
async fn update(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: Body<EditDataset>,
) -> HttpResult {
    let user = user.0;
    let db = &state.infra.db;
    let d = dataset::find(db, user.tenant_id(), path.into_inner()).await?;
    dataset::check_model_setting(db, &state.engine.hosting, &d).await?;
    let EditDataset { name, description, permission, indexing_technique } = body.read_keeping_nulls()?;
    let edit = DatasetEdit { name, description: description.map(|d| d.map(|d| d.0)), permission, indexing_technique };
    if !dataset::can_access(&d, user.account.id) {
        return Err(datasets::DatasetError::NoPermission.into());
    }
    let d = dataset::update(db, &state.infra.outbox, &state.engine.hosting, d, user.account.id, edit).await?;
    Ok(HttpResponse::Ok().json(listing::detail(db, &state.engine.hosting, &d, false).await?))
}

#[utoipa::path(delete, path = "/console/api/datasets/{dataset_id}", tag = "datasets", params(("dataset_id" = Uuid, Path)), responses((status = 204, description = "Deleted, with its documents and vectors")))]
async fn delete(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let user = user.0;
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    let files = dataset::source_files(db, &d).await?;
    dataset::delete(db, &d).await?;
    datasets::vectors::drop_deleted(&state.indexer, &d).await;
    datasets::upload::remove_orphans(db, state.infra.storage.as_ref(), d.tenant_id, &files).await;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}/queries", tag = "datasets", params(("dataset_id" = Uuid, Path), ("page" = Option<u64>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "A page of the dataset's queries", body = datasets::listing::NumberedPage<datasets::listing::DatasetQuery>)))]
async fn queries(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>, query: QueryArgs) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(listing::queries(db, d.id, page_of(&query)?).await?))
}

#[utoipa::path(get, path = "/console/api/datasets/{dataset_id}/related-apps", tag = "datasets", params(("dataset_id" = Uuid, Path)), responses((status = 200, description = "The apps using the dataset", body = datasets::listing::RelatedApps)))]
async fn related_apps(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let db = &state.infra.db;
    let d = dataset::find_accessible(db, user.tenant_id(), user.account.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(listing::related_apps(db, user.tenant_id(), d.id).await?))
}

#[utoipa::path(get, path = "/console/api/datasets/process-rule", tag = "datasets", params(("document_id" = Option<Uuid>, Query, description = "The document whose rule to read; the default rule otherwise")), responses((status = 200, description = "A process rule and its limits", body = datasets::process_rule::ProcessRuleFields)))]
async fn process_rule(state: web::Data<AppState>, user: Console, query: QueryArgs) -> HttpResult {
    let document_id = match query.get("document_id").filter(|v| !v.is_empty()) {
        None => None,
        // Not a document id at all: no such document.
        Some(v) => Some(v.parse::<Uuid>().map_err(|_| ApiError::not_found("Document not found."))?),
    };
    let body = process_rule::for_document(&state.infra.db, user.tenant_id(), user.account.id, document_id).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(get, path = "/console/api/datasets/limit", tag = "datasets", responses((status = 200, description = "The workspace's document limit", body = datasets::listing::DocumentLimit)))]
async fn limit(state: web::Data<AppState>, user: Console) -> HttpResult {
    let body = listing::document_limit(&state.infra.db, user.tenant_id(), state.config.tenant_document_count).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::body::{parse, parse_keeping_nulls};

    fn refusal<T: serde::de::DeserializeOwned>(r: Result<T, ApiError>) -> (Option<String>, String) {
        let e = r.err().expect("refused");
        (e.params, e.message)
    }

    #[test]
    fn edits_tell_a_null_from_an_absent_field() {
        let e: EditDataset = parse_keeping_nulls(json!({"description": null, "permission": null})).expect("ok");
        assert!(matches!(e.description, Some(None)) && e.permission.is_none() && e.name.is_none());
        let e: EditDataset = parse_keeping_nulls(json!({"permission": "only_me"})).expect("ok");
        assert!(e.description.is_none() && e.permission == Some(Permission::OnlyMe));
        let name = Some("name".to_owned());
        assert_eq!(
            refusal(parse_keeping_nulls::<EditDataset>(json!({"name": null}))),
            (name.clone(), NAME_HELP.into())
        );
        assert_eq!(refusal(parse_keeping_nulls::<EditDataset>(json!({"name": 7}))), (name, NAME_HELP.into()));
        let long = json!({"description": "d".repeat(401)});
        let said = (Some("description".to_owned()), "Description cannot exceed 400 characters.".to_owned());
        assert_eq!(refusal(parse_keeping_nulls::<EditDataset>(long)), said);
        let said = (Some("permission".to_owned()), "Invalid permission.".to_owned());
        assert_eq!(refusal(parse_keeping_nulls::<EditDataset>(json!({"permission": "everyone"}))), said);
    }

    #[test]
    fn creation_reads_a_missing_name_as_none_and_refuses_bad_choices() {
        let c: CreateDataset = parse(json!({"name": null, "indexing_technique": null})).expect("ok");
        assert!(c.name.is_none() && c.indexing_technique.is_none());
        let said = (Some("indexing_technique".to_owned()), "Invalid indexing technique.".to_owned());
        assert_eq!(refusal(parse::<CreateDataset>(json!({"name": "x", "indexing_technique": 1}))), said);
    }
}
