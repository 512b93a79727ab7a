//! The server-rendered web UI: every page a person needs, usable without
//! writing JSON and without scripts.
//!
//! Pages are minijinja templates compiled into the binary (`templates/*.html`,
//! HTML auto-escaping on), rendered from view structs whose numbers are
//! already formatted, so templates only lay things out. Charts are drawn by
//! `plotters` on the server as inline SVG ([`charts`](self)), and the one
//! stylesheet is served from the binary too: a page loads nothing from
//! elsewhere, which the content security policy in [`super::router`] enforces.
//!
//! Forms post `application/x-www-form-urlencoded` (the dataset upload
//! `multipart/form-data`) with the session's CSRF token in a hidden `csrf`
//! field, and answer a success with `303 See Other` (post/redirect/get); a
//! refused form is shown again with the message and what was entered
//! (passwords excepted). Access follows the API's rules: anonymous callers see
//! the home page, challenges, leaderboards and entries of public submissions,
//! and the sign-in and registration forms; a page that needs a role sends
//! anonymous callers to the sign-in form and answers others with a 403 page.
//! Every refusal is written to the audit log.

mod anomed_form;
mod charts;
mod forms;
mod pages;
mod view;

use anonlab_arena::accounts::{Role, User};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::{AutoEscape, Environment, Value, context};

use super::AppState;
// A refused form is audited as a refused API call is.
use super::api::failed;
use super::error::ApiError;
use super::extractor::Caller;

/// The templates, by file name, compiled into the binary.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../templates/base.html")),
    ("macros.html", include_str!("../../../templates/macros.html")),
    ("error.html", include_str!("../../../templates/error.html")),
    ("home.html", include_str!("../../../templates/home.html")),
    ("login.html", include_str!("../../../templates/login.html")),
    ("register.html", include_str!("../../../templates/register.html")),
    ("challenge.html", include_str!("../../../templates/challenge.html")),
    ("entry.html", include_str!("../../../templates/entry.html")),
    ("submit.html", include_str!("../../../templates/submit.html")),
    ("submit_anomed.html", include_str!("../../../templates/submit_anomed.html")),
    ("submissions.html", include_str!("../../../templates/submissions.html")),
    ("datasets.html", include_str!("../../../templates/datasets.html")),
    ("new_challenge.html", include_str!("../../../templates/new_challenge.html")),
    ("admin.html", include_str!("../../../templates/admin.html")),
];

/// The UI's stylesheet, served at `/static/style.css`.
const STYLESHEET: &str = include_str!("../../../static/style.css");

/// The compiled page templates: a minijinja environment with every template
/// of `templates/` embedded and HTML auto-escaping on for all of them.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Compiles the embedded templates; fails only on a template syntax error,
    /// which the tests catch before a release.
    pub fn load() -> anyhow::Result<Templates> {
        let mut env = Environment::new();
        // Every template is HTML, whatever its name: escape all of them.
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|e| anyhow::anyhow!("template {name} does not compile: {e:#}"))?;
        }
        Ok(Templates { env })
    }

    /// Renders template `name` with `context`.
    pub fn render(&self, name: &str, context: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(context)
    }
}

/// The web UI's routes (everything outside `/api/`, `/healthz` and `/readyz`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/static/style.css", get(stylesheet))
        .route("/login", get(forms::login_form).post(forms::login))
        .route("/logout", axum::routing::post(forms::logout))
        .route("/register", get(forms::register_form).post(forms::register))
        .route("/challenges/{slug}", get(pages::challenge))
        .route("/challenges/{slug}/entries/{submission}", get(pages::entry))
        .route("/submit", get(forms::submit_form).post(forms::submit))
        .route("/submit/anomed", get(anomed_form::form).post(anomed_form::register))
        .route("/submissions", get(pages::submissions))
        .route(
            "/datasets",
            get(forms::datasets)
                // The outer RequestBodyLimitLayer bounds uploads by the configured
                // size; axum's 2 MB default for extractors must not cut in first.
                .post(forms::upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/datasets/{dataset}/challenge", get(forms::new_challenge_form).post(forms::new_challenge))
        .route("/admin", get(pages::admin))
        .route("/admin/users", axum::routing::post(forms::create_user))
        .fallback(not_found)
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// Unknown addresses: the 404 page, or the API's JSON error under `/api/`.
async fn not_found(state: axum::extract::State<AppState>, uri: axum::http::Uri, caller: Caller) -> Response {
    if uri.path().starts_with("/api/") {
        return ApiError::not_found(format!("no API route {}", uri.path())).into_response();
    }
    error_page(&state, &caller, ApiError::not_found("there is no page at this address"))
}

/// What every page's layout needs: who is signed in, their CSRF token, and
/// which parts of the navigation they may use.
fn layout(caller: &Caller) -> Value {
    let role = caller.user().map(|u| u.role);
    let has = |roles: &[Role]| role.is_some_and(|r| roles.contains(&r));
    context! {
        user => caller.user().map(|u| context! { name => u.username.clone(), role => u.role.as_str() }),
        csrf => caller.principal.as_ref().map(|p| p.csrf_token.clone()).unwrap_or_default(),
        can_submit => has(&[Role::Researcher, Role::Admin]),
        can_upload => has(&[Role::DataOwner, Role::Admin]),
        is_admin => has(&[Role::Admin]),
    }
}

/// Renders `template` with the page's own `context` merged over the layout's.
fn render(state: &AppState, caller: &Caller, status: StatusCode, template: &str, context: Value) -> Response {
    let context = context! { ..context, ..layout(caller) };
    match state.templates.render(template, context) {
        Ok(html) => html_response(status, html),
        Err(e) => {
            // Log the whole chain (template, line) once; the page says only that it failed.
            ApiError::internal(format!("rendering {template}: {e:#}"));
            html_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><title>Error</title><p>The page could not be rendered; the error has been logged.</p>"
                    .to_string(),
            )
        }
    }
}

/// An HTML response that no cache keeps: pages carry CSRF tokens and
/// per-user content.
fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, axum::response::Html(html)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The error page for `error`, with its status.
fn error_page(state: &AppState, caller: &Caller, error: ApiError) -> Response {
    let title = match error.status {
        StatusCode::UNAUTHORIZED => "Sign in first",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::TOO_MANY_REQUESTS => "Too many requests",
        StatusCode::PAYLOAD_TOO_LARGE => "Too large",
        s if s.is_server_error() => "Something went wrong",
        _ => "The request was refused",
    };
    let context = context! {
        title => title,
        status => error.status.as_u16(),
        code => error.code,
        message => error.message,
    };
    render(state, caller, error.status, "error.html", context)
}

/// Turns a handler's outcome into a response: errors become the error page.
fn finish(state: &AppState, caller: &Caller, outcome: Result<Response, ApiError>) -> Response {
    outcome.unwrap_or_else(|error| error_page(state, caller, error))
}

/// A `303 See Other` to `to`: the answer to a successful form.
fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// How a page that needs a role answers a caller without it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// A page (GET): anonymous callers go to the sign-in form and come back.
    Page,
    /// A form post: anonymous callers get a 401 page.
    Form,
}

/// The caller, if signed in with one of `roles`; otherwise the refusal (audited
/// as `action` on `target`): a redirect to the sign-in form for anonymous page
/// views, a 401 or 403 page otherwise.
async fn require(
    state: &AppState,
    caller: &Caller,
    roles: &[Role],
    action: &str,
    target: &str,
    guard: Guard,
) -> Result<User, Response> {
    match caller.require_role(roles) {
        Ok(user) => Ok(user.clone()),
        Err(refusal) => {
            let anonymous = caller.user().is_none();
            let error = super::denied(state, caller, action, target, refusal).await;
            if anonymous && guard == Guard::Page && error.status == StatusCode::UNAUTHORIZED {
                Err(see_other(&format!("/login?next={}", view::query_escape(target))))
            } else {
                Err(error_page(state, caller, error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let templates = Templates::load().expect("the templates compile");
        assert_eq!(templates.env.templates().count(), TEMPLATES.len());
    }

    #[test]
    fn templates_escape_values() {
        let templates = Templates::load().unwrap();
        let html = templates
            .render(
                "error.html",
                context! { title => "t", status => 400, code => "invalid", message => "<script>alert(1)</script>" },
            )
            .unwrap();
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;") && !html.contains("<script>alert"),
            "{html}"
        );
    }
}
