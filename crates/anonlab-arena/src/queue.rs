//! The durable job queue, in the database beside everything else.
//!
//! One job per evaluation. A worker claims the oldest ready job atomically —
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent workers never block
//! on or take the same row; on SQLite the single writer makes the claiming
//! `UPDATE … RETURNING` atomic by itself — and holds it under a lease it
//! renews while working. A worker that dies stops renewing; once the lease
//! runs out another worker takes the job over (up to `max_attempts` claims).
//! Finishing is conditional on still holding the lease and writes the
//! evaluation's result in the same transaction, so a result is recorded
//! exactly once even when a presumed-dead worker comes back.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::catalog::{Challenge, Submission, json_text};
use crate::error::{Error, Result};
use crate::store::{Backend, Store, new_id, now_ms};
use crate::submission::Implementation;

/// Claims per job before it is marked failed.
pub const MAX_ATTEMPTS: i64 = 3;

/// A job a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    /// The job.
    pub id: String,
    /// The evaluation it runs.
    pub evaluation_id: String,
    /// This claim's number, from 1.
    pub attempt: i64,
    /// Claims allowed.
    pub max_attempts: i64,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct QueueCounts {
    /// Waiting to be claimed.
    pub queued: i64,
    /// Claimed by a worker.
    pub running: i64,
    /// Finished.
    pub done: i64,
    /// Given up on.
    pub failed: i64,
}

/// The seed of one evaluation: fixed by what is evaluated — the challenge's
/// split and the two submissions' settings, not their random ids — so a re-run
/// (after a crash, on another worker, or on another installation) computes the
/// same figures.
fn evaluation_seed(challenge: &Challenge, anonymizer: &str, attack: &str) -> i64 {
    let mut hash = Sha256::new();
    hash.update(challenge.spec.split.seed.to_be_bytes());
    hash.update(challenge.slug.as_bytes());
    hash.update([0]);
    hash.update(anonymizer.as_bytes());
    hash.update([0]);
    hash.update(attack.as_bytes());
    let bytes: [u8; 8] = hash.finalize()[..8].try_into().expect("8 bytes");
    (u64::from_be_bytes(bytes) >> 1) as i64
}

fn versions() -> String {
    serde_json::json!({ "anonlab": env!("CARGO_PKG_VERSION") }).to_string()
}

/// Creates the evaluation of `anonymizer` on `challenge` (its utility run when
/// `attack` is `None`, else that attack's privacy run) and its job, unless it
/// exists; attacks the challenge does not run are skipped.
pub(crate) async fn schedule(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    challenge: &Challenge,
    anonymizer: &str,
    attack: Option<&Submission>,
) -> Result<()> {
    let attack_id = attack.map_or("", |a| a.id.as_str());
    let anonymizer_settings: String = sqlx::query_scalar("SELECT implementation_json FROM submissions WHERE id = $1")
        .bind(anonymizer)
        .fetch_one(&mut **tx)
        .await?;
    let implementation: Implementation = serde_json::from_str(&anonymizer_settings)?;
    if !applies(challenge, anonymizer, &implementation, attack.map(|a| &a.implementation)) {
        return Ok(());
    }
    let attack_settings = match attack {
        Some(a) => json_text(&a.implementation)?,
        None => String::new(),
    };
    let evaluation = new_id("ev");
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO evaluations (id, challenge_id, anonymizer_id, attack_id, state, seed, versions_json, attempts, created_at) \
         VALUES ($1, $2, $3, $4, 'queued', $5, $6, 0, $7) ON CONFLICT (challenge_id, anonymizer_id, attack_id) DO NOTHING",
    )
    .bind(&evaluation)
    .bind(&challenge.id)
    .bind(anonymizer)
    .bind(attack_id)
    .bind(evaluation_seed(challenge, &anonymizer_settings, &attack_settings))
    .bind(versions())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 1 {
        sqlx::query(
            "INSERT INTO jobs (id, evaluation_id, state, attempts, max_attempts, run_after, created_at, updated_at) \
             VALUES ($1, $2, 'queued', 0, $3, $4, $4, $4)",
        )
        .bind(new_id("job"))
        .bind(&evaluation)
        .bind(MAX_ATTEMPTS)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Whether an evaluation of `anonymizer` (by `attack`, or its utility run when
/// `None`) belongs on `challenge`: table attacks meet table releases, model
/// attacks meet AnoMed models, an AnoMed app only its own challenge (and a
/// deanonymizer only its target), and a challenge's `attacks` list limits the
/// built-in attacks.
fn applies(
    challenge: &Challenge,
    anonymizer_id: &str,
    anonymizer: &Implementation,
    attack: Option<&Implementation>,
) -> bool {
    if let Some(service) = anonymizer.anomed_service()
        && service.challenge != challenge.slug
    {
        return false;
    }
    let model = matches!(anonymizer, Implementation::AnomedAnonymizer(_));
    match attack {
        None => true,
        Some(Implementation::BuiltinAttack(builtin)) => {
            builtin.targets_models() == model
                && (challenge.spec.attacks.is_empty() || challenge.spec.attacks.iter().any(|a| a == builtin.name()))
        }
        Some(Implementation::AnomedDeanonymizer(service)) => {
            service.challenge == challenge.slug && service.target.as_deref() == Some(anonymizer_id)
        }
        Some(_) => false,
    }
}

/// Where a finished job's result goes.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The metrics, as JSON.
    pub metrics: serde_json::Value,
    /// SHA-256 of the release the run made (utility runs).
    pub release_sha256: Option<String>,
    /// When the work started (Unix ms).
    pub started_at: i64,
}

impl Store {
    /// Claims the next ready job for `worker` with a lease of `lease`, or `None`.
    /// Jobs whose leases ran out with no claims left are marked failed first.
    pub async fn claim_job(&self, worker: &str, lease: Duration) -> Result<Option<ClaimedJob>> {
        self.fail_exhausted().await?;
        let now = now_ms();
        let lock = if self.backend() == Backend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT id FROM jobs \
                         WHERE ((state = 'queued' AND run_after <= $3) OR (state = 'running' AND lease_until < $3)) \
                           AND attempts < max_attempts \
                         ORDER BY run_after, created_at, id LIMIT 1 {lock}) \
             RETURNING id, evaluation_id, attempts, max_attempts"
        );
        let row = sqlx::query(&sql)
            .bind(worker)
            .bind(now + lease.as_millis() as i64)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let job = ClaimedJob {
            id: row.try_get("id")?,
            evaluation_id: row.try_get("evaluation_id")?,
            attempt: row.try_get("attempts")?,
            max_attempts: row.try_get("max_attempts")?,
        };
        sqlx::query("UPDATE evaluations SET state = 'running', attempts = $1, started_at = $2 WHERE id = $3")
            .bind(job.attempt)
            .bind(now)
            .bind(&job.evaluation_id)
            .execute(self.pool())
            .await?;
        Ok(Some(job))
    }

    /// Marks failed the jobs whose last allowed claim's lease ran out. Both
    /// statements write, so on SQLite the transaction holds the write lock from
    /// its first statement (a read first could not be upgraded under contention).
    async fn fail_exhausted(&self) -> Result<()> {
        let now = now_ms();
        let exhausted =
            "SELECT evaluation_id FROM jobs WHERE state = 'running' AND lease_until < $2 AND attempts >= max_attempts";
        let mut tx = self.pool().begin().await?;
        let marked = sqlx::query(&format!(
            "UPDATE evaluations SET state = 'failed', error = $1, finished_at = $2 WHERE id IN ({exhausted})"
        ))
        .bind("the worker stopped responding on every attempt (lease expired)")
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() > 0 {
            sqlx::query(
                "UPDATE jobs SET state = 'failed', lease_owner = NULL, last_error = $1, updated_at = $2 \
                 WHERE state = 'running' AND lease_until < $2 AND attempts >= max_attempts",
            )
            .bind("lease expired on the last attempt")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Extends the lease of a job `worker` still holds; false when it lost it.
    pub async fn renew_lease(&self, job: &ClaimedJob, worker: &str, lease: Duration) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = $1, updated_at = $2 WHERE id = $3 AND lease_owner = $4 AND state = 'running'",
        )
        .bind(now_ms() + lease.as_millis() as i64)
        .bind(now_ms())
        .bind(&job.id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a finished job and its evaluation's result, and queues the
    /// privacy runs a new release calls for, all in one transaction — only if
    /// `worker` still holds the lease (false otherwise: someone else took over,
    /// and this result is dropped so that it is recorded exactly once).
    pub async fn finish_job(&self, job: &ClaimedJob, worker: &str, finished: Finished) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, updated_at = $1 \
             WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(now)
        .bind(&job.id)
        .bind(worker)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE evaluations SET state = 'done', metrics_json = $1, release_sha256 = $2, error = NULL, \
             started_at = $3, finished_at = $4 WHERE id = $5",
        )
        .bind(json_text(&finished.metrics)?)
        .bind(&finished.release_sha256)
        .bind(finished.started_at)
        .bind(now)
        .bind(&job.evaluation_id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT challenge_id, anonymizer_id, attack_id FROM evaluations WHERE id = $1")
            .bind(&job.evaluation_id)
            .fetch_one(&mut *tx)
            .await?;
        let attack_id: String = row.try_get("attack_id")?;
        if attack_id.is_empty() {
            // A new release: every attack gets a privacy run on it.
            let challenge_id: String = row.try_get("challenge_id")?;
            let anonymizer: String = row.try_get("anonymizer_id")?;
            let challenge =
                sqlx::query("SELECT * FROM challenges WHERE id = $1").bind(&challenge_id).fetch_one(&mut *tx).await?;
            let challenge = crate::catalog::challenge_from_row(&challenge)?;
            let attacks = sqlx::query("SELECT * FROM submissions WHERE role = 'attack' ORDER BY created_at, id")
                .fetch_all(&mut *tx)
                .await?;
            for attack in &attacks {
                let attack = crate::catalog::submission_from_row(attack)?;
                schedule(&mut tx, &challenge, &anonymizer, Some(&attack)).await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Records a failed attempt: retried after `backoff` while claims remain and
    /// the failure may pass, else the evaluation is marked failed with `error`.
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        worker: &str,
        error: &str,
        retry: bool,
        backoff: Duration,
    ) -> Result<bool> {
        let now = now_ms();
        let final_attempt = !retry || job.attempt >= job.max_attempts;
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = $1, lease_owner = NULL, lease_until = NULL, last_error = $2, run_after = $3, updated_at = $4 \
             WHERE id = $5 AND lease_owner = $6 AND state = 'running'",
        )
        .bind(if final_attempt { "failed" } else { "queued" })
        .bind(error)
        .bind(now + backoff.as_millis() as i64)
        .bind(now)
        .bind(&job.id)
        .bind(worker)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("UPDATE evaluations SET state = $1, error = $2, finished_at = $3 WHERE id = $4")
            .bind(if final_attempt { "failed" } else { "queued" })
            .bind(error)
            .bind(if final_attempt { Some(now) } else { None })
            .bind(&job.evaluation_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Hands a job back unfinished (graceful shutdown): it is queued again at
    /// once and the interrupted claim does not count as an attempt.
    pub async fn return_job(&self, job: &ClaimedJob, worker: &str) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, \
             run_after = $1, updated_at = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(now)
        .bind(&job.id)
        .bind(worker)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("UPDATE evaluations SET state = 'queued' WHERE id = $1")
            .bind(&job.evaluation_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Jobs per state.
    pub async fn queue_counts(&self) -> Result<QueueCounts> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").fetch_all(self.pool()).await?;
        let mut counts = QueueCounts::default();
        for row in rows {
            let n: i64 = row.try_get("n")?;
            match row.try_get::<String, _>("state")?.as_str() {
                "queued" => counts.queued = n,
                "running" => counts.running = n,
                "done" => counts.done = n,
                "failed" => counts.failed = n,
                other => return Err(Error::internal(format!("unknown job state '{other}'"))),
            }
        }
        Ok(counts)
    }
}
