//! The pages with forms and what their posts do: signing in and out,
//! registering, submitting an anonymizer, uploading a dataset, creating a
//! challenge from it, and (admins) creating accounts.
//!
//! Every post checks the session's CSRF token (the hidden `csrf` field), is
//! audited whether it succeeds or not, and answers a success with a `303` to
//! the page that shows the result; a refused post shows its form again with
//! the message and what was entered, with the refusal's status.

use std::collections::HashMap;

use anonlab_arena::ErrorKind;
use anonlab_arena::accounts::{CredentialKind, Role, User};
use anonlab_arena::audit::Outcome;
use anonlab_arena::catalog::Dataset;
use anonlab_arena::challenge::{
    ChallengeSpec, ColumnRole, ColumnSpec, HierarchySpec, SplitSpec, ThreatModel, UtilitySpec,
};
use anonlab_arena::submission::{BuiltinAnonymizer, Implementation, Visibility};
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use minijinja::{Value, context};
use serde::Deserialize;

use super::view::{self, Fields};
use super::{Guard, error_page, failed, finish, render, require, see_other};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extractor::{Caller, ClientAddr, session_cookie};

pub(super) type FormBody = Result<Form<Vec<(String, String)>>, FormRejection>;

/// The posted fields, or why the body is not a form.
fn fields(body: FormBody) -> ApiResult<Fields> {
    match body {
        Ok(Form(pairs)) => Ok(Fields(pairs)),
        Err(rejection) => {
            let status = rejection.status();
            let error = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                ApiError::unsupported_media_type("send the form as application/x-www-form-urlencoded")
            } else {
                ApiError::new(status, "invalid", format!("the form could not be read: {}", rejection.body_text()))
            };
            Err(error)
        }
    }
}

/// The fields of a submitted form whose CSRF token matches the session's; an
/// unreadable form or a wrong token (audited as a refused `action`) is the page to answer.
pub(super) async fn checked_form(
    state: &AppState,
    caller: &Caller,
    body: FormBody,
    action: &str,
) -> Result<Fields, Response> {
    let form = fields(body).map_err(|e| error_page(state, caller, e))?;
    if let Err(e) = caller.check_csrf(form.raw("csrf")) {
        let e = crate::http::denied(state, caller, action, "", e).await;
        return Err(error_page(state, caller, e));
    }
    Ok(form)
}

fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

// ---------------------------------------------------------------- sign in

#[derive(Deserialize)]
pub(super) struct LoginQuery {
    next: Option<String>,
    registered: Option<String>,
}

/// `GET /login`: the sign-in form.
pub(super) async fn login_form(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<LoginQuery>,
) -> Response {
    let form = HashMap::from([("username".to_string(), query.registered.clone().unwrap_or_default())]);
    let notice = query.registered.as_ref().map(|name| format!("The account '{name}' was created: sign in with it."));
    render(
        &state,
        &caller,
        StatusCode::OK,
        "login.html",
        context! { next => view::local_path(query.next.as_deref()), form => form, notice => notice },
    )
}

/// `POST /login`: checks the password (rate-limited per client), starts a
/// session and sets its cookie.
pub(super) async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    caller: Caller,
    body: FormBody,
) -> Response {
    let form = match checked_form(&state, &caller, body, "login").await {
        Ok(form) => form,
        Err(page) => return page,
    };
    let next = view::local_path(Some(form.get("next")));
    let username = form.get("username");
    let refuse = |error: ApiError| {
        render(
            &state,
            &caller,
            error.status,
            "login.html",
            context! { next => next.clone(), form => form.echo(), error => error.message },
        )
    };
    let anonymous = Caller { principal: None, session_secret: None };
    if !state.limits.login(client) {
        let error =
            crate::http::denied(&state, &anonymous, "login", "", ApiError::rate_limited("sign-in attempts")).await;
        return refuse(error);
    }
    let user = match state.arena.store.login(username, form.raw("password")).await {
        Ok(user) => user,
        Err(e) if e.kind() == ErrorKind::Unauthenticated => {
            // The account's id as the target, never the name typed: it may be a mistyped password.
            let target = match state.arena.store.users().await {
                Ok(users) => users.into_iter().find(|u| u.username == username).map(|u| u.id).unwrap_or_default(),
                Err(e) => return error_page(&state, &caller, e.into()),
            };
            return refuse(crate::http::denied(&state, &anonymous, "login", &target, e.into()).await);
        }
        Err(e) => return error_page(&state, &caller, e.into()),
    };
    let outcome = start_session(&state, &caller, &user, &next).await;
    finish(&state, &caller, outcome)
}

async fn start_session(state: &AppState, caller: &Caller, user: &User, next: &str) -> ApiResult<Response> {
    // A new session replaces the one the browser had (no session fixation).
    if let Some(old) = &caller.session_secret {
        state.arena.store.revoke_credential(old).await?;
    }
    let issued = state
        .arena
        .store
        .issue_credential(user, CredentialKind::Session, "browser", state.config.session_ttl())
        .await?;
    state.audit(&user.id, "login", &user.id, Outcome::Allowed, serde_json::json!({ "via": "browser" })).await?;
    Ok(with_cookie(
        see_other(next),
        session_cookie(&state.config, &issued.secret, state.config.session_ttl().as_secs()),
    ))
}

/// `POST /logout`: ends the session and removes the cookie.
pub(super) async fn logout(State(state): State<AppState>, caller: Caller, body: FormBody) -> Response {
    if let Err(page) = checked_form(&state, &caller, body, "logout").await {
        return page;
    }
    let outcome = async {
        if let Some(secret) = &caller.session_secret {
            state.arena.store.revoke_credential(secret).await?;
            state.audit(&caller.actor(), "logout", &caller.actor(), Outcome::Allowed, serde_json::json!({})).await?;
        }
        Ok(with_cookie(see_other("/"), session_cookie(&state.config, "", 0)))
    }
    .await;
    finish(&state, &caller, outcome)
}

// ---------------------------------------------------------------- register

/// `GET /register`: the form for a researcher account.
pub(super) async fn register_form(State(state): State<AppState>, caller: Caller) -> Response {
    render(&state, &caller, StatusCode::OK, "register.html", context! { form => HashMap::<String, String>::new() })
}

/// `POST /register`: creates a researcher account (rate-limited like
/// sign-in, since each costs an Argon2 hash), then asks to sign in.
pub(super) async fn register(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    caller: Caller,
    body: FormBody,
) -> Response {
    let form = match checked_form(&state, &caller, body, "user.create").await {
        Ok(form) => form,
        Err(page) => return page,
    };
    let refuse = |error: ApiError| {
        render(&state, &caller, error.status, "register.html", context! { form => form.echo(), error => error.message })
    };
    let username = form.get("username");
    if form.raw("password") != form.raw("password_repeat") {
        return refuse(ApiError::invalid("the two passwords differ"));
    }
    if !state.limits.login(client) {
        return refuse(
            crate::http::denied(&state, &caller, "user.create", "", ApiError::rate_limited("registrations")).await,
        );
    }
    match state.arena.store.create_user(username, form.raw("password"), Role::Researcher).await {
        Ok(user) => {
            // The new account is the actor: it registered itself.
            let detail = serde_json::json!({ "role": "researcher", "via": "browser" });
            if let Err(e) = state.audit(&user.id, "user.create", &user.id, Outcome::Allowed, detail).await {
                return error_page(&state, &caller, e);
            }
            see_other(&format!("/login?registered={}", view::query_escape(&user.username)))
        }
        Err(e) => refuse(failed(&state, &caller, "user.create", "", e.into()).await),
    }
}

// ---------------------------------------------------------------- submit

/// Who may submit: researchers and admins.
pub(super) const RESEARCH: &[Role] = &[Role::Researcher, Role::Admin];

fn submit_defaults() -> HashMap<String, String> {
    [("algorithm", "optimal-k-anonymity"), ("k", "5"), ("suppression_percent", "5"), ("visibility", "public")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `GET /submit`: the form for a built-in anonymizer (researchers, admins).
pub(super) async fn submit_form(State(state): State<AppState>, caller: Caller) -> Response {
    if let Err(refusal) = require(&state, &caller, RESEARCH, "submission.create", "/submit", Guard::Page).await {
        return refusal;
    }
    render(&state, &caller, StatusCode::OK, "submit.html", context! { form => submit_defaults() })
}

/// The anonymizer the submit form describes.
fn anonymizer(form: &Fields) -> ApiResult<BuiltinAnonymizer> {
    let k = || -> ApiResult<u32> {
        form.get("k").parse().map_err(|_| ApiError::invalid("k must be a whole number between 2 and 10000"))
    };
    let anonymizer = match form.get("algorithm") {
        "optimal-k-anonymity" => {
            let percent: f64 = form
                .get("suppression_percent")
                .parse()
                .map_err(|_| ApiError::invalid("the suppression limit must be a number of percent (0 to 99)"))?;
            BuiltinAnonymizer::OptimalKAnonymity { k: k()?, suppression_limit: percent / 100.0 }
        }
        "mondrian" => BuiltinAnonymizer::Mondrian { k: k()? },
        "microaggregation" => BuiltinAnonymizer::Microaggregation { k: k()? },
        "" => return Err(ApiError::invalid("choose an algorithm")),
        other => return Err(ApiError::invalid(format!("unknown algorithm '{other}'"))),
    };
    anonymizer.validate()?;
    Ok(anonymizer)
}

/// `POST /submit`: records the submission (which queues its evaluations) and
/// goes to the caller's submissions.
pub(super) async fn submit(State(state): State<AppState>, caller: Caller, body: FormBody) -> Response {
    let user = match require(&state, &caller, RESEARCH, "submission.create", "/submit", Guard::Form).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let form = match checked_form(&state, &caller, body, "submission.create").await {
        Ok(form) => form,
        Err(page) => return page,
    };
    let refuse = |error: ApiError| {
        render(&state, &caller, error.status, "submit.html", context! { form => form.echo(), error => error.message })
    };
    let visibility = match form.get("visibility") {
        "private" => Visibility::Private,
        _ => Visibility::Public,
    };
    let anonymizer = match anonymizer(&form) {
        Ok(a) => a,
        Err(e) => return refuse(failed(&state, &caller, "submission.create", "", e).await),
    };
    let algorithm = serde_json::to_value(&anonymizer).unwrap_or_default();
    let implementation = Implementation::BuiltinAnonymizer(anonymizer);
    match state.arena.create_submission(&user, form.get("name"), implementation, visibility).await {
        Ok(submission) => {
            state.leaderboards.clear();
            let detail = serde_json::json!({ "settings": algorithm, "visibility": view::visibility(visibility) });
            if let Err(e) = state.audit(&user.id, "submission.create", &submission.id, Outcome::Allowed, detail).await {
                return error_page(&state, &caller, e);
            }
            see_other(&format!("/submissions?created={}", view::query_escape(&submission.id)))
        }
        Err(e) => refuse(failed(&state, &caller, "submission.create", "", e.into()).await),
    }
}

// ---------------------------------------------------------------- datasets

const OWNERS: &[Role] = &[Role::DataOwner, Role::Admin];

/// `GET /datasets`: the caller's datasets (all of them for admins) and the upload form.
pub(super) async fn datasets(State(state): State<AppState>, caller: Caller) -> Response {
    let user = match require(&state, &caller, OWNERS, "dataset.list", "/datasets", Guard::Page).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let outcome = datasets_page(&state, &caller, &user, StatusCode::OK, None, HashMap::new()).await;
    finish(&state, &caller, outcome)
}

async fn datasets_page(
    state: &AppState,
    caller: &Caller,
    user: &User,
    status: StatusCode,
    error: Option<String>,
    form: HashMap<String, String>,
) -> ApiResult<Response> {
    let store = &state.arena.store;
    let owner = (user.role != Role::Admin).then_some(user.id.as_str());
    let challenges = store.challenges().await?;
    let datasets: Vec<Value> = store
        .datasets(owner)
        .await?
        .into_iter()
        .map(|d| {
            let used: Vec<Value> = challenges
                .iter()
                .filter(|c| c.dataset_id == d.id)
                .map(|c| context! { slug => c.slug.clone(), title => c.title.clone() })
                .collect();
            context! {
                id => d.id,
                name => d.name,
                rows => d.row_count,
                columns => d.header.len(),
                size => format_bytes(d.size_bytes),
                sha256 => d.sha256,
                uploaded => view::time(d.created_at),
                challenges => used,
            }
        })
        .collect();
    let context = context! {
        datasets => datasets,
        max_upload => format_bytes(state.config.max_upload_bytes as i64),
        error => error,
        form => form,
    };
    Ok(render(state, caller, status, "datasets.html", context))
}

fn format_bytes(n: i64) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{:.1} MB", n / 1024.0 / 1024.0)
    } else if n >= 1024.0 {
        format!("{:.1} kB", n / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf: String,
    name: String,
    file_name: String,
    csv: Vec<u8>,
}

/// Reads the upload form's parts, refusing a file over `limit` bytes as soon
/// as it grows past it.
async fn read_upload(mut multipart: Multipart, limit: usize) -> ApiResult<Upload> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                "too_large",
                format!("the upload is larger than the limit of {}", format_bytes(limit as i64)),
            )
        } else {
            ApiError::new(status, "invalid", format!("the upload could not be read: {}", e.body_text()))
        }
    };
    let mut upload = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        match field.name().unwrap_or("") {
            "csrf" => upload.csrf = field.text().await.map_err(broken)?,
            "name" => upload.name = field.text().await.map_err(broken)?.trim().to_string(),
            "file" => {
                upload.file_name = field.file_name().unwrap_or("").to_string();
                while let Some(chunk) = field.chunk().await.map_err(broken)? {
                    if upload.csv.len() + chunk.len() > limit {
                        return Err(ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "too_large",
                            format!("the file is larger than the limit of {}", format_bytes(limit as i64)),
                        ));
                    }
                    upload.csv.extend_from_slice(&chunk);
                }
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// `POST /datasets`: validates and seals an uploaded CSV (data owners,
/// admins; rate-limited per client), then goes on to define a challenge on it.
pub(super) async fn upload(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let user = match require(&state, &caller, OWNERS, "dataset.create", "/datasets", Guard::Form).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let multipart = match multipart {
        Ok(m) => m,
        Err(_) => {
            let error = ApiError::unsupported_media_type(
                "send the upload as multipart/form-data (the page's upload form does)",
            );
            return error_page(&state, &caller, error);
        }
    };
    if !state.limits.upload(client) {
        let error = crate::http::denied(&state, &caller, "dataset.create", "", ApiError::rate_limited("uploads")).await;
        return error_page(&state, &caller, error);
    }
    let outcome = upload_dataset(&state, &caller, &user, multipart).await;
    finish(&state, &caller, outcome)
}

async fn upload_dataset(state: &AppState, caller: &Caller, user: &User, multipart: Multipart) -> ApiResult<Response> {
    let limit = state.config.max_upload_bytes;
    let upload = match read_upload(multipart, limit).await {
        Ok(upload) => upload,
        Err(error) => {
            let detail = serde_json::json!({ "reason": error.code });
            state.audit(&user.id, "dataset.create", "", Outcome::Failed, detail).await?;
            return datasets_page(state, caller, user, error.status, Some(error.message), HashMap::new()).await;
        }
    };
    if let Err(e) = caller.check_csrf(&upload.csrf) {
        return Err(crate::http::denied(state, caller, "dataset.create", "", e).await);
    }
    let name = if upload.name.is_empty() {
        upload.file_name.rsplit('/').next().unwrap_or("").trim_end_matches(".csv").to_string()
    } else {
        upload.name.clone()
    };
    let form = HashMap::from([("name".to_string(), upload.name.clone())]);
    if upload.csv.is_empty() {
        let error = ApiError::invalid("choose a CSV file to upload");
        return datasets_page(state, caller, user, error.status, Some(error.message), form).await;
    }
    let size = upload.csv.len();
    match state.arena.create_dataset(user, &name, upload.csv, limit).await {
        Ok(dataset) => {
            let detail = serde_json::json!({ "rows": dataset.row_count, "bytes": size, "sha256": dataset.sha256 });
            state.audit(&user.id, "dataset.create", &dataset.id, Outcome::Allowed, detail).await?;
            Ok(see_other(&format!("/datasets/{}/challenge", view::query_escape(&dataset.id))))
        }
        Err(e) => {
            let error = ApiError::from(e);
            if error.status.is_server_error() {
                return Err(error);
            }
            let detail = serde_json::json!({ "reason": error.code, "bytes": size });
            state.audit(&user.id, "dataset.create", "", Outcome::Failed, detail).await?;
            datasets_page(state, caller, user, error.status, Some(error.message), form).await
        }
    }
}

// ---------------------------------------------------------------- challenges

/// The dataset, if `user` may build a challenge on it (its owner or an admin);
/// a refusal is audited.
async fn own_dataset(state: &AppState, caller: &Caller, user: &User, id: &str) -> ApiResult<Dataset> {
    let dataset = state.arena.store.dataset(id).await?;
    if dataset.owner_id != user.id && user.role != Role::Admin {
        let refusal = ApiError::forbidden("only the dataset's owner (or an admin) can make a challenge of it");
        return Err(crate::http::denied(state, caller, "challenge.create", id, refusal).await);
    }
    Ok(dataset)
}

fn challenge_defaults(dataset: &Dataset) -> HashMap<String, String> {
    let split = SplitSpec::default();
    let mut form: HashMap<String, String> = [
        ("n_attacks", "500".to_string()),
        ("train_percent", format!("{}", split.train * 100.0)),
        ("control_percent", format!("{}", split.control * 100.0)),
        ("title", dataset.name.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for i in 0..dataset.header.len() {
        form.insert(format!("role_{i}"), "insensitive".into());
        form.insert(format!("hierarchy_{i}"), "masking".into());
    }
    form
}

/// The checkboxes of the challenge form that are ticked (column indexes, attack names).
#[derive(Default)]
struct Chosen {
    aux: Vec<String>,
    features: Vec<String>,
    attacks: Vec<String>,
}

fn challenge_form_context(
    dataset: &Dataset,
    form: HashMap<String, String>,
    chosen: Chosen,
    error: Option<String>,
) -> Value {
    let columns: Vec<Value> =
        dataset.header.iter().enumerate().map(|(i, name)| context! { index => i, name => name.clone() }).collect();
    context! {
        dataset => context! {
            id => dataset.id.clone(),
            name => dataset.name.clone(),
            rows => dataset.row_count,
        },
        columns => columns,
        attack_names => view::attack_names(),
        form => form,
        aux => chosen.aux,
        features => chosen.features,
        attacks => chosen.attacks,
        error => error,
    }
}

/// `GET /datasets/{dataset}/challenge`: the form that turns a dataset into a challenge.
pub(super) async fn new_challenge_form(
    State(state): State<AppState>,
    caller: Caller,
    Path(dataset): Path<String>,
) -> Response {
    let target = format!("/datasets/{dataset}/challenge");
    let user = match require(&state, &caller, OWNERS, "challenge.create", &target, Guard::Page).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let outcome = async {
        let dataset = own_dataset(&state, &caller, &user, &dataset).await?;
        let chosen =
            Chosen { attacks: view::attack_names().into_iter().map(str::to_string).collect(), ..Chosen::default() };
        let context = challenge_form_context(&dataset, challenge_defaults(&dataset), chosen, None);
        Ok(render(&state, &caller, StatusCode::OK, "new_challenge.html", context))
    }
    .await;
    finish(&state, &caller, outcome)
}

/// The challenge spec the form describes, against the dataset's header.
fn challenge_spec(form: &Fields, header: &[String]) -> ApiResult<ChallengeSpec> {
    let column = |field: &str, value: &str| -> ApiResult<String> {
        value
            .parse::<usize>()
            .ok()
            .and_then(|i| header.get(i))
            .cloned()
            .ok_or_else(|| ApiError::invalid(format!("{field}: no such column")))
    };
    let mut columns = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let role = match form.get(&format!("role_{i}")) {
            "quasi-identifier" => ColumnRole::QuasiIdentifier,
            "sensitive" => ColumnRole::Sensitive,
            "identifying" => ColumnRole::Identifying,
            "insensitive" | "" => continue,
            other => return Err(ApiError::invalid(format!("unknown role '{other}' for column '{name}'"))),
        };
        let hierarchy = if role == ColumnRole::QuasiIdentifier {
            Some(match form.get(&format!("hierarchy_{i}")) {
                "intervals" => {
                    let text = form.get(&format!("widths_{i}"));
                    let widths: Result<Vec<f64>, _> =
                        text.split(',').map(str::trim).filter(|w| !w.is_empty()).map(str::parse::<f64>).collect();
                    let widths = widths.ok().filter(|w| !w.is_empty() && w.iter().all(|w| *w > 0.0)).ok_or_else(|| {
                        ApiError::invalid(format!(
                            "column '{name}': interval widths are positive numbers separated by commas, e.g. 5, 10, 20"
                        ))
                    })?;
                    HierarchySpec::Intervals { widths }
                }
                "flat" => HierarchySpec::Flat,
                _ => HierarchySpec::Masking,
            })
        } else {
            None
        };
        columns.push(ColumnSpec { name: name.clone(), role, hierarchy });
    }
    let aux_cols = form.all("aux").into_iter().map(|v| column("attacker-known column", v)).collect::<ApiResult<_>>()?;
    let secret = match form.get("secret") {
        "" => return Err(ApiError::invalid("choose the secret column attribute inference tries to learn")),
        v => column("secret column", v)?,
    };
    let target = match form.get("target") {
        "" => None,
        v => Some(column("target column", v)?),
    };
    let features: Vec<String> =
        form.all("feature").into_iter().map(|v| column("classifier feature", v)).collect::<ApiResult<_>>()?;
    if target.is_none() && !features.is_empty() {
        return Err(ApiError::invalid("classifier features need a classification target"));
    }
    if let Some(t) = &target
        && features.contains(t)
    {
        return Err(ApiError::invalid(format!("the target '{t}' cannot also be a feature of its classifier")));
    }
    let chosen = form.all("attack");
    if chosen.is_empty() {
        return Err(ApiError::invalid("choose at least one attack"));
    }
    let names = view::attack_names();
    if let Some(unknown) = chosen.iter().find(|a| !names.contains(a)) {
        return Err(ApiError::invalid(format!("unknown attack '{unknown}'")));
    }
    // All of them means all, including attacks added later.
    let attacks =
        if names.iter().all(|n| chosen.contains(n)) { vec![] } else { chosen.iter().map(|a| a.to_string()).collect() };
    let number = |field: &str, what: &str| -> ApiResult<f64> {
        form.get(field).parse::<f64>().map_err(|_| ApiError::invalid(format!("{what} must be a number")))
    };
    let n_attacks = number("n_attacks", "the attacks per evaluation")?;
    if !(1.0..=1_000_000.0).contains(&n_attacks) || n_attacks.fract() != 0.0 {
        return Err(ApiError::invalid("the attacks per evaluation must be a whole number from 1 to 1000000"));
    }
    let split = SplitSpec {
        train: number("train_percent", "the training share")? / 100.0,
        control: number("control_percent", "the control share")? / 100.0,
        ..SplitSpec::default()
    };
    let spec = ChallengeSpec {
        columns,
        split,
        utility: UtilitySpec { target, features },
        threat_model: ThreatModel { aux_cols, secret, n_attacks: n_attacks as usize },
        attacks,
    };
    spec.validate(header)?;
    Ok(spec)
}

/// `POST /datasets/{dataset}/challenge`: creates the challenge (which queues
/// every anonymizer on it) and shows its leaderboard.
pub(super) async fn new_challenge(
    State(state): State<AppState>,
    caller: Caller,
    Path(dataset): Path<String>,
    body: FormBody,
) -> Response {
    let target = format!("/datasets/{dataset}/challenge");
    let user = match require(&state, &caller, OWNERS, "challenge.create", &target, Guard::Form).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let form = match checked_form(&state, &caller, body, "challenge.create").await {
        Ok(form) => form,
        Err(page) => return page,
    };
    let outcome = async {
        let dataset = own_dataset(&state, &caller, &user, &dataset).await?;
        let created = match challenge_spec(&form, &dataset.header) {
            Ok(spec) => state
                .arena
                .create_challenge(
                    &user,
                    form.get("slug"),
                    form.get("title"),
                    form.get("description"),
                    &dataset.id,
                    spec,
                )
                .await
                .map_err(ApiError::from),
            Err(e) => Err(e),
        };
        match created {
            Ok(challenge) => {
                state.leaderboards.clear();
                let detail = serde_json::json!({ "slug": challenge.slug, "dataset": dataset.id });
                state.audit(&user.id, "challenge.create", &challenge.id, Outcome::Allowed, detail).await?;
                Ok(see_other(&format!("/challenges/{}", view::query_escape(&challenge.slug))))
            }
            Err(error) if !error.status.is_server_error() => {
                let error = failed(&state, &caller, "challenge.create", &dataset.id, error).await;
                let chosen = Chosen {
                    aux: form.all("aux").into_iter().map(str::to_string).collect(),
                    features: form.all("feature").into_iter().map(str::to_string).collect(),
                    attacks: form.all("attack").into_iter().map(str::to_string).collect(),
                };
                let context = challenge_form_context(&dataset, form.echo(), chosen, Some(error.message));
                Ok(render(&state, &caller, error.status, "new_challenge.html", context))
            }
            Err(error) => Err(error),
        }
    }
    .await;
    finish(&state, &caller, outcome)
}

// ---------------------------------------------------------------- admin

/// `POST /admin/users`: an admin creates an account of any role (data owners
/// cannot register themselves).
pub(super) async fn create_user(State(state): State<AppState>, caller: Caller, body: FormBody) -> Response {
    let admin = match require(&state, &caller, &[Role::Admin], "user.create", "/admin", Guard::Form).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let form = match checked_form(&state, &caller, body, "user.create").await {
        Ok(form) => form,
        Err(page) => return page,
    };
    let outcome = async {
        let created = match Role::parse(form.get("role")) {
            Ok(role) => state.arena.store.create_user(form.get("username"), form.raw("password"), role).await,
            Err(e) => Err(e),
        };
        match created {
            Ok(user) => {
                let detail = serde_json::json!({ "role": user.role.as_str() });
                state.audit(&admin.id, "user.create", &user.id, Outcome::Allowed, detail).await?;
                Ok(see_other("/admin"))
            }
            Err(e) => {
                let error = failed(&state, &caller, "user.create", "", ApiError::from(e)).await;
                if error.status.is_server_error() {
                    return Err(error);
                }
                super::pages::admin_page(
                    &state,
                    &caller,
                    &admin.id,
                    Some(error.message),
                    Some(form.echo()),
                    error.status,
                )
                .await
            }
        }
    }
    .await;
    finish(&state, &caller, outcome)
}
