//! `/submit/anomed`: registering an unmodified AnoMed app (docs/anomed.md).
//!
//! The answer to a registration is a page, not a redirect: it shows the
//! app's `CHALLENGE_HOST` with its secret once (the secret is stored only
//! hashed), and is marked `no-store` so no cache keeps it.

use std::collections::HashMap;

use anonlab_arena::audit::Outcome;
use anonlab_arena::submission::{AnomedService, Implementation, Visibility};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use minijinja::context;

use super::forms::{FormBody, RESEARCH, checked_form};
use super::view::{self, Fields};
use super::{Guard, error_page, failed, render, require};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extractor::Caller;

const ACTION: &str = "submission.create";

fn defaults() -> HashMap<String, String> {
    [("kind", "anomed-anonymizer"), ("url", "http://"), ("visibility", "public")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn challenge_slugs(state: &AppState) -> ApiResult<Vec<String>> {
    Ok(state.arena.store.challenges().await?.into_iter().map(|c| c.slug).collect())
}

/// `GET /submit/anomed`: the registration form (researchers, admins).
pub(super) async fn form(State(state): State<AppState>, caller: Caller) -> Response {
    if let Err(refusal) = require(&state, &caller, RESEARCH, ACTION, "/submit/anomed", Guard::Page).await {
        return refusal;
    }
    match challenge_slugs(&state).await {
        Ok(challenges) => render(
            &state,
            &caller,
            StatusCode::OK,
            "submit_anomed.html",
            context! { form => defaults(), challenges => challenges },
        ),
        Err(e) => error_page(&state, &caller, e),
    }
}

/// The app the form describes.
fn implementation(form: &Fields) -> ApiResult<Implementation> {
    let target = form.get("target").trim();
    let service = AnomedService {
        url: form.get("url").trim().to_string(),
        challenge: form.get("challenge").to_string(),
        target: (!target.is_empty()).then(|| target.to_string()),
    };
    Ok(match form.get("kind") {
        "anomed-anonymizer" => Implementation::AnomedAnonymizer(service),
        "anomed-tabular-anonymizer" => Implementation::AnomedTabularAnonymizer(service),
        "anomed-deanonymizer" => Implementation::AnomedDeanonymizer(service),
        other => return Err(ApiError::invalid(format!("unknown kind of AnoMed app '{other}'"))),
    })
}

/// `POST /submit/anomed`: registers the app and shows how to start it.
pub(super) async fn register(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: FormBody,
) -> Response {
    let user = match require(&state, &caller, RESEARCH, ACTION, "/submit/anomed", Guard::Form).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let form = match checked_form(&state, &caller, body, ACTION).await {
        Ok(form) => form,
        Err(page) => return page,
    };
    let challenges = challenge_slugs(&state).await.unwrap_or_default();
    let refuse = |error: ApiError| {
        let context = context! { form => form.echo(), challenges => challenges.clone(), error => error.message };
        render(&state, &caller, error.status, "submit_anomed.html", context)
    };
    let visibility = if form.get("visibility") == "private" { Visibility::Private } else { Visibility::Public };
    let implementation = match implementation(&form) {
        Ok(i) => i,
        Err(e) => return refuse(failed(&state, &caller, ACTION, "", e).await),
    };
    let kind = view::kind(&implementation);
    match state.arena.register_anomed(&user, form.get("name"), implementation, visibility).await {
        Ok(registration) => {
            state.leaderboards.clear();
            let submission = &registration.submission;
            let detail = serde_json::json!({ "kind": kind, "visibility": view::visibility(visibility) });
            if let Err(e) = state.audit(&user.id, ACTION, &submission.id, Outcome::Allowed, detail).await {
                return error_page(&state, &caller, e);
            }
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            let registered = context! {
                id => submission.id.clone(),
                name => submission.name.clone(),
                kind => kind,
                challenge_host => format!("{host}{}", registration.challenge_path),
                deanonymizer => submission.role == anonlab_arena::submission::SubmissionRole::Attack,
            };
            let context = context! { form => defaults(), challenges => challenges.clone(), registered => registered };
            let mut page = render(&state, &caller, StatusCode::CREATED, "submit_anomed.html", context);
            page.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            page
        }
        Err(e) => refuse(failed(&state, &caller, ACTION, "", e.into()).await),
    }
}
