//! Which AnoMed app is calling, and what our utility routes measured for it.
//!
//! AnoMed apps identify themselves only by self-declared names in query
//! parameters, which anyone can forge. Here every registered app gets a random
//! secret at registration and is started with `CHALLENGE_HOST` set to
//! `host:port/anomed/<secret>`; the app builds `http://{CHALLENGE_HOST}/data/...`
//! from it unchanged, so every request it makes carries the secret in its path.
//! Only the secret's SHA-256 is stored.

use sqlx::Row;

use super::ml::DataSplit;
use crate::accounts::{hash_secret, random_secret};
use crate::catalog::{Challenge, Submission, challenge_from_row, submission_from_row};
use crate::error::{Error, Result};
use crate::store::{Store, now_ms};

/// What a recorded result is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// A round of the machine-learning challenge.
    Ml(DataSplit),
    /// A tabular anonymizer's uploaded release.
    Release,
    /// A tabular deanonymizer's reconstruction of the secret column.
    Reconstruction,
}

impl Round {
    fn name(self) -> &'static str {
        match self {
            Round::Ml(split) => split.name(),
            Round::Release => "release",
            Round::Reconstruction => "reconstruction",
        }
    }
}

/// A registered AnoMed app and the challenge it serves.
#[derive(Debug, Clone)]
pub struct Link {
    /// The app's submission.
    pub submission: Submission,
    /// Its challenge.
    pub challenge: Challenge,
    /// For a deanonymizer: the anonymizer it attacks.
    pub target: Option<Submission>,
}

impl Link {
    /// Who the audit log names for the app's requests.
    pub fn actor(&self) -> String {
        format!("anomed:{}", self.submission.id)
    }

    /// Whether the app is a deanonymizer aimed at a tabular anonymizer (whose
    /// routes are the tabular variant's, not the machine-learning challenge's).
    pub fn aims_at_tabular(&self) -> bool {
        matches!(
            self.target.as_ref().map(|t| &t.implementation),
            Some(crate::submission::Implementation::AnomedTabularAnonymizer(_))
        )
    }
}

/// Links `submission` to the challenge `slug` and returns the new secret.
pub(crate) async fn insert(tx: &mut sqlx::Transaction<'_, sqlx::Any>, submission: &str, slug: &str) -> Result<String> {
    let challenge: Option<String> =
        sqlx::query_scalar("SELECT id FROM challenges WHERE slug = $1").bind(slug).fetch_optional(&mut **tx).await?;
    let challenge = challenge.ok_or_else(|| Error::not_found("challenge", slug))?;
    let secret = random_secret();
    sqlx::query(
        "INSERT INTO anomed_links (token_hash, submission_id, challenge_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(hash_secret(&secret))
    .bind(submission)
    .bind(&challenge)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(secret)
}

impl Store {
    /// The app a secret belongs to, or `None` for an unknown secret.
    pub async fn anomed_link(&self, secret: &str) -> Result<Option<Link>> {
        let row = sqlx::query("SELECT submission_id, challenge_id FROM anomed_links WHERE token_hash = $1")
            .bind(hash_secret(secret))
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let submission = sqlx::query("SELECT * FROM submissions WHERE id = $1")
            .bind(row.try_get::<String, _>("submission_id")?)
            .fetch_one(self.pool())
            .await?;
        let challenge = sqlx::query("SELECT * FROM challenges WHERE id = $1")
            .bind(row.try_get::<String, _>("challenge_id")?)
            .fetch_one(self.pool())
            .await?;
        let submission = submission_from_row(&submission)?;
        let target = match submission.implementation.anomed_service().and_then(|s| s.target.as_deref()) {
            Some(target) => Some(self.submission(target).await?),
            None => None,
        };
        Ok(Some(Link { submission, challenge: challenge_from_row(&challenge)?, target }))
    }

    /// Records what our utility route measured for `submission` in one round
    /// (`tuning` may be repeated, the latest counts; `validation` and a tabular
    /// `release` happen once).
    ///
    /// # Errors
    /// A conflict when a once-only round was recorded already.
    pub async fn record_anomed_result(
        &self,
        submission: &str,
        round: Round,
        metrics: &serde_json::Value,
    ) -> Result<()> {
        let now = now_ms();
        let metrics = metrics.to_string();
        let conflict = if round == Round::Ml(DataSplit::Tuning) {
            "DO UPDATE SET metrics_json = excluded.metrics_json, calls = anomed_results.calls + 1, updated_at = excluded.updated_at"
        } else {
            "DO NOTHING"
        };
        let done = sqlx::query(&format!(
            "INSERT INTO anomed_results (submission_id, data_split, metrics_json, calls, created_at, updated_at) \
             VALUES ($1, $2, $3, 1, $4, $4) ON CONFLICT (submission_id, data_split) {conflict}"
        ))
        .bind(submission)
        .bind(round.name())
        .bind(&metrics)
        .bind(now)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(Error::conflict(match round {
                Round::Release => "this submission's release was recorded already; a release is scored once",
                Round::Reconstruction => "this submission's reconstruction was scored already; it is scored once",
                _ => {
                    "this submission was validated already; validation happens once (use data_split=tuning to try again)"
                }
            }));
        }
        Ok(())
    }

    /// What our utility route recorded for `submission` in one round.
    pub async fn anomed_result(&self, submission: &str, round: Round) -> Result<Option<serde_json::Value>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT metrics_json FROM anomed_results WHERE submission_id = $1 AND data_split = $2")
                .bind(submission)
                .bind(round.name())
                .fetch_optional(self.pool())
                .await?;
        text.map(|t| serde_json::from_str(&t).map_err(Error::from)).transpose()
    }
}
