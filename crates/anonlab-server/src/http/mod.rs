//! The HTTP surface: [`AppState`] and [`router`], which tests call directly.
//!
//! `/api/v1/...` is the JSON API (its OpenAPI document at
//! `/api/v1/openapi.json`), everything else the server-rendered web UI, plus
//! `/healthz` (the process runs) and `/readyz` (the database answers).

mod anomed;
pub mod api;
pub mod cache;
pub mod error;
pub mod extractor;
mod limits;
pub mod ui;

use std::sync::Arc;
use std::time::Duration;

use anonlab_arena::Arena;
use anonlab_arena::audit::{Event, Outcome};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::ServerConfig;
pub use limits::RateLimits;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Store, vault and audit log.
    pub arena: Arena,
    /// The server's settings.
    pub config: Arc<ServerConfig>,
    /// Login and upload rate limits.
    pub limits: Arc<RateLimits>,
    /// The UI's templates.
    pub templates: Arc<ui::Templates>,
    /// Recently built leaderboards.
    pub leaderboards: Arc<cache::LeaderboardCache>,
}

impl AppState {
    /// State over an open arena.
    pub fn new(arena: Arena, config: ServerConfig) -> anyhow::Result<AppState> {
        Ok(AppState {
            arena,
            limits: Arc::new(RateLimits::new(&config)),
            config: Arc::new(config),
            templates: Arc::new(ui::Templates::load()?),
            leaderboards: Arc::new(cache::LeaderboardCache::new(Duration::from_secs(1))),
        })
    }

    /// Records a decision or data access; a failure to write it is logged and
    /// turns the request into a 500, since unaudited access must not happen.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        outcome: Outcome,
        detail: serde_json::Value,
    ) -> Result<(), error::ApiError> {
        self.arena
            .audit
            .record(Event { actor, action, target, outcome, detail })
            .await
            .map(|_| ())
            .map_err(error::ApiError::internal)
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.max_upload_bytes + 64 * 1024;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(api::router())
        .merge(ui::router())
        .layer(middleware::from_fn_with_state(state.clone(), clear_cache_on_write))
        .layer(middleware::from_fn_with_state(state.clone(), same_origin))
        .layer(RequestBodyLimitLayer::new(body_limit))
        // AnoMed apps send no Origin, no cookies and no CSRF token: they are
        // identified by the secret in the path, and limit their own bodies.
        .merge(anomed::router())
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // Method and route only: query strings may carry names of people.
            // AnoMed paths carry a secret: it is redacted.
            tracing::info_span!("request", method = %req.method(), path = %anomed::redacted(req.uri().path()))
        }))
        .with_state(state)
}

/// Refuses state-changing requests whose `Origin` names another site: with
/// SameSite cookies and CSRF tokens this is the third line of defence, and the
/// only one for the sign-in form (which has no session yet).
async fn same_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && let Some(origin) = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin != "null" && origin_host != host {
            // Audited like every refusal; the caller is unknown here (no credential is read
            // for a request that is refused anyway), the path says what was attempted.
            let detail = serde_json::json!({ "reason": "cross-site origin", "path": request.uri().path() });
            if let Err(e) = state.audit("anonymous", "request.cross-site", "", Outcome::Denied, detail).await {
                return e.into_response();
            }
            return error::ApiError::forbidden("cross-site request refused").into_response();
        }
    }
    next.run(request).await
}

/// Forgets cached leaderboards after any successful write through this
/// process, so a caller sees their own change at once (other processes'
/// changes show within the cache's time to live).
async fn clear_cache_on_write(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let write = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let response = next.run(request).await;
    if write && (response.status().is_success() || response.status().is_redirection()) {
        state.leaderboards.clear();
    }
    response
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.arena.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

/// Records a refused request in the audit log and returns the refusal.
pub async fn denied(
    state: &AppState,
    caller: &extractor::Caller,
    action: &str,
    target: &str,
    error: error::ApiError,
) -> error::ApiError {
    if let Err(e) =
        state.audit(&caller.actor(), action, target, Outcome::Denied, serde_json::json!({ "reason": error.code })).await
    {
        return e;
    }
    error
}
