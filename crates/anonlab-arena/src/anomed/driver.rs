//! The worker's side of the AnoMed protocol: driving unmodified apps through
//! `fit` → `evaluate(tuning)` → `evaluate(validation)`, and attacking their
//! models through `/predict` with anonlab's own membership-inference attacks.
//!
//! The figures recorded are the ones our challenge routes measured when the
//! app sent its predictions there ([`super::links`]), never what the app's
//! own response claims (AnoMed's reference challenge pushes fake demo numbers
//! to its platform). An app that cannot be reached is retried by the queue; one
//! that answers with an error fails its evaluation with that answer recorded.

use std::time::{Duration, Instant};

use anonlab_attacks::model_membership::{self, AttackData, LabelOracle, Method};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::links::Round;
use super::ml::{DataSplit, MlChallenge};
use super::npz::{Array, Data, Limits, Npz};
use super::score::{MembershipDecisions, ModelAccuracy, residual};
use super::tabular::{Reconstruction, RecordedRelease};
use crate::catalog::{Challenge, Submission};
use crate::context::Arena;
use crate::error::{Error, ErrorKind, Result};
use crate::evaluate::{Estimate, PrivacyMetrics, UtilityMetrics};
use crate::submission::{AnomedService, BuiltinAttack};

/// Timeouts for calling AnoMed apps.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// How long an app may take to answer `GET /` at all (it may still be starting).
    pub ready: Duration,
    /// How long `POST /fit` may take (AnoMed apps fit inside the request).
    pub fit: Duration,
    /// How long one `POST /evaluate` may take.
    pub evaluate: Duration,
    /// How long one `POST /predict` of our attacks may take.
    pub predict: Duration,
}

impl Default for DriverConfig {
    /// 60 s to come up, 10 min to fit, 5 min per evaluation or prediction.
    fn default() -> Self {
        DriverConfig {
            ready: Duration::from_secs(60),
            fit: Duration::from_secs(600),
            evaluate: Duration::from_secs(300),
            predict: Duration::from_secs(300),
        }
    }
}

/// What an AnoMed anonymizer's utility run records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelUtilityMetrics {
    /// Accuracy on the validation records, measured by our route: the leaderboard's figure.
    pub validation: ModelAccuracy,
    /// The last tuning round's accuracy, when the app ran one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuning: Option<ModelAccuracy>,
    /// The calls made to the app, in order, with status and seconds.
    pub calls: Vec<String>,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// An HTTP client for one app.
struct App {
    client: reqwest::Client,
    base: String,
    calls: Vec<String>,
}

impl App {
    fn new(service: &AnomedService) -> Result<App> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::internal(format!("HTTP client: {e}")))?;
        Ok(App { client, base: service.base().to_string(), calls: Vec::new() })
    }

    fn unreachable(&self, what: &str, e: reqwest::Error) -> Error {
        let why = if e.is_timeout() { "timed out".to_string() } else { format!("failed ({e})") };
        Error::new(ErrorKind::Unreachable, format!("{what} on the AnoMed app at {} {why}", self.base))
    }

    /// Waits until `GET /` answers 200.
    async fn wait_ready(&mut self, within: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            match self.client.get(format!("{}/", self.base)).timeout(Duration::from_secs(5)).send().await {
                Ok(r) if r.status() == StatusCode::OK => {
                    self.calls.push(format!("GET / 200 {:.2} s", started.elapsed().as_secs_f64()));
                    return Ok(());
                }
                Ok(r) if started.elapsed() >= within => {
                    return Err(Error::new(
                        ErrorKind::Evaluation,
                        format!("the AnoMed app at {} answers GET / with {}, not 200", self.base, r.status()),
                    ));
                }
                Err(e) if started.elapsed() >= within => return Err(self.unreachable("GET /", e)),
                _ => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }

    /// `POST path` expecting AnoMed's 201; a 503 "in progress" is waited out.
    async fn post(&mut self, path: &str, timeout: Duration) -> Result<serde_json::Value> {
        let started = Instant::now();
        loop {
            let response = self
                .client
                .post(format!("{}{path}", self.base))
                .timeout(timeout)
                .send()
                .await
                .map_err(|e| self.unreachable(&format!("POST {path}"), e))?;
            let status = response.status();
            let body = response.text().await.map_err(|e| self.unreachable(&format!("POST {path}"), e))?;
            self.calls.push(format!("POST {path} {} {:.2} s", status.as_u16(), started.elapsed().as_secs_f64()));
            if status == StatusCode::CREATED {
                return Ok(serde_json::from_str(&body).unwrap_or(serde_json::Value::Null));
            }
            let busy = status == StatusCode::SERVICE_UNAVAILABLE && body.contains("in progress");
            if busy && started.elapsed() < timeout {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            let hint = if status == StatusCode::SERVICE_UNAVAILABLE && body.contains("remote location") {
                " (the app could not reach its challenge: is it started with the CHALLENGE_HOST shown at registration?)"
            } else {
                ""
            };
            return Err(Error::new(
                ErrorKind::Evaluation,
                format!("POST {path} on the AnoMed app at {} answered {status}: {}{hint}", self.base, shorten(&body)),
            ));
        }
    }
}

fn shorten(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= 300 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(300).collect::<String>())
    }
}

fn service_of(submission: &Submission) -> Result<&AnomedService> {
    submission
        .implementation
        .anomed_service()
        .ok_or_else(|| Error::internal(format!("submission {} is not an AnoMed app", submission.id)))
}

/// What the machine-learning apps are asked after `fit`.
const ML_ROUNDS: &[&str] = &["/evaluate?data_split=tuning", "/evaluate?data_split=validation"];

/// What the tabular apps are asked after `fit`.
const TABULAR_ROUNDS: &[&str] = &["/evaluate"];

/// Drives `submission`'s app: waits for it, calls `fit` and then `rounds`
/// unless `result` — what those calls end in — was recorded by an earlier
/// attempt (no app is evaluated twice), and reads what our route recorded as
/// `result` (`sent` names it when the app never sent it). Returns it with
/// the calls made.
async fn drive<T: serde::de::DeserializeOwned>(
    arena: &Arena,
    submission: &Submission,
    config: &DriverConfig,
    rounds: &[&str],
    result: Round,
    sent: &str,
) -> Result<(T, Vec<String>)> {
    let mut app = App::new(service_of(submission)?)?;
    app.wait_ready(config.ready).await?;
    if arena.store.anomed_result(&submission.id, result).await?.is_some() {
        app.calls.push("the result was recorded by an earlier attempt; the app is not called again".into());
    } else {
        app.post("/fit", config.fit).await?;
        for round in rounds {
            app.post(round, config.evaluate).await?;
        }
    }
    let recorded = recorded(arena, &submission.id, result).await?.ok_or_else(|| {
        Error::new(ErrorKind::Evaluation, format!("the app answered, but never sent its {sent} to the challenge"))
    })?;
    Ok((recorded, app.calls))
}

async fn recorded<T: serde::de::DeserializeOwned>(arena: &Arena, submission: &str, round: Round) -> Result<Option<T>> {
    arena
        .store
        .anomed_result(submission, round)
        .await?
        .map(|v| serde_json::from_value(v).map_err(Error::from))
        .transpose()
}

/// The utility run of an AnoMed anonymizer.
pub(crate) async fn evaluate_anonymizer(
    arena: &Arena,
    anonymizer: &Submission,
    config: &DriverConfig,
) -> Result<ModelUtilityMetrics> {
    let started = Instant::now();
    let validation = Round::Ml(DataSplit::Validation);
    let (validation, calls) = drive(arena, anonymizer, config, ML_ROUNDS, validation, "validation predictions").await?;
    Ok(ModelUtilityMetrics {
        validation,
        tuning: recorded(arena, &anonymizer.id, Round::Ml(DataSplit::Tuning)).await?,
        calls,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The utility run of an AnoMed tabular anonymizer: `fit` (it anonymizes the
/// leaky data) and `evaluate` (it uploads the release to our challenge route,
/// which scores and seals it). Returns the utility and the sealed release's hash.
pub(crate) async fn evaluate_tabular_anonymizer(
    arena: &Arena,
    anonymizer: &Submission,
    config: &DriverConfig,
) -> Result<(UtilityMetrics, String)> {
    let (recorded, calls): (RecordedRelease, _) =
        drive(arena, anonymizer, config, TABULAR_ROUNDS, Round::Release, "release").await?;
    let mut utility = recorded.utility;
    utility.protocol_calls = calls;
    Ok((utility, recorded.release_sha256))
}

/// The privacy run of a deanonymizer aimed at an AnoMed tabular anonymizer:
/// `fit` (it reads its background knowledge and the target's release) and
/// `evaluate` (it uploads its reconstruction to our challenge route).
pub(crate) async fn evaluate_tabular_deanonymizer(
    arena: &Arena,
    deanonymizer: &Submission,
    config: &DriverConfig,
) -> Result<PrivacyMetrics> {
    let started = Instant::now();
    let (scored, calls): (Reconstruction, _) =
        drive(arena, deanonymizer, config, TABULAR_ROUNDS, Round::Reconstruction, "reconstruction").await?;
    Ok(PrivacyMetrics {
        attack: deanonymizer.name.clone(),
        risk: scored.risk,
        attack_rate: scored.accuracy,
        baseline_rate: scored.baseline,
        control_rate: scored.baseline,
        trials: scored.targets,
        auc: None,
        tpr_at_0_1_fpr: None,
        tpr_at_1_fpr: None,
        roc: Vec::new(),
        decisions: None,
        warnings: vec![
            "the secret reconstructed for the background-knowledge targets, against guessing its most common value"
                .to_string(),
            format!("calls: {}", calls.join("; ")),
        ],
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The privacy run of an AnoMed deanonymizer against its target.
pub(crate) async fn evaluate_deanonymizer(
    arena: &Arena,
    deanonymizer: &Submission,
    config: &DriverConfig,
) -> Result<PrivacyMetrics> {
    let started = Instant::now();
    let validation = Round::Ml(DataSplit::Validation);
    let (decisions, calls): (MembershipDecisions, _) =
        drive(arena, deanonymizer, config, ML_ROUNDS, validation, "validation guesses").await?;
    let warnings = vec![
        "the app sends hard decisions: one operating point, no scores, so no TPR at low FPR".to_string(),
        format!("calls: {}", calls.join("; ")),
    ];
    Ok(decision_metrics(&deanonymizer.name, &decisions, None, warnings, started))
}

/// The leaderboard's view of hard membership decisions (and a scored ROC when
/// the attack has one): risk is the residual `(TPR − FPR) / (1 − FPR)`.
fn decision_metrics(
    name: &str,
    decisions: &MembershipDecisions,
    roc: Option<&anonlab_attacks::stats::roc::RocSummary>,
    warnings: Vec<String>,
    started: Instant,
) -> PrivacyMetrics {
    let (tpr, fpr) = (decisions.tpr, decisions.fpr);
    let risk = residual(tpr, fpr);
    // Hard decisions give a curve through one point.
    let one_point = vec![[0.0, 0.0], [fpr.value, tpr.value], [1.0, 1.0]];
    PrivacyMetrics {
        attack: name.to_string(),
        risk,
        attack_rate: tpr,
        baseline_rate: Estimate { value: 0.5, low: 0.5, high: 0.5 },
        control_rate: fpr,
        trials: decisions.true_positives
            + decisions.false_positives
            + decisions.true_negatives
            + decisions.false_negatives,
        auc: Some(roc.map_or((1.0 + tpr.value - fpr.value) / 2.0, |r| r.auc.value)),
        tpr_at_0_1_fpr: roc.map(|r| r.tpr_at_0_1pct_fpr.value),
        tpr_at_1_fpr: roc.map(|r| r.tpr_at_1pct_fpr.value),
        roc: roc.map_or(one_point, |r| r.points.clone()),
        decisions: Some(*decisions),
        warnings,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// An AnoMed app's `/predict` as the attacks' label oracle.
struct RemoteModel {
    client: reqwest::Client,
    url: String,
    timeout: Duration,
    runtime: tokio::runtime::Handle,
}

impl LabelOracle for RemoteModel {
    fn predict(&mut self, x: &[f64], cols: usize) -> anonlab_attacks::Result<Vec<i64>> {
        let rows = x.len() / cols.max(1);
        let body = Npz::new().with("X", Array::f64(vec![rows, cols], x.to_vec())).to_bytes();
        let fail = |what: String| anonlab_attacks::Error::invalid(format!("POST {}: {what}", self.url));
        let (status, bytes) = self
            .runtime
            .block_on(async {
                let response = self.client.post(&self.url).body(body).timeout(self.timeout).send().await?;
                let status = response.status();
                Ok::<_, reqwest::Error>((status, response.bytes().await?))
            })
            .map_err(|e| fail(format!("{e}")))?;
        if status != StatusCode::CREATED {
            return Err(fail(format!("answered {status}: {}", shorten(&String::from_utf8_lossy(&bytes)))));
        }
        let mut npz = Npz::from_bytes(&bytes, &Limits::default()).map_err(|e| fail(e.to_string()))?;
        let prediction = npz.take("prediction").ok_or_else(|| fail("no 'prediction' array in the answer".into()))?;
        let labels = match prediction.data {
            Data::I64(labels) => labels,
            // A model trained on float labels answers floats; whole numbers are labels still.
            Data::F64(values) if values.iter().all(|v| v.fract() == 0.0 && v.abs() < 1e15) => {
                values.into_iter().map(|v| v as i64).collect()
            }
            _ => return Err(fail(format!("'prediction' is {}, not class labels", prediction.describe()))),
        };
        if labels.len() != rows {
            return Err(fail(format!("{} labels for {rows} rows", labels.len())));
        }
        Ok(labels)
    }
}

/// One of anonlab's model attacks against an AnoMed anonymizer, scored on the
/// challenge's validation membership set.
pub(crate) async fn attack_model(
    arena: &Arena,
    challenge: &Challenge,
    anonymizer: &Submission,
    attack: BuiltinAttack,
    seed: u64,
    config: &DriverConfig,
) -> Result<PrivacyMetrics> {
    let started = Instant::now();
    let method = match attack {
        BuiltinAttack::LabelOnlyGap => Method::Gap,
        BuiltinAttack::LabelOnlyNoise => Method::Robustness,
        BuiltinAttack::ShadowModel => Method::Shadow,
        other => return Err(Error::invalid(format!("{} does not attack models", other.name()))),
    };
    let mut app = App::new(service_of(anonymizer)?)?;
    app.wait_ready(config.ready).await?;
    let ml: std::sync::Arc<MlChallenge> = arena.ml_challenge(challenge, &format!("worker:{}", anonymizer.id)).await?;
    let mut oracle = RemoteModel {
        client: app.client.clone(),
        url: format!("{}/predict", app.base),
        timeout: config.predict,
        runtime: tokio::runtime::Handle::current(),
    };
    let result = tokio::task::spawn_blocking(move || {
        let evaluation = ml.evaluation(DataSplit::Validation);
        let data = AttackData {
            members: ml.members.clone(),
            non_members: ml.non_members.clone(),
            targets: evaluation.data.clone(),
            membership: evaluation.membership.clone(),
        };
        let settings = model_membership::Settings { method, seed, ..Default::default() };
        model_membership::run(&mut oracle, &data, &settings)
    })
    .await
    .map_err(|e| Error::internal(format!("attack task: {e}")))?
    .map_err(|e| Error::new(ErrorKind::Evaluation, format!("{}: {e}", attack.name())))?;
    let decisions = MembershipDecisions {
        true_positives: result.true_positives,
        false_positives: result.false_positives,
        true_negatives: result.n_non_members - result.false_positives,
        false_negatives: result.n_members - result.true_positives,
        accuracy: estimate(result.accuracy),
        tpr: estimate(result.tpr),
        fpr: estimate(result.fpr),
        fpr_anomed: result.false_positives as f64 / (result.n_members + result.n_non_members).max(1) as f64,
        advantage: result.advantage.value,
    };
    let mut warnings = result.warnings.clone();
    warnings.push(format!("{} rows sent to /predict in {} calls", result.queries, result.predict_calls));
    Ok(decision_metrics(attack.name(), &decisions, Some(&result.roc), warnings, started))
}

fn estimate(e: anonlab_attacks::stats::Estimate) -> Estimate {
    Estimate { value: e.value, low: e.low, high: e.high }
}
