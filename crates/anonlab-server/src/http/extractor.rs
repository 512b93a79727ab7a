//! Who is calling, and the JSON wrapper whose rejections use our error shape.
//!
//! A caller authenticates with a bearer token (`Authorization: Bearer …`, for
//! scripts) or the session cookie (for the web UI). A credential that is
//! presented but unknown or expired is refused with 401 on API routes rather
//! than silently treated as anonymous; on UI pages a stale cookie counts as
//! signed out so the sign-in page still works. State-changing API requests
//! authenticated by cookie must carry the session's CSRF token in
//! `X-CSRF-Token`; UI forms carry it as a field checked by [`Caller::check_csrf`].

use anonlab_arena::ErrorKind;
use anonlab_arena::accounts::{CredentialKind, Principal, Role, User};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};

use super::AppState;
use super::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "anonlab_session";
/// The header API clients using the cookie send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The caller of a request: signed in or anonymous.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The principal, when a valid credential came with the request.
    pub principal: Option<Principal>,
    /// The presented session secret (to sign out).
    pub session_secret: Option<String>,
}

impl Caller {
    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&User> {
        self.principal.as_ref().map(|p| &p.user)
    }

    /// The signed-in user, or 401.
    pub fn require_user(&self) -> Result<&User, ApiError> {
        self.user().ok_or_else(|| ApiError::unauthenticated("sign in first (session cookie or bearer token)"))
    }

    /// The signed-in user if they have one of `roles`; 401 when anonymous, 403 otherwise.
    pub fn require_role(&self, roles: &[Role]) -> Result<&User, ApiError> {
        let user = self.require_user()?;
        if roles.contains(&user.role) {
            Ok(user)
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::forbidden(format!("this needs the role {}", names.join(" or "))))
        }
    }

    /// Whether the caller is an admin.
    pub fn is_admin(&self) -> bool {
        self.user().is_some_and(|u| u.role == Role::Admin)
    }

    /// Checks a form's CSRF token against the session's (UI forms).
    pub fn check_csrf(&self, token: &str) -> Result<(), ApiError> {
        match &self.principal {
            Some(p) if p.kind == CredentialKind::Session => {
                if constant_time_eq(p.csrf_token.as_bytes(), token.as_bytes()) { Ok(()) } else { Err(ApiError::csrf()) }
            }
            _ => Ok(()),
        }
    }

    /// The audit log's name for the caller.
    pub fn actor(&self) -> String {
        self.user().map_or_else(|| "anonymous".to_string(), |u| u.id.clone())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `Set-Cookie` value of a session: HttpOnly, SameSite=Strict, the whole
/// site, `Secure` when the server is reached over HTTPS, expiring with the
/// session (`max_age_secs` 0 clears the cookie).
pub fn session_cookie(
    config: &crate::config::ServerConfig,
    secret: &str,
    max_age_secs: u64,
) -> axum::http::HeaderValue {
    let secure = if config.secure_cookies { "; Secure" } else { "" };
    let value = format!("{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}");
    axum::http::HeaderValue::from_str(&value).expect("session secrets are URL-safe base64")
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let api = parts.uri.path().starts_with("/api/");
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ApiError::unauthenticated("the Authorization header must be 'Bearer <token>'"))?;
            let principal = state.arena.store.authenticate(token).await.map_err(ApiError::from)?;
            return Ok(Caller { principal: Some(principal), session_secret: None });
        }
        let Some(secret) = cookie(parts, SESSION_COOKIE).filter(|s| !s.is_empty()) else {
            return Ok(Caller { principal: None, session_secret: None });
        };
        let principal = match state.arena.store.authenticate(secret).await {
            Ok(p) => p,
            Err(e) if e.kind() == ErrorKind::Unauthenticated && !api => {
                return Ok(Caller { principal: None, session_secret: None });
            }
            Err(e) => return Err(e.into()),
        };
        if api && !is_safe(&parts.method) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), principal.csrf_token.as_bytes()) {
                return Err(ApiError::csrf());
            }
        }
        Ok(Caller { principal: Some(principal), session_secret: Some(secret.to_string()) })
    }
}

/// `Json<T>` whose rejections are [`ApiError`]s: 415 without a JSON content
/// type, 400 for malformed JSON, 422 for JSON of the wrong shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::MissingJsonContentType(_) => {
                    ApiError::unsupported_media_type("send the body as JSON with 'Content-Type: application/json'")
                }
                JsonRejection::JsonSyntaxError(e) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed",
                    format!("the body is not valid JSON: {}", e.body_text()),
                ),
                JsonRejection::JsonDataError(e) => ApiError::invalid(e.body_text()),
                JsonRejection::BytesRejection(e) => {
                    ApiError::new(e.status(), "too_large", format!("cannot read the body: {}", e.body_text()))
                }
                other => ApiError::new(other.status(), "invalid", other.body_text()),
            }),
        }
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// The client's address: the peer of the connection (the server is meant to be
/// reached directly or through a proxy on the same host), loopback in tests.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
        Ok(ClientAddr(peer.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))))
    }
}
