//! Leaderboards: per challenge, every anonymizer's utility beside what every
//! attack learned from its release, and the privacy–utility frontier.
//!
//! Privacy is summarized by the worst residual risk any attack measured (an
//! adversary picks their best attack); utility by `1 − information loss`. An
//! entry is on the frontier when no other finished entry is at least as
//! private and at least as useful, and strictly better in one.
//!
//! Trained models (AnoMed anonymizers) are ranked in a board of their own:
//! their utility is validation accuracy and their attacks are membership
//! inference on the model, so neither axis compares with a table release's.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::accounts::User;
use crate::anomed::driver::ModelUtilityMetrics;
use crate::catalog::{Challenge, Submission};
use crate::error::Result;
use crate::evaluate::metrics::{PrivacyMetrics, UtilityMetrics};
use crate::store::Store;
use crate::submission::{Implementation, SubmissionRole};

/// One attack's column on a leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AttackColumn {
    /// The attack submission's id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// What one attack measured on one entry's release.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PrivacyCell {
    /// The attack submission's id.
    pub attack_id: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// The figures, once done.
    pub metrics: Option<PrivacyMetrics>,
    /// Why it failed.
    pub error: Option<String>,
}

/// One anonymizer on a leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Entry {
    /// The anonymizer submission.
    pub submission: Submission,
    /// Who submitted it.
    pub owner: String,
    /// State of its utility run.
    pub state: String,
    /// Its release's utility, once scored (table anonymizers).
    pub utility: Option<UtilityMetrics>,
    /// Its model's accuracy, once scored (AnoMed anonymizers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_utility: Option<ModelUtilityMetrics>,
    /// Why the utility run failed.
    pub error: Option<String>,
    /// One cell per attack column, in column order.
    pub privacy: Vec<PrivacyCell>,
    /// The highest residual risk of any finished attack.
    pub worst_risk: Option<f64>,
    /// `1 − information_loss` for a table, validation accuracy for a model.
    pub utility_score: Option<f64>,
    /// Whether every attack finished and no entry beats it on both axes.
    pub on_frontier: bool,
}

/// A challenge's leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Leaderboard {
    /// The challenge.
    pub challenge: Challenge,
    /// The attacks, in column order.
    pub attacks: Vec<AttackColumn>,
    /// The anonymizers, best privacy–utility trade-off first.
    pub entries: Vec<Entry>,
    /// The attacks on models (AnoMed anonymizers), in column order.
    pub model_attacks: Vec<AttackColumn>,
    /// The AnoMed anonymizers registered for this challenge, ranked alike.
    pub models: Vec<Entry>,
}

struct EvaluationRow {
    state: String,
    metrics: Option<String>,
    error: Option<String>,
}

impl Store {
    /// The leaderboard of `challenge` as `viewer` may see it (private
    /// submissions only for their owner and admins).
    pub async fn leaderboard(&self, challenge: &str, viewer: Option<&User>) -> Result<Leaderboard> {
        let challenge = self.challenge(challenge).await?;
        let submissions = self.submissions(viewer).await?;
        let owners: HashMap<String, String> = sqlx::query("SELECT id, username FROM users")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("username")?)))
            .collect::<Result<_>>()?;
        let rows = sqlx::query(
            "SELECT anonymizer_id, attack_id, state, metrics_json, error FROM evaluations WHERE challenge_id = $1",
        )
        .bind(&challenge.id)
        .fetch_all(self.pool())
        .await?;
        let mut evaluations: HashMap<(String, String), EvaluationRow> = HashMap::with_capacity(rows.len());
        for row in &rows {
            evaluations.insert(
                (row.try_get("anonymizer_id")?, row.try_get("attack_id")?),
                EvaluationRow {
                    state: row.try_get("state")?,
                    metrics: row.try_get("metrics_json")?,
                    error: row.try_get("error")?,
                },
            );
        }
        let is_model = |s: &Submission| matches!(s.implementation, Implementation::AnomedAnonymizer(_));
        let board = |models: bool| -> (Vec<AttackColumn>, Vec<Entry>) {
            let anonymizers: Vec<&Submission> = submissions
                .iter()
                .filter(|s| s.role == SubmissionRole::Anonymizer && is_model(s) == models)
                .filter(|s| evaluations.contains_key(&(s.id.clone(), String::new())))
                .collect();
            // Only attacks run on these anonymizers get a column.
            let attacks: Vec<&Submission> = submissions
                .iter()
                .filter(|a| a.role == SubmissionRole::Attack)
                .filter(|a| anonymizers.iter().any(|s| evaluations.contains_key(&(s.id.clone(), a.id.clone()))))
                .collect();
            let mut entries: Vec<Entry> =
                anonymizers.iter().map(|s| entry(s, &attacks, &evaluations, &owners)).collect();
            mark_frontier(&mut entries);
            entries.sort_by(|a, b| {
                b.on_frontier
                    .cmp(&a.on_frontier)
                    .then(a.worst_risk.unwrap_or(f64::INFINITY).total_cmp(&b.worst_risk.unwrap_or(f64::INFINITY)))
                    .then(b.utility_score.unwrap_or(-1.0).total_cmp(&a.utility_score.unwrap_or(-1.0)))
            });
            let columns = attacks.iter().map(|a| AttackColumn { id: a.id.clone(), name: a.name.clone() }).collect();
            (columns, entries)
        };
        let (attacks, entries) = board(false);
        let (model_attacks, models) = board(true);
        Ok(Leaderboard { challenge, attacks, entries, model_attacks, models })
    }
}

/// One anonymizer's row: its utility run and one cell per attack column.
fn entry(
    submission: &Submission,
    attacks: &[&Submission],
    evaluations: &HashMap<(String, String), EvaluationRow>,
    owners: &HashMap<String, String>,
) -> Entry {
    let utility_row = &evaluations[&(submission.id.clone(), String::new())];
    let utility: Option<UtilityMetrics> = parse(&utility_row.metrics);
    let model_utility: Option<ModelUtilityMetrics> = parse(&utility_row.metrics);
    let privacy: Vec<PrivacyCell> = attacks
        .iter()
        .map(|a| match evaluations.get(&(submission.id.clone(), a.id.clone())) {
            Some(row) => PrivacyCell {
                attack_id: a.id.clone(),
                state: row.state.clone(),
                metrics: parse(&row.metrics),
                error: row.error.clone(),
            },
            None => PrivacyCell { attack_id: a.id.clone(), state: "waiting".into(), metrics: None, error: None },
        })
        .collect();
    let worst_risk = privacy.iter().filter_map(|c| c.metrics.as_ref().map(|m| m.risk.value)).reduce(f64::max);
    let utility_score = match (&utility, &model_utility) {
        (Some(u), _) => Some(1.0 - u.information_loss),
        (None, Some(m)) => Some(m.validation.accuracy.value),
        (None, None) => None,
    };
    Entry {
        owner: owners.get(&submission.owner_id).cloned().unwrap_or_default(),
        submission: submission.clone(),
        state: utility_row.state.clone(),
        utility_score,
        utility,
        model_utility,
        error: utility_row.error.clone(),
        worst_risk,
        on_frontier: false,
        privacy,
    }
}

fn parse<T: serde::de::DeserializeOwned>(text: &Option<String>) -> Option<T> {
    text.as_deref().and_then(|t| serde_json::from_str(t).ok())
}

/// Marks the entries no complete entry dominates (lower or equal risk and higher
/// or equal utility, one strictly); entries with attacks pending are not ranked.
fn mark_frontier(entries: &mut [Entry]) {
    let complete = |e: &Entry| e.utility_score.is_some() && e.privacy.iter().all(|c| c.metrics.is_some());
    let points: Vec<Option<(f64, f64)>> = entries
        .iter()
        .map(|e| complete(e).then(|| (e.worst_risk.unwrap_or(0.0), e.utility_score.unwrap_or(0.0))))
        .collect();
    for (i, entry) in entries.iter_mut().enumerate() {
        let Some((risk, utility)) = points[i] else { continue };
        entry.on_frontier =
            !points.iter().flatten().any(|&(r, u)| r <= risk && u >= utility && (r < risk || u > utility));
    }
}

/// Every figure of one anonymizer on one challenge: its utility and each
/// attack's full result (ROC curves included), for the entry's page.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EntryDetail {
    /// The leaderboard row.
    pub entry: Entry,
    /// The attack columns, matching `entry.privacy`.
    pub attacks: Vec<AttackColumn>,
    /// The challenge.
    pub challenge: Challenge,
}

impl Store {
    /// One entry of a leaderboard, if `viewer` may see it.
    pub async fn leaderboard_entry(
        &self,
        challenge: &str,
        anonymizer: &str,
        viewer: Option<&User>,
    ) -> Result<EntryDetail> {
        let board = self.leaderboard(challenge, viewer).await?;
        let found = |entries: Vec<Entry>| entries.into_iter().find(|e| e.submission.id == anonymizer);
        let (entry, attacks) = match found(board.entries) {
            Some(entry) => (entry, board.attacks),
            None => (
                found(board.models).ok_or_else(|| crate::Error::not_found("leaderboard entry", anonymizer))?,
                board.model_attacks,
            ),
        };
        Ok(EntryDetail { entry, attacks, challenge: board.challenge })
    }

    /// Counts of evaluations per state on `challenge`.
    pub async fn evaluation_counts(&self, challenge_id: &str) -> Result<HashMap<String, i64>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM evaluations WHERE challenge_id = $1 GROUP BY state")
            .bind(challenge_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("state")?, r.try_get("n")?))).collect()
    }
}
