//! The evaluation worker: claims jobs from the queue, runs them and records
//! the results. `anonlab serve` runs one in-process; `anonlab worker` runs more
//! against the same PostgreSQL, on this machine or others.

use std::time::{Duration, Instant};

use sqlx::Row;
use tokio::sync::watch;

use crate::catalog::{Challenge, Submission};
use crate::context::Arena;
use crate::error::{Error, ErrorKind, Result};
use crate::evaluate;
use crate::queue::{ClaimedJob, Finished};
use crate::store::{new_id, now_ms};
use crate::submission::Implementation;

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker in leases and the audit log.
    pub id: String,
    /// How long a claim lasts without renewal; a crashed worker's job is taken
    /// over this long after its last renewal.
    pub lease: Duration,
    /// How long to wait between polls of an empty queue.
    pub poll: Duration,
    /// On shutdown, how long to let a running job finish before handing it back.
    pub grace: Duration,
    /// Holds every job this long before recording it (crash tests only).
    pub hold: Duration,
    /// Timeouts for calling AnoMed apps.
    pub anomed: crate::anomed::driver::DriverConfig,
}

impl WorkerConfig {
    /// Defaults: 60 s leases, 250 ms polls, 20 s grace.
    pub fn new() -> WorkerConfig {
        WorkerConfig {
            id: new_id("worker"),
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(250),
            grace: Duration::from_secs(20),
            hold: Duration::ZERO,
            anomed: Default::default(),
        }
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// What a worker did before it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Jobs finished and recorded.
    pub finished: u64,
    /// Attempts that failed.
    pub failed: u64,
    /// Jobs handed back at shutdown.
    pub returned: u64,
}

/// Runs jobs until `shutdown` turns true; then finishes the job in hand within
/// the grace period or hands it back to the queue.
pub async fn run(arena: Arena, config: WorkerConfig, mut shutdown: watch::Receiver<bool>) -> Result<WorkerStats> {
    let mut stats = WorkerStats::default();
    tracing::info!(worker = %config.id, "worker started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        let job = match arena.store.claim_job(&config.id, config.lease).await {
            Ok(job) => job,
            Err(e) => {
                tracing::warn!(worker = %config.id, error = %e, "cannot claim a job; retrying");
                None
            }
        };
        let Some(job) = job else {
            tokio::select! {
                _ = tokio::time::sleep(config.poll) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        };
        tracing::info!(worker = %config.id, job = %job.id, evaluation = %job.evaluation_id, attempt = job.attempt, "job claimed");
        let heartbeat = tokio::spawn(renew_leases(arena.clone(), job.clone(), config.clone()));
        let work = tokio::spawn(execute(arena.clone(), job.clone(), config.clone()));
        let outcome = finish_or_stop(work, &mut shutdown, config.grace).await;
        heartbeat.abort();
        match outcome {
            None => {
                arena.store.return_job(&job, &config.id).await?;
                stats.returned += 1;
                tracing::info!(worker = %config.id, job = %job.id, "job handed back at shutdown");
            }
            Some(Ok(finished)) => {
                if arena.store.finish_job(&job, &config.id, finished).await? {
                    stats.finished += 1;
                    tracing::info!(worker = %config.id, job = %job.id, "job finished");
                } else {
                    tracing::warn!(worker = %config.id, job = %job.id, "lease lost; another worker records this job");
                }
            }
            Some(Err(e)) => {
                stats.failed += 1;
                let retry = !matches!(e.kind(), ErrorKind::Evaluation | ErrorKind::Invalid);
                let backoff = Duration::from_secs(2u64.pow(job.attempt.clamp(1, 6) as u32));
                tracing::warn!(worker = %config.id, job = %job.id, error = %e, retry, "job failed");
                arena.store.fail_job(&job, &config.id, e.message(), retry, backoff).await?;
            }
        }
    }
    tracing::info!(worker = %config.id, finished = stats.finished, "worker stopped");
    Ok(stats)
}

/// The job's result, or `None` when shutdown came and the grace period ran out.
async fn finish_or_stop(
    mut work: tokio::task::JoinHandle<Result<Finished>>,
    shutdown: &mut watch::Receiver<bool>,
    grace: Duration,
) -> Option<Result<Finished>> {
    let joined = |r: std::result::Result<Result<Finished>, tokio::task::JoinError>| {
        r.unwrap_or_else(|e| Err(Error::internal(format!("the evaluation task panicked: {e}"))))
    };
    if !*shutdown.borrow() {
        tokio::select! {
            r = &mut work => return Some(joined(r)),
            _ = shutdown.changed() => {}
        }
    }
    match tokio::time::timeout(grace, &mut work).await {
        Ok(r) => Some(joined(r)),
        Err(_) => {
            work.abort();
            None
        }
    }
}

async fn renew_leases(arena: Arena, job: ClaimedJob, config: WorkerConfig) {
    let every = config.lease / 3;
    loop {
        tokio::time::sleep(every).await;
        match arena.store.renew_lease(&job, &config.id, config.lease).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(job = %job.id, error = %e, "cannot renew the lease"),
        }
    }
}

/// What one evaluation needs from the store.
struct Work {
    challenge: Challenge,
    anonymizer: Submission,
    attack: Option<Submission>,
    seed: u64,
}

async fn load(arena: &Arena, evaluation: &str) -> Result<Work> {
    let row = sqlx::query("SELECT challenge_id, anonymizer_id, attack_id, seed FROM evaluations WHERE id = $1")
        .bind(evaluation)
        .fetch_one(arena.store.pool())
        .await?;
    let attack_id: String = row.try_get("attack_id")?;
    Ok(Work {
        challenge: arena.store.challenge(&row.try_get::<String, _>("challenge_id")?).await?,
        anonymizer: arena.store.submission(&row.try_get::<String, _>("anonymizer_id")?).await?,
        attack: if attack_id.is_empty() { None } else { Some(arena.store.submission(&attack_id).await?) },
        seed: row.try_get::<i64, _>("seed")? as u64,
    })
}

/// The vault name of the release an anonymizer made for a challenge.
pub fn release_object(challenge: &str, anonymizer: &str) -> String {
    format!("release/{challenge}/{anonymizer}")
}

async fn execute(arena: Arena, job: ClaimedJob, config: WorkerConfig) -> Result<Finished> {
    let started_at = now_ms();
    let clock = Instant::now();
    let work = load(&arena, &job.evaluation_id).await?;
    let (metrics, release_sha256) = match (&work.anonymizer.implementation, &work.attack) {
        (Implementation::AnomedAnonymizer(_), _) => (run_on_model(&arena, &work, &config).await?, None),
        (Implementation::AnomedTabularAnonymizer(_), Some(attack))
            if matches!(attack.implementation, Implementation::AnomedDeanonymizer(_)) =>
        {
            let metrics = crate::anomed::driver::evaluate_tabular_deanonymizer(&arena, attack, &config.anomed).await?;
            (serde_json::to_value(&metrics)?, None)
        }
        (Implementation::AnomedTabularAnonymizer(_), None) => {
            let (utility, sha256) =
                crate::anomed::driver::evaluate_tabular_anonymizer(&arena, &work.anonymizer, &config.anomed).await?;
            (serde_json::to_value(&utility)?, Some(sha256))
        }
        _ => run_on_table(&arena, &job, &work).await?,
    };
    if !config.hold.is_zero() {
        tokio::time::sleep(config.hold).await;
    }
    let mut metrics = metrics;
    metrics["worker_seconds"] = serde_json::json!(clock.elapsed().as_secs_f64());
    Ok(Finished { metrics, release_sha256, started_at })
}

/// A built-in anonymizer's release and utility, or a built-in attack on a
/// stored release (a built-in's or an AnoMed tabular anonymizer's).
async fn run_on_table(arena: &Arena, job: &ClaimedJob, work: &Work) -> Result<(serde_json::Value, Option<String>)> {
    let actor = format!("worker:{}", job.id);
    let split = arena.challenge_split(&work.challenge, &actor, "evaluation").await?;
    let spec = work.challenge.spec.clone();
    let seed = work.seed;
    Ok(match &work.attack {
        None => {
            let Implementation::BuiltinAnonymizer(anonymizer) = work.anonymizer.implementation.clone() else {
                return Err(Error::new(ErrorKind::Evaluation, "WebAssembly anonymizers do not run yet"));
            };
            let outcome =
                tokio::task::spawn_blocking(move || evaluate::run_anonymizer(&spec, &split, &anonymizer, seed))
                    .await
                    .map_err(|e| Error::internal(format!("anonymizer task: {e}")))??;
            let info =
                arena.vault.put(&release_object(&work.challenge.id, &work.anonymizer.id), &outcome.release_csv).await?;
            (serde_json::to_value(&outcome.utility)?, Some(info.sha256))
        }
        Some(attack) => {
            let Implementation::BuiltinAttack(builtin) = attack.implementation else {
                return Err(Error::new(ErrorKind::Evaluation, "only built-in attacks run on released tables"));
            };
            let csv = arena.vault.get(&release_object(&work.challenge.id, &work.anonymizer.id)).await?;
            let metrics = tokio::task::spawn_blocking(move || {
                let release = evaluate::read_release(&csv)?;
                evaluate::run_attack(&spec, &split, &release, builtin, seed)
            })
            .await
            .map_err(|e| Error::internal(format!("attack task: {e}")))??;
            (serde_json::to_value(&metrics)?, None)
        }
    })
}

/// An AnoMed anonymizer driven through the protocol, or an attack on its model.
async fn run_on_model(arena: &Arena, work: &Work, config: &WorkerConfig) -> Result<serde_json::Value> {
    use crate::anomed::driver;
    Ok(match &work.attack {
        None => serde_json::to_value(driver::evaluate_anonymizer(arena, &work.anonymizer, &config.anomed).await?)?,
        Some(attack) => match &attack.implementation {
            Implementation::AnomedDeanonymizer(_) => {
                serde_json::to_value(driver::evaluate_deanonymizer(arena, attack, &config.anomed).await?)?
            }
            Implementation::BuiltinAttack(builtin) => serde_json::to_value(
                driver::attack_model(arena, &work.challenge, &work.anonymizer, *builtin, work.seed, &config.anomed)
                    .await?,
            )?,
            _ => return Err(Error::new(ErrorKind::Evaluation, "this attack cannot run against a model")),
        },
    })
}
