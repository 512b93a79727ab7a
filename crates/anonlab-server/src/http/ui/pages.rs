//! The pages that only show things: home, a challenge's leaderboard, an
//! entry's detail, the caller's submissions and the admin overview.

use std::collections::HashMap;

use anonlab_arena::accounts::Role;
use anonlab_arena::audit::Outcome;
use anonlab_arena::challenge::{ColumnRole, HierarchySpec};
use anonlab_arena::submission::SubmissionRole;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::charts::{self, FrontierPoint, RocCurve};
use super::view::{self, AttackView, EntryRow};
use super::{Guard, finish, render, require};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extractor::Caller;

fn chart_error(e: charts::ChartError) -> ApiError {
    ApiError::internal(e)
}

#[derive(Serialize)]
struct ChallengeCard {
    slug: String,
    title: String,
    description: String,
    entries: usize,
    done: i64,
    queued: i64,
    running: i64,
    failed: i64,
}

/// `/`: what the platform is, the challenges with their counts, the queue.
pub(super) async fn home(State(state): State<AppState>, caller: Caller) -> Response {
    let outcome = home_page(&state, &caller).await;
    finish(&state, &caller, outcome)
}

async fn home_page(state: &AppState, caller: &Caller) -> ApiResult<Response> {
    let store = &state.arena.store;
    let mut cards = Vec::new();
    for challenge in store.challenges().await? {
        let counts = store.evaluation_counts(&challenge.id).await?;
        let count = |s: &str| counts.get(s).copied().unwrap_or(0);
        let entries = state.leaderboards.get(store, &challenge.slug, caller.user()).await?.board.entries.len();
        cards.push(ChallengeCard {
            entries,
            done: count("done"),
            queued: count("queued"),
            running: count("running"),
            failed: count("failed"),
            slug: challenge.slug,
            title: challenge.title,
            description: challenge.description,
        });
    }
    let queue = store.queue_counts().await?;
    let busy = queue.queued + queue.running > 0;
    Ok(render(
        state,
        caller,
        StatusCode::OK,
        "home.html",
        context! { challenges => cards, queue => queue, refresh => busy },
    ))
}

#[derive(Serialize)]
struct ColumnView {
    name: String,
    role: &'static str,
    hierarchy: String,
}

/// `/challenges/{slug}`: the leaderboard with its frontier chart.
pub(super) async fn challenge(State(state): State<AppState>, caller: Caller, Path(slug): Path<String>) -> Response {
    let outcome = challenge_page(&state, &caller, &slug).await;
    finish(&state, &caller, outcome)
}

async fn challenge_page(state: &AppState, caller: &Caller, slug: &str) -> ApiResult<Response> {
    let cached = state.leaderboards.get(&state.arena.store, slug, caller.user()).await?;
    let board = &cached.board;
    let rows: Vec<EntryRow> = board
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| EntryRow::new(i + 1, e, e.submission.visible_to(caller.user())))
        .collect();
    // Drawn once per cached leaderboard (the chart is the same for every
    // request until the cache entry expires); an empty string is "no chart".
    let chart = cached.frontier_svg.get_or_init(|| {
        let points: Vec<FrontierPoint> = board
            .entries
            .iter()
            .filter(|e| e.privacy.iter().all(|c| c.metrics.is_some()))
            .filter_map(|e| {
                Some(FrontierPoint {
                    name: e.submission.name.clone(),
                    risk: e.worst_risk?,
                    utility: e.utility_score?,
                    on_frontier: e.on_frontier,
                })
            })
            .collect();
        charts::frontier(&points)
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "the frontier chart failed");
                None
            })
            .unwrap_or_default()
    });
    let chart = (!chart.is_empty()).then_some(chart.as_str());
    let models: Vec<EntryRow> = board
        .models
        .iter()
        .enumerate()
        .map(|(i, e)| EntryRow::new(i + 1, e, e.submission.visible_to(caller.user())))
        .collect();
    let model_attacks: Vec<&str> = board.model_attacks.iter().map(|a| a.name.as_str()).collect();
    let pending = rows.iter().chain(&models).any(|r| r.pending);
    let spec = &board.challenge.spec;
    let columns: Vec<ColumnView> = spec
        .columns
        .iter()
        .map(|c| ColumnView {
            name: c.name.clone(),
            role: match c.role {
                ColumnRole::Identifying => "identifying",
                ColumnRole::QuasiIdentifier => "quasi-identifier",
                ColumnRole::Sensitive => "sensitive",
                ColumnRole::Insensitive => "insensitive",
            },
            hierarchy: match &c.hierarchy {
                None => String::new(),
                Some(HierarchySpec::Table { rows }) => format!("table ({} values)", rows.len()),
                Some(HierarchySpec::Intervals { widths }) => {
                    let widths: Vec<String> = widths.iter().map(|w| format!("{w}")).collect();
                    format!("intervals of {}", widths.join(", "))
                }
                Some(HierarchySpec::Masking) => "masking".to_string(),
                Some(HierarchySpec::Flat) => "flat (value or *)".to_string(),
            },
        })
        .collect();
    let attacks: Vec<&str> = board.attacks.iter().map(|a| a.name.as_str()).collect();
    let context = context! {
        challenge => context! {
            slug => board.challenge.slug.clone(),
            title => board.challenge.title.clone(),
            description => board.challenge.description.clone(),
            created => view::time(board.challenge.created_at),
        },
        columns => columns,
        aux_cols => spec.threat_model.aux_cols.clone(),
        secret => spec.threat_model.secret.clone(),
        target => spec.utility.target.clone(),
        features => spec.utility.features.clone(),
        n_attacks => spec.threat_model.n_attacks,
        split => context! {
            train => view::percent(spec.split.train),
            control => view::percent(spec.split.control),
            test => view::percent(1.0 - spec.split.train - spec.split.control),
        },
        attacks => attacks,
        entries => rows,
        models => models,
        model_attacks => model_attacks,
        frontier_chart => chart,
        pending => pending,
    };
    Ok(render(state, caller, StatusCode::OK, "challenge.html", context))
}

/// `/challenges/{slug}/entries/{submission}`: one anonymizer's figures and charts.
pub(super) async fn entry(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, submission)): Path<(String, String)>,
) -> Response {
    let outcome = entry_page(&state, &caller, &slug, &submission).await;
    finish(&state, &caller, outcome)
}

async fn entry_page(state: &AppState, caller: &Caller, slug: &str, submission: &str) -> ApiResult<Response> {
    let cached = state.leaderboards.get(&state.arena.store, slug, caller.user()).await?;
    let detail = &cached.board;
    let entry = detail
        .entries
        .iter()
        .chain(&detail.models)
        .find(|e| e.submission.id == submission)
        .ok_or_else(|| ApiError::from(anonlab_arena::Error::not_found("leaderboard entry", submission)))?;
    let visible = entry.submission.visible_to(caller.user());
    let row = EntryRow::new(0, entry, visible);
    let names: HashMap<&str, &str> =
        detail.attacks.iter().chain(&detail.model_attacks).map(|a| (a.id.as_str(), a.name.as_str())).collect();
    let attacks: Vec<AttackView> = entry
        .privacy
        .iter()
        .map(|cell| AttackView::new(names.get(cell.attack_id.as_str()).copied().unwrap_or("attack"), cell))
        .collect();
    let curves: Vec<RocCurve> = entry
        .privacy
        .iter()
        .filter_map(|cell| {
            let m = cell.metrics.as_ref()?;
            Some(RocCurve { name: m.attack.clone(), auc: m.auc, points: m.roc.clone() })
        })
        .collect();
    let roc_chart = charts::roc(&curves).map_err(chart_error)?;
    let risk_chart = match &entry.utility {
        Some(u) => charts::risk_bands(&u.risk_bands).map_err(chart_error)?,
        None => None,
    };
    let settings = visible.then(|| serde_json::to_string_pretty(&entry.submission.implementation).unwrap_or_default());
    let context = context! {
        challenge => context! { slug => detail.challenge.slug.clone(), title => detail.challenge.title.clone() },
        entry => row,
        kind => view::kind(&entry.submission.implementation),
        submitted => view::time(entry.submission.created_at),
        settings_json => settings,
        utility => entry
            .utility
            .as_ref()
            .map(view::utility_figures)
            .or_else(|| entry.model_utility.as_ref().map(view::model_figures)),
        attacks => attacks,
        risk_chart => risk_chart,
        roc_chart => roc_chart,
        pending => view::pending(&entry.state) || entry.privacy.iter().any(|c| view::pending(&c.state)),
    };
    Ok(render(state, caller, StatusCode::OK, "entry.html", context))
}

#[derive(Serialize)]
struct SubmissionView {
    id: String,
    name: String,
    role: &'static str,
    settings: String,
    visibility: &'static str,
    created: String,
    evaluations: Vec<EvaluationView>,
}

#[derive(Serialize)]
struct EvaluationView {
    slug: String,
    title: String,
    state: String,
    attacks_done: usize,
    attacks_total: usize,
    attacks_failed: usize,
    worst_risk: Option<String>,
    utility_score: Option<String>,
    error: Option<String>,
    pending: bool,
}

#[derive(Deserialize)]
pub(super) struct SubmissionsQuery {
    created: Option<String>,
}

/// `/submissions`: the caller's own submissions and how their evaluations stand.
pub(super) async fn submissions(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<SubmissionsQuery>,
) -> Response {
    let user = match require(
        &state,
        &caller,
        &[Role::Researcher, Role::DataOwner, Role::Admin],
        "submission.list",
        "/submissions",
        Guard::Page,
    )
    .await
    {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let outcome = submissions_page(&state, &caller, &user.id, query.created.as_deref()).await;
    finish(&state, &caller, outcome)
}

async fn submissions_page(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    created: Option<&str>,
) -> ApiResult<Response> {
    let store = &state.arena.store;
    let mine: Vec<_> =
        store.submissions(caller.user()).await?.into_iter().filter(|s| s.owner_id == user_id).rev().collect();
    let mut boards = Vec::new();
    for challenge in store.challenges().await? {
        boards.push(state.leaderboards.get(store, &challenge.slug, caller.user()).await?);
    }
    let mut views = Vec::new();
    for s in &mine {
        let mut evaluations = Vec::new();
        if s.role == SubmissionRole::Anonymizer {
            for board in boards.iter().map(|b| &b.board) {
                let Some(e) = board.entries.iter().find(|e| e.submission.id == s.id) else { continue };
                let pending = view::pending(&e.state) || e.privacy.iter().any(|c| view::pending(&c.state));
                evaluations.push(EvaluationView {
                    slug: board.challenge.slug.clone(),
                    title: board.challenge.title.clone(),
                    state: e.state.clone(),
                    attacks_done: e.privacy.iter().filter(|c| c.state == "done").count(),
                    attacks_total: e.privacy.len(),
                    attacks_failed: e.privacy.iter().filter(|c| c.state == "failed").count(),
                    worst_risk: e.worst_risk.map(view::fixed),
                    utility_score: e.utility_score.map(view::fixed),
                    error: e.error.clone(),
                    pending,
                });
            }
        }
        views.push(SubmissionView {
            id: s.id.clone(),
            name: s.name.clone(),
            role: match s.role {
                SubmissionRole::Anonymizer => "anonymizer",
                SubmissionRole::Attack => "attack",
            },
            settings: view::settings(&s.implementation),
            visibility: view::visibility(s.visibility),
            created: view::time(s.created_at),
            evaluations,
        });
    }
    let pending = views.iter().any(|v| v.evaluations.iter().any(|e| e.pending));
    let created = created.and_then(|id| mine.iter().find(|s| s.id == id)).map(|s| s.name.clone());
    Ok(render(
        state,
        caller,
        StatusCode::OK,
        "submissions.html",
        context! { submissions => views, pending => pending, created => created },
    ))
}

#[derive(Serialize)]
struct AuditView {
    seq: i64,
    at: String,
    actor: String,
    actor_name: Option<String>,
    action: String,
    target: String,
    outcome: String,
    detail: String,
}

/// `/admin`: users, the queue, the last 100 audit entries and whether the
/// audit chain verifies.
pub(super) async fn admin(State(state): State<AppState>, caller: Caller) -> Response {
    let user = match require(&state, &caller, &[Role::Admin], "admin.view", "/admin", Guard::Page).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let outcome = admin_page(&state, &caller, &user.id, None, None, StatusCode::OK).await;
    finish(&state, &caller, outcome)
}

/// The admin page, optionally with a form's error or notice (and what was entered).
pub(super) async fn admin_page(
    state: &AppState,
    caller: &Caller,
    admin_id: &str,
    error: Option<String>,
    form: Option<HashMap<String, String>>,
    status: StatusCode,
) -> ApiResult<Response> {
    let store = &state.arena.store;
    let accounts = store.users().await?;
    let names: HashMap<&str, &str> = accounts.iter().map(|u| (u.id.as_str(), u.username.as_str())).collect();
    let users: Vec<_> = accounts
        .iter()
        .map(|u| context! { name => u.username.clone(), role => u.role.as_str(), id => u.id.clone() })
        .collect();
    let queue = store.queue_counts().await?;
    let verification = state.arena.audit.verify().await.map_err(ApiError::from)?;
    let audit: Vec<AuditView> = state
        .arena
        .audit
        .recent(100)
        .await?
        .into_iter()
        .map(|e| AuditView {
            actor_name: names.get(e.actor.as_str()).map(|n| n.to_string()),
            seq: e.seq,
            at: view::time(e.at),
            actor: e.actor,
            action: e.action,
            target: e.target,
            outcome: e.outcome,
            detail: e.detail,
        })
        .collect();
    // Reading the audit log is itself a data access.
    state.audit(admin_id, "audit.read", "", Outcome::Allowed, serde_json::json!({ "entries": audit.len() })).await?;
    let context = context! {
        users => users,
        queue => queue,
        audit => audit,
        verification => context! {
            intact => verification.intact,
            entries => verification.entries,
            problem => verification.problem,
            head => verification.head,
        },
        roles => [Role::Researcher.as_str(), Role::DataOwner.as_str(), Role::Admin.as_str()],
        error => error,
        form => form.unwrap_or_default(),
    };
    Ok(render(state, caller, status, "admin.html", context))
}
