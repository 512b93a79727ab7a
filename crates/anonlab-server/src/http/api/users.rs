//! Accounts: anyone may register as a researcher; only admins create data
//! owners and admins (through the same route, naming the `role`) and list users.

use anonlab_arena::accounts::{Role, User};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiCaller, allowed, failed, guard};
use crate::http::AppState;
use crate::http::denied;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extractor::{ApiJson, ClientAddr};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/users", post(register).get(list_users))
}

/// A new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 3 to 40 letters, digits, `-`, `_` or `.`.
    pub username: String,
    /// At least 12 characters.
    pub password: String,
    /// `researcher` (the default, and the only role one may register oneself
    /// with); `data-owner` or `admin` only when an admin creates the account.
    #[serde(default)]
    pub role: Option<Role>,
}

/// Creates an account.
///
/// Anyone may register a researcher (rate-limited per client like sign-in,
/// since hashing a password is costly); other roles need an admin (401
/// anonymous, 403 otherwise).
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    security((), ("bearer" = []), ("session" = [])),
    request_body = NewUser,
    responses(
        (status = 201, description = "The account.", body = User),
        (status = 401, description = "A role other than researcher, anonymously.", body = ErrorBody),
        (status = 403, description = "A role other than researcher, by a non-admin.", body = ErrorBody),
        (status = 409, description = "The username is taken.", body = ErrorBody),
        (status = 422, description = "A bad username, a short password, an unknown role or field.", body = ErrorBody),
        (status = 429, description = "Too many registrations from this client.", body = ErrorBody),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    caller: ApiCaller,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, axum::Json<User>)> {
    let role = request.role.unwrap_or(Role::Researcher);
    if role != Role::Researcher {
        guard(&state, &caller, "user.create", "", &[Role::Admin]).await?;
    }
    if !caller.is_admin() && !state.limits.login(client) {
        return Err(denied(&state, &caller, "user.create", "", ApiError::rate_limited("registrations")).await);
    }
    match state.arena.store.create_user(&request.username, &request.password, role).await {
        Ok(user) => {
            allowed(&state, &caller, "user.create", &user.id, serde_json::json!({ "role": role })).await?;
            Ok((StatusCode::CREATED, axum::Json(user)))
        }
        Err(e) => Err(failed(&state, &caller, "user.create", "", e.into()).await),
    }
}

/// Every account (admins only).
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The accounts, by name.", body = [User]),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
    )
)]
pub async fn list_users(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<axum::Json<Vec<User>>> {
    guard(&state, &caller, "user.list", "", &[Role::Admin]).await?;
    let users = state.arena.store.users().await?;
    allowed(&state, &caller, "user.list", "", serde_json::json!({ "count": users.len() })).await?;
    Ok(axum::Json(users))
}
