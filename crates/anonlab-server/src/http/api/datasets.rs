//! Datasets: raw tables, uploaded by data owners and admins, sealed in the
//! vault. Only the uploader and admins ever see one — its metadata or its
//! contents; researchers are refused (403) whatever the id. Every read is
//! audited (`dataset.metadata`, `dataset.list`, `dataset.read`) before the
//! data leaves, and every refusal is audited as denied.

use anonlab_arena::accounts::{Role, User};
use anonlab_arena::catalog::Dataset;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ApiCaller, ApiQuery, allowed, failed, guard};
use crate::http::AppState;
use crate::http::denied;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extractor::{Caller, ClientAddr};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        // The upload reads its body itself, up to the configured limit (the
        // router's body limit is a little above it), not axum's 2 MB default.
        .route("/api/v1/datasets", post(upload_dataset).layer(DefaultBodyLimit::disable()).get(list_datasets))
        .route("/api/v1/datasets/{id}", get(get_dataset))
        .route("/api/v1/datasets/{id}/download", get(download_dataset))
}

/// Who may handle datasets at all.
const DATA_ROLES: &[Role] = &[Role::DataOwner, Role::Admin];

/// The query of an upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// A name for people (1 to 120 characters).
    pub name: Option<String>,
}

/// Whether the body's declared type is one an upload may have.
fn upload_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(essence.as_str(), "text/csv" | "application/octet-stream")
}

/// Uploads a CSV table: validated (it must parse, with a header and at least
/// one row), sealed in the vault and checksummed.
///
/// Data owners and admins only; uploads are rate-limited per client and audited.
#[utoipa::path(
    post,
    path = "/api/v1/datasets",
    tag = "datasets",
    security(("bearer" = []), ("session" = [])),
    params(UploadParams),
    request_body(
        description = "The table as CSV (delimiter detected; the first line is the header).",
        content(("text/csv"), ("application/octet-stream"))
    ),
    responses(
        (status = 201, description = "The stored dataset.", body = Dataset),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not a data owner or admin.", body = ErrorBody),
        (status = 413, description = "Larger than the configured limit.", body = ErrorBody),
        (status = 415, description = "Not text/csv or application/octet-stream.", body = ErrorBody),
        (status = 422, description = "Empty, unparsable (the message names the line), or no name.", body = ErrorBody),
        (status = 429, description = "Too many uploads from this client.", body = ErrorBody),
    )
)]
pub async fn upload_dataset(
    State(state): State<AppState>,
    caller: ApiCaller,
    ClientAddr(client): ClientAddr,
    ApiQuery(params): ApiQuery<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, axum::Json<Dataset>)> {
    const ACTION: &str = "dataset.create";
    let user = guard(&state, &caller, ACTION, "", DATA_ROLES).await?.clone();
    if !upload_content_type(&headers) {
        return Err(ApiError::unsupported_media_type(
            "send the table as 'Content-Type: text/csv' (or application/octet-stream)",
        ));
    }
    if !state.limits.upload(client) {
        return Err(denied(&state, &caller, ACTION, "", ApiError::rate_limited("uploads")).await);
    }
    let limit = state.config.max_upload_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the upload is larger than the limit of {limit} bytes"),
        )
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(failed(&state, &caller, ACTION, "", too_large()).await);
    }
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => return Err(failed(&state, &caller, ACTION, "", too_large()).await),
    };
    if bytes.is_empty() {
        return Err(
            failed(&state, &caller, ACTION, "", ApiError::invalid("the upload is empty; send a CSV table")).await
        );
    }
    let Some(name) = params.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) else {
        return Err(ApiError::invalid("name the dataset: POST /api/v1/datasets?name=..."));
    };
    match state.arena.create_dataset(&user, name, bytes.to_vec(), limit).await {
        Ok(dataset) => {
            allowed(
                &state,
                &caller,
                ACTION,
                &dataset.id,
                serde_json::json!({ "size_bytes": dataset.size_bytes, "rows": dataset.row_count, "sha256": dataset.sha256 }),
            )
            .await?;
            Ok((StatusCode::CREATED, axum::Json(dataset)))
        }
        Err(e) => Err(failed(&state, &caller, ACTION, "", e.into()).await),
    }
}

/// The caller's datasets (all of them for admins), newest first.
#[utoipa::path(
    get,
    path = "/api/v1/datasets",
    tag = "datasets",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Dataset metadata.", body = [Dataset]),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not a data owner or admin.", body = ErrorBody),
    )
)]
pub async fn list_datasets(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<axum::Json<Vec<Dataset>>> {
    let user = guard(&state, &caller, "dataset.list", "", DATA_ROLES).await?;
    let owner = (user.role != Role::Admin).then_some(user.id.as_str());
    let datasets = state.arena.store.datasets(owner).await?;
    allowed(&state, &caller, "dataset.list", "", serde_json::json!({ "count": datasets.len() })).await?;
    Ok(axum::Json(datasets))
}

/// The dataset `id` if the caller may read it: its uploader or an admin.
async fn readable(state: &AppState, caller: &Caller, action: &str, id: &str) -> ApiResult<(User, Dataset)> {
    let user = guard(state, caller, action, id, DATA_ROLES).await?.clone();
    let dataset = state.arena.store.dataset(id).await?;
    if user.role != Role::Admin && dataset.owner_id != user.id {
        let refusal = ApiError::forbidden("only the dataset's owner and admins may read it");
        return Err(denied(state, caller, action, id, refusal).await);
    }
    Ok((user, dataset))
}

/// A dataset's metadata (its uploader and admins only).
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}",
    tag = "datasets",
    security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The dataset's id.")),
    responses(
        (status = 200, description = "The metadata.", body = Dataset),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not the dataset's owner or an admin.", body = ErrorBody),
        (status = 404, description = "No such dataset.", body = ErrorBody),
    )
)]
pub async fn get_dataset(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Dataset>> {
    let (_, dataset) = readable(&state, &caller, "dataset.metadata", &id).await?;
    allowed(&state, &caller, "dataset.metadata", &dataset.id, serde_json::json!({})).await?;
    Ok(axum::Json(dataset))
}

/// A dataset's contents as uploaded (its uploader and admins only; audited as `dataset.read`).
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/download",
    tag = "datasets",
    security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The dataset's id.")),
    responses(
        (status = 200, description = "The CSV, byte for byte as uploaded.", content_type = "text/csv", body = String),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not the dataset's owner or an admin.", body = ErrorBody),
        (status = 404, description = "No such dataset.", body = ErrorBody),
    )
)]
pub async fn download_dataset(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (_, dataset) = readable(&state, &caller, "dataset.read", &id).await?;
    let bytes = state.arena.vault.get(&dataset.id).await?;
    allowed(&state, &caller, "dataset.read", &dataset.id, serde_json::json!({ "size_bytes": bytes.len() })).await?;
    let filename: String = dataset
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}.csv\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}
