//! The JSON API under `/api/v1`, and its OpenAPI document at
//! `/api/v1/openapi.json`, generated from the `#[utoipa::path]` annotations on
//! the handlers and the `ToSchema` types they take and return.
//!
//! One module per resource keeps its routes, bodies and handlers together:
//! [`auth`] (sign-in, sign-out, API tokens, `me`), [`users`], [`datasets`],
//! [`challenges`] (with leaderboards), [`submissions`], [`admin`] (audit log,
//! queue) and [`catalog`] (the built-in anonymizers and attacks).
//!
//! Every route that has a caller takes [`ApiCaller`], so a refused credential
//! (unknown, expired, forged, or a cookie without its CSRF token) is audited;
//! every 401 and 403 a handler decides goes through [`guard`] or
//! [`super::denied`], so it is audited too; and every read of a dataset
//! (metadata or contents) is recorded before the data leaves.

pub mod admin;
pub mod auth;
pub mod catalog;
pub mod challenges;
pub mod datasets;
pub mod submissions;
pub mod users;

use std::sync::OnceLock;

use anonlab_arena::accounts::{Role, User};
use anonlab_arena::audit::Outcome;
use axum::Router;
use axum::extract::{FromRequestParts, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::error::{ApiError, ApiResult, ErrorBody, ErrorDetail};
use super::extractor::{Caller, SESSION_COOKIE};
use super::{AppState, denied};

/// The API's routes, for [`super::router`] to merge.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .merge(auth::router())
        .merge(users::router())
        .merge(datasets::router())
        .merge(challenges::router())
        .merge(submissions::router())
        .merge(admin::router())
        .merge(catalog::router())
        // Unknown API paths answer in the API's error shape, not the UI's page.
        .route("/api/v1", any(no_such_route))
        .route("/api/v1/", any(no_such_route))
        .route("/api/v1/{*rest}", any(no_such_route))
}

async fn no_such_route() -> ApiError {
    ApiError::not_found("no such API route; the routes are listed in /api/v1/openapi.json")
}

/// The OpenAPI 3.1 document of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "anonlab API",
        description = "The benchmark platform's JSON API: accounts and credentials, datasets (data owners), \
                       challenges and their leaderboards, submissions (researchers), the audit log and the \
                       evaluation queue. Errors are `{\"error\": {\"code\", \"message\"}}` with a stable `code`. \
                       Scripts authenticate with `Authorization: Bearer <token>` (POST /api/v1/tokens); browsers \
                       with the session cookie, and then every POST or PATCH must carry the session's CSRF token \
                       in `X-CSRF-Token`."
    ),
    paths(
        openapi_json,
        auth::login,
        auth::logout,
        auth::create_token,
        auth::me,
        users::register,
        users::list_users,
        datasets::upload_dataset,
        datasets::list_datasets,
        datasets::get_dataset,
        datasets::download_dataset,
        challenges::list_challenges,
        challenges::create_challenge,
        challenges::get_challenge,
        challenges::edit_challenge,
        challenges::leaderboard,
        challenges::leaderboard_entry,
        submissions::create_submission,
        submissions::list_submissions,
        submissions::get_submission,
        admin::audit_log,
        admin::verify_audit_log,
        admin::queue,
        catalog::catalog,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "meta", description = "This document."),
        (name = "auth", description = "Sign-in, sign-out, API tokens and the current user."),
        (name = "users", description = "Accounts: self-registration of researchers; admins create the other roles."),
        (name = "datasets", description = "Uploaded tables: data owners and admins only; every read is audited."),
        (name = "challenges", description = "Challenges, their leaderboards and entries."),
        (name = "submissions", description = "Anonymizers and attacks submitted by researchers."),
        (name = "admin", description = "The audit log and the evaluation queue."),
        (name = "catalog", description = "The built-in anonymizers and attacks and their settings."),
    )
)]
pub struct ApiDoc;

/// Adds the two ways to authenticate to the document's components.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from POST /api/v1/tokens."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The browser session from POST /api/v1/auth/login; POST and PATCH requests must also send \
                 the session's CSRF token in X-CSRF-Token.",
            ))),
        );
    }
}

/// The document, built once.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// This OpenAPI document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of the API.", body = Object))
)]
pub async fn openapi_json() -> Response {
    axum::Json(openapi()).into_response()
}

/// The caller of an API route: [`Caller`], except that a refused credential
/// (unknown, expired or forged token; a cookie-authenticated change without
/// the CSRF token) is recorded in the audit log before the 401 or 403 is sent.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub Caller);

impl std::ops::Deref for ApiCaller {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

/// An anonymous caller (for auditing requests that carry no valid credential).
pub fn anonymous() -> Caller {
    Caller { principal: None, session_secret: None }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match Caller::from_request_parts(parts, state).await {
            Ok(caller) => Ok(ApiCaller(caller)),
            Err(e) if matches!(e.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                // The route only, never the query string or the credential.
                let target = format!("{} {}", parts.method, parts.uri.path());
                Err(denied(state, &anonymous(), "auth", &target, e).await)
            }
            Err(e) => Err(e),
        }
    }
}

/// The signed-in user, or an audited 401.
pub async fn signed_in<'a>(state: &AppState, caller: &'a Caller, action: &str, target: &str) -> ApiResult<&'a User> {
    match caller.require_user() {
        Ok(user) => Ok(user),
        Err(e) => Err(denied(state, caller, action, target, e).await),
    }
}

/// The signed-in user if they have one of `roles`; an audited 401 (anonymous)
/// or 403 (another role) otherwise.
pub async fn guard<'a>(
    state: &AppState,
    caller: &'a Caller,
    action: &str,
    target: &str,
    roles: &[Role],
) -> ApiResult<&'a User> {
    match caller.require_role(roles) {
        Ok(user) => Ok(user),
        Err(e) => Err(denied(state, caller, action, target, e).await),
    }
}

/// Records that `caller` did `action` on `target`.
pub async fn allowed(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> ApiResult<()> {
    state.audit(&caller.actor(), action, target, Outcome::Allowed, detail).await
}

/// Records a failed attempt (the input was refused as invalid, conflicting,
/// too large) and passes the error on. Only the error's code is recorded:
/// messages may quote the caller's data.
pub async fn failed(state: &AppState, caller: &Caller, action: &str, target: &str, error: ApiError) -> ApiError {
    if error.status.is_server_error() {
        return error;
    }
    let outcome = if matches!(error.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        Outcome::Denied
    } else {
        Outcome::Failed
    };
    match state.audit(&caller.actor(), action, target, outcome, serde_json::json!({ "reason": error.code })).await {
        Ok(()) => error,
        Err(e) => e,
    }
}

/// A query string parsed into `T`, or a 422 in the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(e) => Err(ApiError::invalid(e.body_text())),
        }
    }
}
