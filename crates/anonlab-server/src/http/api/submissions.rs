//! Submissions: anonymizers and attacks. Researchers and admins submit them
//! (data owners do not compete on their own challenges); everyone sees the
//! public ones, a private one only its owner and admins — to anyone else it
//! does not exist (404).

use anonlab_arena::accounts::Role;
use anonlab_arena::catalog::Submission;
use anonlab_arena::submission::{Implementation, Visibility};
use anonlab_arena::{Error, ErrorKind};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiCaller, allowed, failed, guard};
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extractor::ApiJson;
use crate::http::{AppState, denied};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/submissions", post(create_submission).get(list_submissions))
        .route("/api/v1/submissions/{id}", get(get_submission))
}

/// A new submission.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubmission {
    /// A name for the leaderboard (1 to 120 characters).
    pub name: String,
    /// What runs, with its settings, e.g. `{"kind": "builtin-anonymizer", "algorithm": "mondrian", "k": 5}`
    /// or `{"kind": "builtin-attack", "attack": "linkage"}`; see GET /api/v1/catalog.
    pub implementation: Implementation,
    /// `public` (the default) or `private` (seen only by its owner and admins).
    #[serde(default)]
    pub visibility: Visibility,
}

/// A new submission, and for an AnoMed app how to start it.
#[derive(serde::Serialize, ToSchema)]
pub struct CreatedSubmission {
    /// The submission.
    #[serde(flatten)]
    pub submission: Submission,
    /// For AnoMed apps: the secret link to start the app with (shown only now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anomed: Option<AnomedAccess>,
}

/// How an AnoMed app reaches its challenge here.
#[derive(serde::Serialize, ToSchema)]
pub struct AnomedAccess {
    /// The secret that identifies the app; stored only hashed, shown only once.
    pub secret: String,
    /// The value of the app's `CHALLENGE_HOST`: this server's host and port,
    /// then `/anomed/<secret>` (the app builds `http://{CHALLENGE_HOST}/data/...`).
    pub challenge_host: String,
}

/// Submits an anonymizer or an attack; it is queued for evaluation on every
/// challenge it applies to. An AnoMed app (`anomed-anonymizer` or
/// `anomed-deanonymizer` kind) is registered for its challenge and the answer
/// carries the `CHALLENGE_HOST` to start it with.
///
/// Researchers and admins only.
#[utoipa::path(
    post,
    path = "/api/v1/submissions",
    tag = "submissions",
    security(("bearer" = []), ("session" = [])),
    request_body = NewSubmission,
    responses(
        (status = 201, description = "The submission (with its AnoMed access for AnoMed apps).", body = CreatedSubmission),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not a researcher or admin.", body = ErrorBody),
        (status = 422, description = "Impossible settings, an unsupported kind, missing or unknown fields.", body = ErrorBody),
    )
)]
pub async fn create_submission(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: axum::http::HeaderMap,
    ApiJson(request): ApiJson<NewSubmission>,
) -> ApiResult<(StatusCode, axum::Json<CreatedSubmission>)> {
    const ACTION: &str = "submission.create";
    let user = guard(&state, &caller, ACTION, "", &[Role::Researcher, Role::Admin]).await?;
    let anomed = request.implementation.anomed_service().is_some();
    let created = if anomed {
        state.arena.register_anomed(user, &request.name, request.implementation, request.visibility).await.map(|r| {
            let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            let challenge_host = format!("{host}{}", r.challenge_path);
            CreatedSubmission {
                submission: r.submission,
                anomed: Some(AnomedAccess { secret: r.secret, challenge_host }),
            }
        })
    } else {
        state
            .arena
            .create_submission(user, &request.name, request.implementation, request.visibility)
            .await
            .map(|submission| CreatedSubmission { submission, anomed: None })
    };
    match created {
        Ok(created) => {
            let submission = &created.submission;
            let detail = serde_json::json!({ "role": submission.role, "visibility": submission.visibility });
            allowed(&state, &caller, ACTION, &submission.id, detail).await?;
            Ok((StatusCode::CREATED, axum::Json(created)))
        }
        Err(e) => Err(failed(&state, &caller, ACTION, "", e.into()).await),
    }
}

/// Every submission the caller may see, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/submissions",
    tag = "submissions",
    security((), ("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Public submissions, and the caller's own private ones (all for admins).", body = [Submission]),
        (status = 401, description = "An unknown or expired credential was sent.", body = ErrorBody),
    )
)]
pub async fn list_submissions(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<axum::Json<Vec<Submission>>> {
    Ok(axum::Json(state.arena.store.submissions(caller.user()).await?))
}

/// A submission, if the caller may see it (404 otherwise, as if it did not exist).
#[utoipa::path(
    get,
    path = "/api/v1/submissions/{id}",
    tag = "submissions",
    security((), ("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "The submission's id.")),
    responses(
        (status = 200, description = "The submission.", body = Submission),
        (status = 404, description = "No such submission visible to the caller.", body = ErrorBody),
    )
)]
pub async fn get_submission(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Submission>> {
    match state.arena.store.submission(&id).await {
        Ok(submission) if submission.visible_to(caller.user()) => Ok(axum::Json(submission)),
        // The same 404 as for an id that does not exist.
        Ok(_) => Err(denied(&state, &caller, "submission.read", &id, Error::not_found("submission", &id).into()).await),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::not_found("submission", &id).into()),
        Err(e) => Err(e.into()),
    }
}
