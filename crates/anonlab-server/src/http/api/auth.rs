//! Sign-in and credentials: browser sessions (`POST /api/v1/auth/login`, a
//! cookie plus a CSRF token), sign-out, bearer API tokens for scripts
//! (`POST /api/v1/tokens`) and the current user (`GET /api/v1/me`).
//!
//! Sign-in and token requests are rate-limited per client and audited
//! (allowed or denied, by user id when the name is a real account, never with
//! the password or the issued secret).

use anonlab_arena::ErrorKind;
use anonlab_arena::accounts::{CredentialKind, User};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiCaller, allowed, anonymous, signed_in};
use crate::http::AppState;
use crate::http::denied;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extractor::{ApiJson, ClientAddr, session_cookie};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/tokens", post(create_token))
        .route("/api/v1/me", get(me))
}

/// A username and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's name.
    pub username: String,
    /// Its password.
    pub password: String,
}

/// A new browser session: the cookie is set on the response; forms and API
/// calls made with the cookie send `csrf_token` back in `X-CSRF-Token`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    /// Who signed in.
    pub user: User,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// When the session ends (Unix ms).
    pub expires_at: i64,
}

/// A request for an API token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The account's name.
    pub username: String,
    /// Its password.
    pub password: String,
    /// A label for the token (which script uses it).
    pub name: String,
}

/// A new API token: shown once, only its hash is stored.
#[derive(Serialize, ToSchema)]
pub struct TokenInfo {
    /// The bearer token: send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// Its label.
    pub name: String,
    /// When it stops working (Unix ms).
    pub expires_at: i64,
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The signed-in user.
    pub user: User,
    /// `session` (cookie) or `api-token` (bearer).
    pub credential: String,
    /// The session's CSRF token (absent for API tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

/// The audit target for a sign-in as `username`: the account's id when it
/// exists, else empty (a name that is not an account may be a mistyped password).
async fn login_target(state: &AppState, username: &str) -> ApiResult<String> {
    let users = state.arena.store.users().await?;
    Ok(users.into_iter().find(|u| u.username == username).map(|u| u.id).unwrap_or_default())
}

/// Checks the rate limit and the password; every refusal is audited.
async fn check_password(
    state: &AppState,
    client: std::net::IpAddr,
    action: &str,
    username: &str,
    password: &str,
) -> ApiResult<User> {
    if !state.limits.login(client) {
        return Err(denied(state, &anonymous(), action, "", ApiError::rate_limited("sign-in attempts")).await);
    }
    match state.arena.store.login(username, password).await {
        Ok(user) => Ok(user),
        Err(e) if e.kind() == ErrorKind::Unauthenticated => {
            let target = login_target(state, username).await?;
            Err(denied(state, &anonymous(), action, &target, e.into()).await)
        }
        Err(e) => Err(e.into()),
    }
}

/// Signs in: sets the session cookie and returns the session's CSRF token.
///
/// Anyone may call it; attempts are rate-limited per client (429) and audited.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = SessionInfo,
            headers(("set-cookie" = String, description = "anonlab_session=...; HttpOnly; SameSite=Strict; Path=/"))),
        (status = 401, description = "Wrong username or password.", body = ErrorBody),
        (status = 429, description = "Too many attempts from this client.", body = ErrorBody),
        (status = 400, description = "Malformed JSON.", body = ErrorBody),
        (status = 415, description = "Not JSON.", body = ErrorBody),
        (status = 422, description = "Missing or unknown fields.", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let user = check_password(&state, client, "login", &request.username, &request.password).await?;
    let ttl = state.config.session_ttl();
    let issued = state.arena.store.issue_credential(&user, CredentialKind::Session, "browser session", ttl).await?;
    state
        .audit(
            &user.id,
            "login",
            &user.id,
            anonlab_arena::audit::Outcome::Allowed,
            serde_json::json!({ "credential": "session" }),
        )
        .await?;
    let cookie = session_cookie(&state.config, &issued.secret, ttl.as_secs());
    let body = SessionInfo { user, csrf_token: issued.csrf_token, expires_at: issued.expires_at };
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response())
}

/// Signs out: revokes the credential the request came with (the session
/// cookie, or the bearer token) and clears the cookie.
///
/// Signed-in callers only; with the cookie, the CSRF token is required.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 204, description = "The credential is revoked."),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Cookie without the CSRF token.", body = ErrorBody),
    )
)]
pub async fn logout(State(state): State<AppState>, caller: ApiCaller, headers: HeaderMap) -> ApiResult<Response> {
    let user = signed_in(&state, &caller, "logout", "").await?;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let (secret, credential) = match (&caller.session_secret, bearer) {
        (_, Some(token)) => (token.to_string(), "api-token"),
        (Some(secret), None) => (secret.clone(), "session"),
        (None, None) => return Err(ApiError::internal("a signed-in caller without a credential")),
    };
    state.arena.store.revoke_credential(&secret).await?;
    allowed(&state, &caller, "logout", &user.id, serde_json::json!({ "credential": credential })).await?;
    let cookie = session_cookie(&state.config, "", 0);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// Issues a bearer API token for scripts, valid for the configured number of days.
///
/// Authenticates with the password in the body; rate-limited and audited like sign-in.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "auth",
    security(()),
    request_body = TokenRequest,
    responses(
        (status = 201, description = "The token (shown once).", body = TokenInfo),
        (status = 401, description = "Wrong username or password.", body = ErrorBody),
        (status = 422, description = "A bad token name, missing or unknown fields.", body = ErrorBody),
        (status = 429, description = "Too many attempts from this client.", body = ErrorBody),
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<TokenRequest>,
) -> ApiResult<Response> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(ApiError::invalid("a token name must have 1 to 120 characters"));
    }
    let user = check_password(&state, client, "token.issue", &request.username, &request.password).await?;
    let issued =
        state.arena.store.issue_credential(&user, CredentialKind::ApiToken, name, state.config.token_ttl()).await?;
    state
        .audit(
            &user.id,
            "token.issue",
            &user.id,
            anonlab_arena::audit::Outcome::Allowed,
            serde_json::json!({ "expires_at": issued.expires_at }),
        )
        .await?;
    let body = TokenInfo { token: issued.secret, name: name.to_string(), expires_at: issued.expires_at };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// The signed-in user (and, for a browser session, its CSRF token).
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The caller.", body = Me),
        (status = 401, description = "Not signed in, or an unknown or expired credential.", body = ErrorBody),
    )
)]
pub async fn me(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<axum::Json<Me>> {
    signed_in(&state, &caller, "me", "").await?;
    let principal = caller.principal.clone().expect("signed_in checked there is a principal");
    let session = principal.kind == CredentialKind::Session;
    Ok(axum::Json(Me {
        user: principal.user,
        credential: if session { "session" } else { "api-token" }.to_string(),
        csrf_token: session.then_some(principal.csrf_token),
    }))
}
