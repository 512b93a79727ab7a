//! The challenge side of the AnoMed protocol, under `/anomed/{secret}/`.
//!
//! AnoMed apps call `http://{CHALLENGE_HOST}/data/...` and
//! `http://{CHALLENGE_HOST}/utility/...`; an app registered here is started with
//! `CHALLENGE_HOST=<this server's host:port>/anomed/<secret>`, so the secret
//! issued at registration rides along in every path and says which submission
//! (and challenge) is calling. The self-declared `anonymizer` / `deanonymizer`
//! query parameters are required where AnoMed requires them but never trusted.
//!
//! The answers follow what the reference clients expect (see
//! `docs/anomed.md`): data GETs 200 with NPZ bodies, utility POSTs 201 with a
//! JSON object of floats, requests without a Content-Type, errors as Falcon's
//! `{"title", "description"}` — but a wrong dtype or length is a 400 saying what
//! was expected, where the reference challenge crashes with a 500.

use std::collections::HashMap;

use anonlab_arena::anomed::links::Link;
use anonlab_arena::anomed::ml::DataSplit;
use anonlab_arena::anomed::routes::DataRoute;
use anonlab_arena::audit::Outcome;
use anonlab_arena::submission::Implementation;
use anonlab_arena::{Error, ErrorKind};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::AppState;

/// The AnoMed routes; bodies are limited by `ServerConfig::anomed_max_body_bytes` here, not by a layer,
/// so an oversized body gets the protocol's JSON error.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/anomed/{secret}", get(alive).fallback(method_not_allowed))
        .route("/anomed/{secret}/", get(alive).fallback(method_not_allowed))
        .route("/anomed/{secret}/data/anonymizer/{part}", get(anonymizer_data).fallback(method_not_allowed))
        .route("/anomed/{secret}/data/deanonymizer/{part}", get(deanonymizer_data).fallback(method_not_allowed))
        .route(
            "/anomed/{secret}/data/attack-success-evaluation",
            get(attack_evaluation_data).fallback(method_not_allowed),
        )
        .route("/anomed/{secret}/utility/anonymizer", post(anonymizer_utility).fallback(method_not_allowed))
        .route("/anomed/{secret}/utility/deanonymizer", post(deanonymizer_utility).fallback(method_not_allowed))
        .route("/anomed/{secret}/{*rest}", axum::routing::any(unknown_route))
        .layer(DefaultBodyLimit::disable())
}

/// An error as Falcon writes it: `{"title": "400 Bad Request", "description": ...}`.
struct ProtocolError {
    status: StatusCode,
    description: String,
}

impl ProtocolError {
    fn new(status: StatusCode, description: impl Into<String>) -> ProtocolError {
        ProtocolError { status, description: description.into() }
    }
}

impl From<Error> for ProtocolError {
    fn from(e: Error) -> Self {
        let status = match e.kind() {
            ErrorKind::Invalid => StatusCode::BAD_REQUEST,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => {
                tracing::error!(error = %e, "AnoMed route failed");
                return ProtocolError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the challenge failed; it has been logged",
                );
            }
        };
        ProtocolError::new(status, e.message())
    }
}

impl IntoResponse for ProtocolError {
    fn into_response(self) -> Response {
        let title = format!("{} {}", self.status.as_u16(), self.status.canonical_reason().unwrap_or(""));
        let mut response = (
            self.status,
            axum::Json(serde_json::json!({ "title": title.trim_end(), "description": self.description })),
        )
            .into_response();
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The unread body makes the connection unusable: say so, so clients do not reuse it.
            response.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
        }
        response
    }
}

type ProtocolResult<T> = Result<T, ProtocolError>;

/// The app behind a secret; an unknown secret is a 404, audited.
async fn link(state: &AppState, secret: &str, path: &str) -> ProtocolResult<Link> {
    match state.arena.store.anomed_link(secret).await? {
        Some(link) => Ok(link),
        None => {
            // The secret itself is never written anywhere.
            let detail = serde_json::json!({ "reason": "unknown AnoMed link", "route": path });
            state
                .audit("anomed:unknown", "anomed.access", "", Outcome::Denied, detail)
                .await
                .map_err(|_| ProtocolError::new(StatusCode::INTERNAL_SERVER_ERROR, "audit failed"))?;
            Err(ProtocolError::new(StatusCode::NOT_FOUND, "no challenge behind this link (unknown or revoked secret)"))
        }
    }
}

/// A refusal of the arena (wrong kind of app for the route) is audited too.
async fn refused(state: &AppState, link: &Link, route: &str, e: Error) -> ProtocolError {
    if e.kind() == ErrorKind::Forbidden {
        let detail = serde_json::json!({ "reason": e.message(), "route": route });
        let actor = format!("anomed:{}", link.submission.id);
        if let Err(e) = state.audit(&actor, "anomed.access", &link.challenge.id, Outcome::Denied, detail).await {
            tracing::error!(error = ?e, "cannot audit a refusal");
        }
    }
    e.into()
}

fn required<'a>(query: &'a HashMap<String, String>, names: &[&str]) -> ProtocolResult<&'a str> {
    for name in names {
        if !query.contains_key(*name) {
            return Err(ProtocolError::new(
                StatusCode::BAD_REQUEST,
                format!("Missing parameter: the query parameter '{name}' is required"),
            ));
        }
    }
    Ok(query.get("data_split").map(String::as_str).unwrap_or(""))
}

fn data_split(value: &str) -> ProtocolResult<DataSplit> {
    DataSplit::parse(value).map_err(ProtocolError::from)
}

async fn alive(State(state): State<AppState>, Path(secret): Path<String>) -> ProtocolResult<Response> {
    let link = link(&state, &secret, "/").await?;
    let ml = state.arena.ml_challenge(&link.challenge, &format!("anomed:{}", link.submission.id)).await?;
    Ok(axum::Json(serde_json::json!({
        "message": "Challenge server is alive!",
        "challenge": link.challenge.slug,
        "features": ml.features,
        "target": ml.target,
        "classes": ml.classes,
        "evaluation_members_per_side": ml.evaluation_validation.membership.iter().filter(|m| **m).count(),
    }))
    .into_response())
}

async fn serve_data(state: &AppState, secret: &str, route: DataRoute, path: &str) -> ProtocolResult<Response> {
    let link = link(state, secret, path).await?;
    match state.arena.anomed_data(&link, route).await {
        Ok(body) => Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response()),
        Err(e) => Err(refused(state, &link, path, e).await),
    }
}

async fn anonymizer_data(
    State(state): State<AppState>,
    Path((secret, part)): Path<(String, String)>,
) -> ProtocolResult<Response> {
    let route = match part.as_str() {
        "leaky" => DataRoute::Leaky,
        "training" => DataRoute::Training,
        "tuning" => DataRoute::Features(DataSplit::Tuning),
        "validation" => DataRoute::Features(DataSplit::Validation),
        _ => return Err(ProtocolError::new(StatusCode::NOT_FOUND, format!("no data part '{part}'"))),
    };
    serve_data(&state, &secret, route, &format!("/data/anonymizer/{part}")).await
}

async fn deanonymizer_data(
    State(state): State<AppState>,
    Path((secret, part)): Path<(String, String)>,
) -> ProtocolResult<Response> {
    let route = match part.as_str() {
        "background-knowledge" => DataRoute::BackgroundKnowledge,
        "members" => DataRoute::Members,
        "non-members" => DataRoute::NonMembers,
        _ => return Err(ProtocolError::new(StatusCode::NOT_FOUND, format!("no data part '{part}'"))),
    };
    serve_data(&state, &secret, route, &format!("/data/deanonymizer/{part}")).await
}

async fn attack_evaluation_data(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ProtocolResult<Response> {
    let split = data_split(required(&query, &["anonymizer", "deanonymizer", "data_split"])?)?;
    serve_data(&state, &secret, DataRoute::AttackEvaluation(split), "/data/attack-success-evaluation").await
}

/// The request body, at most the configured size (413 beyond it).
async fn body(state: &AppState, request: Request) -> ProtocolResult<axum::body::Bytes> {
    let (parts, body) = request.into_parts();
    limited_body(state, &parts.headers, body).await
}

async fn limited_body(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    body: Body,
) -> ProtocolResult<axum::body::Bytes> {
    let limit = state.config.anomed_max_body_bytes;
    let too_large = || {
        ProtocolError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body exceeds the challenge's limit of {limit} bytes"),
        )
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| too_large())
}

async fn anonymizer_utility(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> ProtocolResult<Response> {
    let link = link(&state, &secret, "/utility/anonymizer").await?;
    if matches!(link.submission.implementation, Implementation::AnomedTabularAnonymizer(_)) {
        return release_upload(&state, &link, request).await;
    }
    let split = data_split(required(&query, &["data_split"])?)?;
    let bytes = body(&state, request).await?;
    match state.arena.anomed_score_anonymizer(&link, split, &bytes).await {
        // Exactly the reference's keys: the interval and the baseline are recorded here.
        Ok(accuracy) => {
            Ok((StatusCode::CREATED, axum::Json(serde_json::json!({ "accuracy": accuracy.accuracy.value })))
                .into_response())
        }
        Err(e) => Err(refused(&state, &link, "/utility/anonymizer", e).await),
    }
}

/// A tabular anonymizer's release: multipart `anon_data` (Parquet) and `anon_scheme` (text).
async fn release_upload(state: &AppState, link: &Link, request: Request) -> ProtocolResult<Response> {
    let (parts, body) = request.into_parts();
    let bytes = limited_body(state, &parts.headers, body).await?;
    let malformed = |why: String| {
        ProtocolError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "expected a multipart/form-data upload with the parts 'anon_data' (Parquet) and 'anon_scheme': {why}"
            ),
        )
    };
    let mut multipart = Multipart::from_request(Request::from_parts(parts, Body::from(bytes)), state)
        .await
        .map_err(|e| malformed(e.body_text()))?;
    let (mut anon_data, mut scheme) = (None, None);
    while let Some(field) = multipart.next_field().await.map_err(|e| malformed(e.body_text()))? {
        match field.name() {
            Some("anon_data") => anon_data = Some(field.bytes().await.map_err(|e| malformed(e.body_text()))?),
            Some("anon_scheme") => scheme = Some(field.text().await.map_err(|e| malformed(e.body_text()))?),
            _ => {}
        }
    }
    let (Some(anon_data), Some(scheme)) = (anon_data, scheme) else {
        return Err(malformed("a part is missing".into()));
    };
    match state.arena.anomed_score_release(link, &anon_data, &scheme).await {
        Ok(recorded) => {
            let u = &recorded.utility;
            let mut figures = serde_json::json!({
                "information_loss": u.information_loss,
                "suppressed_share": u.suppressed_share,
                "marginal_tvd_1way": u.marginal_tvd_1way,
                "marginal_tvd_2way": u.marginal_tvd_2way,
                "prosecutor_risk": u.prosecutor_risk,
                "average_risk": u.average_risk,
            });
            if let Some(a) = u.classification_accuracy {
                figures["classification_accuracy"] = a.into();
            }
            Ok((StatusCode::CREATED, axum::Json(figures)).into_response())
        }
        Err(e) => Err(refused(state, link, "/utility/anonymizer", e).await),
    }
}

async fn deanonymizer_utility(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> ProtocolResult<Response> {
    let link = link(&state, &secret, "/utility/deanonymizer").await?;
    if link.aims_at_tabular() {
        let bytes = body(&state, request).await?;
        return match state.arena.anomed_score_reconstruction(&link, &bytes).await {
            Ok(scored) => Ok((
                StatusCode::CREATED,
                axum::Json(serde_json::json!({
                    "accuracy": scored.accuracy.value,
                    "baseline": scored.baseline.value,
                    "risk": scored.risk.value,
                })),
            )
                .into_response()),
            Err(e) => Err(refused(&state, &link, "/utility/deanonymizer", e).await),
        };
    }
    let split = data_split(required(&query, &["anonymizer", "deanonymizer", "data_split"])?)?;
    let bytes = body(&state, request).await?;
    match state.arena.anomed_score_deanonymizer(&link, split, &bytes).await {
        Ok(decisions) => Ok((StatusCode::CREATED, axum::Json(decisions.response())).into_response()),
        Err(e) => Err(refused(&state, &link, "/utility/deanonymizer", e).await),
    }
}

async fn unknown_route(Path((_secret, rest)): Path<(String, String)>) -> ProtocolError {
    ProtocolError::new(StatusCode::NOT_FOUND, format!("the challenge has no route '/{rest}'"))
}

async fn method_not_allowed(request: Request<Body>) -> ProtocolError {
    ProtocolError::new(StatusCode::METHOD_NOT_ALLOWED, format!("{} is not allowed on this route", request.method()))
}

/// The path with an AnoMed secret replaced, for logs.
pub(crate) fn redacted(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/anomed/") {
        Some(rest) => {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            format!("/anomed/<secret>{tail}").into()
        }
        None => path.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_never_show_the_secret() {
        assert_eq!(redacted("/anomed/s3cr3t/data/anonymizer/training"), "/anomed/<secret>/data/anonymizer/training");
        assert_eq!(redacted("/anomed/s3cr3t"), "/anomed/<secret>");
        assert_eq!(redacted("/api/v1/challenges"), "/api/v1/challenges");
    }
}
