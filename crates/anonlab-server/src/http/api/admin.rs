//! Operations: the audit log and its verification (admins), and the
//! evaluation queue's counts (anyone signed in).

use anonlab_arena::accounts::Role;
use anonlab_arena::audit::{Entry, Verification};
use anonlab_arena::queue::QueueCounts;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiCaller, ApiQuery, allowed, guard, signed_in};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult, ErrorBody};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit", get(audit_log))
        .route("/api/v1/audit/verify", get(verify_audit_log))
        .route("/api/v1/queue", get(queue))
}

/// Most entries one request lists.
pub const MAX_AUDIT_ENTRIES: i64 = 1000;

/// The query of an audit listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// How many of the newest entries (1 to 1000; default 100).
    pub limit: Option<i64>,
}

/// One audit log entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (Unix ms).
    pub at: i64,
    /// A user id, `anonymous`, `system` or `worker:<id>`.
    pub actor: String,
    /// What was done, dotted: `dataset.read`, `login`, `challenge.create`.
    pub action: String,
    /// The object acted on, or empty.
    pub target: String,
    /// `allowed`, `denied` or `failed`.
    pub outcome: String,
    /// Context (sizes, reasons).
    pub detail: serde_json::Value,
    /// The entry's chained hash.
    pub hash: String,
}

impl From<Entry> for AuditEntry {
    fn from(e: Entry) -> Self {
        let detail = serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::String(e.detail));
        AuditEntry {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            action: e.action,
            target: e.target,
            outcome: e.outcome,
            detail,
            hash: e.hash,
        }
    }
}

/// The outcome of verifying the audit log's hash chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    /// Entries read.
    pub entries: u64,
    /// Whether every entry verified.
    pub intact: bool,
    /// The first problem found.
    pub problem: Option<String>,
    /// The hash of the last verified entry: record it to detect a cut-off tail later.
    pub head: String,
}

impl From<Verification> for AuditVerification {
    fn from(v: Verification) -> Self {
        AuditVerification { entries: v.entries, intact: v.intact, problem: v.problem, head: v.head }
    }
}

/// The newest audit log entries first (admins only).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "admin",
    security(("bearer" = []), ("session" = [])),
    params(AuditParams),
    responses(
        (status = 200, description = "The entries, newest first.", body = [AuditEntry]),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 422, description = "A limit outside 1..=1000.", body = ErrorBody),
    )
)]
pub async fn audit_log(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<axum::Json<Vec<AuditEntry>>> {
    guard(&state, &caller, "audit.read", "", &[Role::Admin]).await?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=MAX_AUDIT_ENTRIES).contains(&limit) {
        return Err(ApiError::invalid(format!("limit must be between 1 and {MAX_AUDIT_ENTRIES} (got {limit})")));
    }
    // Recorded first, so the listing shows its own reading.
    allowed(&state, &caller, "audit.read", "", serde_json::json!({ "limit": limit })).await?;
    let entries = state.arena.audit.recent(limit).await?;
    Ok(axum::Json(entries.into_iter().map(AuditEntry::from).collect()))
}

/// Walks the whole audit log and reports whether it is intact (admins only).
#[utoipa::path(
    get,
    path = "/api/v1/audit/verify",
    tag = "admin",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The verification.", body = AuditVerification),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
    )
)]
pub async fn verify_audit_log(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<axum::Json<AuditVerification>> {
    guard(&state, &caller, "audit.verify", "", &[Role::Admin]).await?;
    let verification = state.arena.audit.verify().await?;
    let detail = serde_json::json!({ "entries": verification.entries, "intact": verification.intact });
    allowed(&state, &caller, "audit.verify", "", detail).await?;
    Ok(axum::Json(verification.into()))
}

/// How many evaluation jobs are queued, running, done and failed (anyone signed in).
#[utoipa::path(
    get,
    path = "/api/v1/queue",
    tag = "admin",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Jobs per state.", body = QueueCounts),
        (status = 401, description = "Not signed in.", body = ErrorBody),
    )
)]
pub async fn queue(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<axum::Json<QueueCounts>> {
    signed_in(&state, &caller, "queue.read", "").await?;
    Ok(axum::Json(state.arena.store.queue_counts().await?))
}
