//! Challenges, their leaderboards and leaderboard entries.
//!
//! Anyone, signed in or not, may read challenges and leaderboards (private
//! submissions only appear to their owner and admins). Data owners and admins
//! create challenges on their own datasets (admins on any); only a challenge's
//! owner and admins change it, and an edit names the version it started from
//! so that concurrent edits conflict (409) instead of overwriting each other.

use anonlab_arena::accounts::Role;
use anonlab_arena::catalog::{Challenge, ChallengeEdit};
use anonlab_arena::challenge::ChallengeSpec;
use anonlab_arena::leaderboard::{EntryDetail, Leaderboard};
use anonlab_arena::{Error, ErrorKind};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiCaller, allowed, failed, guard};
use crate::http::AppState;
use crate::http::denied;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extractor::{ApiJson, Caller};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/challenges", get(list_challenges).post(create_challenge))
        .route("/api/v1/challenges/{id}", get(get_challenge).patch(edit_challenge))
        .route("/api/v1/challenges/{id}/leaderboard", get(leaderboard))
        .route("/api/v1/challenges/{id}/entries/{submission_id}", get(leaderboard_entry))
}

/// A new challenge.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChallenge {
    /// Short unique name used in URLs: 2 to 40 lowercase letters, digits and `-`.
    pub slug: String,
    /// Title.
    pub title: String,
    /// What it is about.
    #[serde(default)]
    pub description: String,
    /// The dataset: the caller's own (admins: any).
    pub dataset_id: String,
    /// Roles, split, utility tasks, threat model and attacks; checked against the dataset's header.
    pub spec: ChallengeSpec,
}

/// An edit of a challenge's title or description.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditChallenge {
    /// The version the edit starts from (the challenge's current `version`).
    pub version: i64,
    /// New title.
    #[serde(default)]
    pub title: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
}

/// Every challenge, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/challenges",
    tag = "challenges",
    security((), ("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The challenges.", body = [Challenge]),
        (status = 401, description = "An unknown or expired credential was sent.", body = ErrorBody),
    )
)]
pub async fn list_challenges(
    State(state): State<AppState>,
    _caller: ApiCaller,
) -> ApiResult<axum::Json<Vec<Challenge>>> {
    Ok(axum::Json(state.arena.store.challenges().await?))
}

/// Creates a challenge on a dataset and queues every anonymizer's evaluation on it.
///
/// Data owners (on their own datasets) and admins (on any).
#[utoipa::path(
    post,
    path = "/api/v1/challenges",
    tag = "challenges",
    security(("bearer" = []), ("session" = [])),
    request_body = NewChallenge,
    responses(
        (status = 201, description = "The challenge.", body = Challenge),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not a data owner or admin, or not the dataset's owner.", body = ErrorBody),
        (status = 404, description = "No such dataset.", body = ErrorBody),
        (status = 409, description = "The slug is taken.", body = ErrorBody),
        (status = 422, description = "A bad slug, title or spec (unknown fields included).", body = ErrorBody),
    )
)]
pub async fn create_challenge(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(request): ApiJson<NewChallenge>,
) -> ApiResult<(StatusCode, axum::Json<Challenge>)> {
    const ACTION: &str = "challenge.create";
    let user = guard(&state, &caller, ACTION, &request.dataset_id, &[Role::DataOwner, Role::Admin]).await?;
    let dataset = state.arena.store.dataset(&request.dataset_id).await?;
    if user.role != Role::Admin && dataset.owner_id != user.id {
        let refusal = ApiError::forbidden("a challenge can only be made from one of your own datasets");
        return Err(denied(&state, &caller, ACTION, &dataset.id, refusal).await);
    }
    let created = state
        .arena
        .create_challenge(user, &request.slug, &request.title, &request.description, &dataset.id, request.spec)
        .await;
    match created {
        Ok(challenge) => {
            let detail = serde_json::json!({ "dataset": dataset.id, "slug": challenge.slug });
            allowed(&state, &caller, ACTION, &challenge.id, detail).await?;
            Ok((StatusCode::CREATED, axum::Json(challenge)))
        }
        Err(e) => Err(failed(&state, &caller, ACTION, &dataset.id, e.into()).await),
    }
}

/// A challenge, by id or slug.
#[utoipa::path(
    get,
    path = "/api/v1/challenges/{id}",
    tag = "challenges",
    security((), ("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The challenge's id or slug.")),
    responses(
        (status = 200, description = "The challenge.", body = Challenge),
        (status = 404, description = "No such challenge.", body = ErrorBody),
    )
)]
pub async fn get_challenge(
    State(state): State<AppState>,
    _caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Challenge>> {
    Ok(axum::Json(state.arena.store.challenge(&id).await?))
}

/// Changes a challenge's title or description.
///
/// The challenge's owner and admins only. `version` must be the challenge's
/// current version, else 409: someone else changed it meanwhile.
#[utoipa::path(
    patch,
    path = "/api/v1/challenges/{id}",
    tag = "challenges",
    security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The challenge's id or slug.")),
    request_body = EditChallenge,
    responses(
        (status = 200, description = "The challenge after the edit (its version incremented).", body = Challenge),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not the challenge's owner or an admin.", body = ErrorBody),
        (status = 404, description = "No such challenge.", body = ErrorBody),
        (status = 409, description = "The challenge changed since `version`.", body = ErrorBody),
        (status = 422, description = "A bad title, missing or unknown fields.", body = ErrorBody),
    )
)]
pub async fn edit_challenge(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<EditChallenge>,
) -> ApiResult<axum::Json<Challenge>> {
    const ACTION: &str = "challenge.edit";
    // Researchers never change a challenge, whichever it is.
    let user = guard(&state, &caller, ACTION, &id, &[Role::DataOwner, Role::Admin]).await?;
    let challenge = state.arena.store.challenge(&id).await?;
    if user.role != Role::Admin && challenge.owner_id != user.id {
        let refusal = ApiError::forbidden("only the challenge's owner and admins may change it");
        return Err(denied(&state, &caller, ACTION, &challenge.id, refusal).await);
    }
    let edit = ChallengeEdit { title: request.title, description: request.description };
    match state.arena.edit_challenge(&challenge.id, request.version, edit).await {
        Ok(edited) => {
            allowed(&state, &caller, ACTION, &edited.id, serde_json::json!({ "version": edited.version })).await?;
            Ok(axum::Json(edited))
        }
        Err(e) => Err(failed(&state, &caller, ACTION, &challenge.id, e.into()).await),
    }
}

/// A challenge's leaderboard: every anonymizer the caller may see, its
/// utility and what each attack learned, best privacy–utility trade-off first.
#[utoipa::path(
    get,
    path = "/api/v1/challenges/{id}/leaderboard",
    tag = "challenges",
    security((), ("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The challenge's id or slug.")),
    responses(
        (status = 200, description = "The leaderboard.", body = Leaderboard),
        (status = 404, description = "No such challenge.", body = ErrorBody),
    )
)]
pub async fn leaderboard(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<axum::response::Response> {
    // Served from the one-second cache as the JSON built with it.
    let cached = state.leaderboards.get(&state.arena.store, &id, caller.user()).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], cached.json.clone()).into_response())
}

/// One anonymizer's entry on a challenge's leaderboard, with every attack's
/// full result. 404 when the submission is private and not the caller's.
#[utoipa::path(
    get,
    path = "/api/v1/challenges/{id}/entries/{submission_id}",
    tag = "challenges",
    security((), ("bearer" = []), ("session" = [])),
    params(
        ("id" = String, Path, description = "The challenge's id or slug."),
        ("submission_id" = String, Path, description = "The anonymizer submission's id."),
    ),
    responses(
        (status = 200, description = "The entry.", body = EntryDetail),
        (status = 404, description = "No such challenge or entry (or not visible to the caller).", body = ErrorBody),
    )
)]
pub async fn leaderboard_entry(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((id, submission_id)): Path<(String, String)>,
) -> ApiResult<axum::Json<EntryDetail>> {
    match state.arena.store.leaderboard_entry(&id, &submission_id, caller.user()).await {
        Ok(entry) => Ok(axum::Json(entry)),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(hidden_or_missing(&state, &caller, &submission_id, e).await),
        Err(e) => Err(e.into()),
    }
}

/// A 404 for `submission_id`; audited as denied when the submission exists
/// but the caller may not see it (the caller cannot tell the two apart).
pub(super) async fn hidden_or_missing(
    state: &AppState,
    caller: &Caller,
    submission_id: &str,
    error: Error,
) -> ApiError {
    let hidden = match state.arena.store.submission(submission_id).await {
        Ok(submission) => !submission.visible_to(caller.user()),
        Err(e) if e.kind() == ErrorKind::NotFound => false,
        Err(e) => return e.into(),
    };
    if hidden {
        denied(state, caller, "submission.read", submission_id, ApiError::from(error)).await
    } else {
        error.into()
    }
}
