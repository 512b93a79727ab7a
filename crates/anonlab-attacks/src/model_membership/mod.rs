//! Membership inference against a trained model that answers with hard
//! labels only: could an attacker who may query a classifier tell whether a
//! given record was in its training data?
//!
//! [`crate::membership`] attacks a released *table*; this module attacks a
//! released *model*, as the anonymizers of the AnoMed platform expose one:
//! `POST /predict` takes a float matrix and returns one class label per row,
//! with no confidence and no logits. The model reaches the attacks as a
//! [`LabelOracle`] (the HTTP client lives with the platform). The attacker
//! also holds records it knows to be members of the training data and records
//! it knows are not — AnoMed hands both to every deanonymizer — and is
//! scored on evaluation targets whose membership only the scorer reads.
//!
//! Three attacks give every target a score (higher = more likely a member):
//!
//! | method | score of a target |
//! |---|---|
//! | [`Method::Gap`] | 1 if the model labels it with its true label, else 0 |
//! | [`Method::Robustness`] | the share of the record and its noisy copies labelled with its true label |
//! | [`Method::Shadow`] | a logistic attack model, trained on shadow models, applied to both features |
//!
//! # Definition
//! - **gap** (Yeom et al.): a model that overfits is right more often on its
//!   training records than on others, so "labelled correctly" is evidence of
//!   membership. The attack's advantage (TPR − FPR) is the model's
//!   generalization gap measured on the targets.
//! - **robustness** (Choquette-Choo et al., the noise variant they use for
//!   tabular data): an overfitted model holds its label on a training record
//!   under small perturbations more often than on other records, which sit
//!   nearer its decision boundaries. Each record is sent once as it is and
//!   [`Settings::queries_per_target`] times with Gaussian noise of
//!   [`Settings::noise`] × the feature's standard deviation (over the
//!   attacker's own records) added to every feature. This ranks the correctly
//!   labelled records, where the gap attack only ties them.
//! - **shadow** (Shokri et al., with labels instead of confidence vectors):
//!   the attacker pools its own records, splits them
//!   [`Settings::shadow_models`] times into random in and out halves, trains
//!   a [`GaussianNb`] on each in half (the family of the AnoMed example
//!   anonymizers), measures both features (correct?, robustness share) of in
//!   and out records on each shadow, and fits a logistic regression of "in"
//!   on the features. The score of a target is that model's probability for
//!   the features measured on the real target.
//!
//! # Decisions and rates
//! The scores make a ROC curve ([`crate::stats::roc`]): its AUC, the TPR at
//! 0.1 % and 1 % FPR with bootstrap intervals, and the ε it implies. The hard
//! decisions (member or not) follow a threshold that never looks at the
//! targets' truth: "correct" for the gap attack, probability above ½ for the
//! shadow attack, and for the robustness attack the threshold that best
//! separates (largest TPR − FPR) the attacker's own members from its own
//! non-members, measured through the target — legitimate, since the attacker
//! knows those memberships. From them come TPR = TP / member targets, FPR =
//! FP / non-member targets and accuracy, each the observed proportion with its
//! Wilson interval, and the advantage TPR − FPR with Newcombe's interval for
//! a difference of proportions. AnoMed divides false positives by all targets
//! instead, which halves the FPR of a balanced evaluation; we do not.
//!
//! # Queries
//! Each run makes one `predict` call on the target: every record and its
//! noisy copies go in one matrix (targets first, then, for the robustness
//! attack, up to [`MAX_CALIBRATION`] of the attacker's members and as many
//! non-members). A remote target answers one request instead of thousands; a
//! client that must split large requests can do so behind the trait. The
//! shadow models are local and cost no query.
//!
//! # Citations
//! - S. Yeom, I. Giacomelli, M. Fredrikson, S. Jha, "Privacy Risk in Machine
//!   Learning: Analyzing the Connection to Overfitting", IEEE CSF 2018.
//! - C. A. Choquette-Choo, F. Tramèr, N. Carlini, N. Papernot, "Label-Only
//!   Membership Inference Attacks", ICML 2021.
//! - R. Shokri, M. Stronati, C. Song, V. Shmatikov, "Membership Inference
//!   Attacks Against Machine Learning Models", IEEE S&P 2017.
//! - R. G. Newcombe, "Interval estimation for the difference between
//!   independent proportions: comparison of eleven methods", Statistics in
//!   Medicine 17 (1998), method 10.
//!
//! # Errors
//! [`run`] rejects, before any query, empty record sets, matrices whose size
//! disagrees with their labels or whose column counts differ, NaN or infinite
//! features, membership flags that do not match the targets or lack one side,
//! and impossible settings; it fails if the target answers with a number of
//! labels other than the number of rows it was sent.
//!
//! ```
//! use anonlab_attacks::model_membership::{self, AttackData, GaussianNb, Labelled, Method, Settings};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let set = |x: Vec<f64>| {
//!     let y = x.iter().map(|&v| i64::from(v >= 20.0)).collect();
//!     Labelled { x, cols: 1, y }
//! };
//! let mut target = GaussianNb::fit(&set((0..40).map(f64::from).collect()))?;
//! let data = AttackData {
//!     members: set((0..20).map(|i| f64::from(2 * i)).collect()),
//!     non_members: set((0..20).map(|i| 0.5 + f64::from(2 * i)).collect()),
//!     targets: set(vec![1.0, 39.0, 1.5, 38.5]),
//!     membership: vec![true, true, false, false],
//! };
//! let settings = Settings { method: Method::Gap, bootstrap_rounds: 100, ..Settings::default() };
//! let result = model_membership::run(&mut target, &data, &settings)?;
//! assert_eq!((result.method.as_str(), result.queries), ("label-only-gap", 4));
//! assert_eq!(result.advantage.value, 0.0); // naive Bayes generalizes: no gap
//! # Ok(()) }
//! ```

mod bayes;
mod logistic;
mod query;

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

pub use bayes::GaussianNb;
use query::{Batch, Features};

use crate::error::{Error, Result};
use crate::result::ThreatModel;
use crate::sample;
use crate::stats::roc::{LOW_FPRS, Roc, RocSummary};
use crate::stats::{Estimate, SuccessRate};

/// At most this many of the attacker's members, and as many non-members,
/// calibrate the robustness threshold (and are measured on each shadow
/// model): enough to place a threshold on a grid of
/// `queries_per_target + 1` values, few enough to keep the query small.
pub const MAX_CALIBRATION: usize = 1000;

/// Fewest records (members and non-members together) the attacker needs to
/// train shadow models: each in half must hold a few records per class.
pub const MIN_SHADOW_RECORDS: usize = 20;

/// Most noisy copies per record: more only sharpens the share's last digits
/// while the query grows without bound.
pub const MAX_QUERIES_PER_TARGET: usize = 1000;

/// Below this many targets on a side the result warns that its intervals are wide.
const FEW_TARGETS: usize = 100;

/// A trained classifier the attacker can query: the target, or a shadow model.
pub trait LabelOracle {
    /// One predicted class label per row of the row-major `rows × cols` matrix `x`.
    fn predict(&mut self, x: &[f64], cols: usize) -> Result<Vec<i64>>;
}

impl<T: LabelOracle + ?Sized> LabelOracle for &mut T {
    fn predict(&mut self, x: &[f64], cols: usize) -> Result<Vec<i64>> {
        (**self).predict(x, cols)
    }
}

impl<T: LabelOracle + ?Sized> LabelOracle for Box<T> {
    fn predict(&mut self, x: &[f64], cols: usize) -> Result<Vec<i64>> {
        (**self).predict(x, cols)
    }
}

/// A labelled float matrix: `y.len()` rows of `cols` features, row-major in `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// The features, row after row.
    pub x: Vec<f64>,
    /// Features per row.
    pub cols: usize,
    /// One class label per row.
    pub y: Vec<i64>,
}

impl Labelled {
    /// Number of rows (one per label).
    pub fn rows(&self) -> usize {
        self.y.len()
    }

    /// The features of row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.cols..(i + 1) * self.cols]
    }

    /// The rows `rows`, in that order.
    fn select(&self, rows: &[usize]) -> Labelled {
        Labelled {
            x: rows.iter().flat_map(|&r| self.row(r).iter().copied()).collect(),
            cols: self.cols,
            y: rows.iter().map(|&r| self.y[r]).collect(),
        }
    }

    /// The rows of `self` followed by those of `other` (same column count).
    fn concat(&self, other: &Labelled) -> Labelled {
        Labelled {
            x: self.x.iter().chain(&other.x).copied().collect(),
            cols: self.cols,
            y: self.y.iter().chain(&other.y).copied().collect(),
        }
    }

    /// Checks that the set is non-empty, its matrix matches its labels, and
    /// every feature is finite; `name` says which set in the message.
    fn check(&self, name: &str) -> Result<()> {
        if self.cols == 0 {
            return Err(Error::invalid(format!("the {name} have 0 columns; a record needs at least one feature")));
        }
        if self.y.is_empty() {
            return Err(Error::invalid(format!("the {name} are empty; the attack needs at least one record")));
        }
        if Some(self.x.len()) != self.rows().checked_mul(self.cols) {
            return Err(Error::invalid(format!(
                "the {name} have {} labels of {} features each, so {} feature values, but hold {}",
                self.rows(),
                self.cols,
                self.rows().saturating_mul(self.cols),
                self.x.len()
            )));
        }
        if let Some(i) = self.x.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(format!(
                "the {name} hold the non-finite feature {} in row {}, column {}",
                self.x[i],
                i / self.cols,
                i % self.cols
            )));
        }
        Ok(())
    }
}

/// What the attacker has, and the truth it is scored against.
#[derive(Debug, Clone, PartialEq)]
pub struct AttackData {
    /// Records the attacker knows were in the target's training data.
    pub members: Labelled,
    /// Records the attacker knows were not.
    pub non_members: Labelled,
    /// The records to attack.
    pub targets: Labelled,
    /// For scoring only: whether each target is a member. The attacks never read it.
    pub membership: Vec<bool>,
}

/// How a target is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// 1 if the target labels the record correctly, else 0 (Yeom et al.).
    Gap,
    /// Share of the record and its noisy copies labelled correctly (Choquette-Choo et al.).
    Robustness,
    /// A logistic attack model trained on shadow models (Shokri et al., labels only).
    Shadow,
}

impl Method {
    /// Every method, in the order of the module's table.
    pub const ALL: [Method; 3] = [Method::Gap, Method::Robustness, Method::Shadow];

    /// The name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            Method::Gap => "label-only-gap",
            Method::Robustness => "label-only-robustness",
            Method::Shadow => "label-only-shadow",
        }
    }

    /// Whether the method sends noisy copies.
    fn uses_noise(self) -> bool {
        self != Method::Gap
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = Error;

    /// Parses [`Method::name`], or the same without `label-only-`.
    fn from_str(s: &str) -> Result<Self> {
        match s.strip_prefix("label-only-").unwrap_or(s) {
            "gap" => Ok(Method::Gap),
            "robustness" | "noise" => Ok(Method::Robustness),
            "shadow" => Ok(Method::Shadow),
            _ => Err(Error::invalid(format!(
                "unknown model membership method '{s}'; use 'label-only-gap', 'label-only-robustness' or \
                 'label-only-shadow'"
            ))),
        }
    }
}

/// How to run the attack.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How targets are scored.
    pub method: Method,
    /// Noisy copies of each record sent besides the record itself (robustness and shadow).
    pub queries_per_target: usize,
    /// Standard deviation of the noise, in units of each feature's standard
    /// deviation over the attacker's members and non-members.
    pub noise: f64,
    /// Shadow models trained by the shadow attack.
    pub shadow_models: usize,
    /// Seed of every random choice; the same seed gives the same result.
    pub seed: u64,
    /// Confidence level of every interval.
    pub confidence: f64,
    /// Bootstrap rounds behind the ROC intervals.
    pub bootstrap_rounds: usize,
    /// The δ at which the curve's ε lower bound is computed.
    pub delta: f64,
}

impl Default for Settings {
    /// The robustness attack with 24 noisy copies at 0.1 standard deviations,
    /// 4 shadow models, 95 % intervals from 1,000 bootstrap rounds, δ = 10⁻⁵.
    ///
    /// The noise is the one that separated best on the overfitted model of our
    /// tests (1-nearest-neighbour, 600 records of 4 features): robustness AUC
    /// 0.76 at 0.02, 0.82 at 0.05, 0.84 at 0.1, 0.80 at 0.15, 0.70 at 0.3 and
    /// 0.62 at 0.5 — too little noise flips no label, too much flips those of
    /// members too. Where the features are coarser or the model smoother, a
    /// larger noise may do better.
    fn default() -> Self {
        Settings {
            method: Method::Robustness,
            queries_per_target: 24,
            noise: 0.1,
            shadow_models: 4,
            seed: 0,
            confidence: 0.95,
            bootstrap_rounds: 1000,
            delta: 1e-5,
        }
    }
}

/// The outcome of a membership inference attack on a model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelAttackResult {
    /// Always `model-membership`.
    pub attack: String,
    /// [`Method::name`] of the attack run.
    pub method: String,
    /// What the attacker knows and wants.
    pub threat_model: ThreatModel,
    /// The score of each target, in the targets' order (higher = more likely a member).
    pub scores: Vec<f64>,
    /// ROC analysis of the scores.
    pub roc: RocSummary,
    /// A target is flagged as a member when its score exceeds this.
    pub threshold: f64,
    /// Member targets.
    pub n_members: u64,
    /// Non-member targets.
    pub n_non_members: u64,
    /// Member targets flagged.
    pub true_positives: u64,
    /// Non-member targets flagged.
    pub false_positives: u64,
    /// True positives over member targets, with its Wilson interval.
    pub tpr: Estimate,
    /// False positives over non-member targets (not over all targets), with its Wilson interval.
    pub fpr: Estimate,
    /// Targets classified correctly, with its Wilson interval.
    pub accuracy: Estimate,
    /// TPR − FPR, in `[−1, 1]`, with Newcombe's interval: 0 is guessing.
    pub advantage: Estimate,
    /// Rows sent to the target (records and their noisy copies).
    pub queries: u64,
    /// `predict` calls made on the target.
    pub predict_calls: u64,
    /// Confidence level of every interval.
    pub confidence_level: f64,
    /// Method-specific figures (calibration, attack model, the target's accuracy on each side).
    pub details: serde_json::Value,
    /// Reasons to read the result with care.
    pub warnings: Vec<String>,
    /// The seed that reproduces this result.
    pub seed: u64,
    /// Wall-clock seconds the attack took, queries included.
    pub seconds: f64,
}

/// Runs the membership inference attack of `settings` against `target`.
///
/// The attack sees `data`'s members, non-members and targets; the targets'
/// `membership` is read only afterwards, to score it. The target receives
/// one `predict` call (see the module docs).
pub fn run(target: &mut dyn LabelOracle, data: &AttackData, settings: &Settings) -> Result<ModelAttackResult> {
    let start = Instant::now();
    check(data, settings)?;
    let mut oracle = Counted { inner: target, calls: 0, rows: 0 };
    let knowledge = Knowledge { members: &data.members, non_members: &data.non_members, targets: &data.targets };
    let scored = match settings.method {
        Method::Gap => gap(&mut oracle, &knowledge)?,
        Method::Robustness => robustness(&mut oracle, &knowledge, settings)?,
        Method::Shadow => shadow(&mut oracle, &knowledge, settings)?,
    };
    let (calls, rows) = (oracle.calls, oracle.rows);
    let mut result = evaluate(scored, &data.membership, settings)?;
    result.queries = rows;
    result.predict_calls = calls;
    result.seconds = start.elapsed().as_secs_f64();
    Ok(result)
}

/// What the attacks may read: everything but the targets' membership.
struct Knowledge<'a> {
    members: &'a Labelled,
    non_members: &'a Labelled,
    targets: &'a Labelled,
}

impl Knowledge<'_> {
    /// The noise's standard deviation for each feature.
    fn noise_scale(&self, noise: f64) -> Vec<f64> {
        query::feature_std(&[self.members, self.non_members]).into_iter().map(|s| noise * s).collect()
    }
}

/// The target behind a counter of calls and rows, which also checks that it
/// answers one label per row.
struct Counted<'a> {
    inner: &'a mut dyn LabelOracle,
    calls: u64,
    rows: u64,
}

impl LabelOracle for Counted<'_> {
    fn predict(&mut self, x: &[f64], cols: usize) -> Result<Vec<i64>> {
        let rows = x.len() / cols;
        self.calls += 1;
        self.rows += rows as u64;
        let labels = self.inner.predict(x, cols)?;
        if labels.len() != rows {
            return Err(Error::invalid(format!(
                "the target model returned {} labels for {rows} rows; it must return one label per row",
                labels.len()
            )));
        }
        Ok(labels)
    }
}

/// An attack's scores and hard decisions, before the truth is read.
struct Scored {
    method: Method,
    scores: Vec<f64>,
    threshold: f64,
    /// Whether the target labelled each target record (clean) correctly.
    correct: Vec<bool>,
    details: serde_json::Value,
    warnings: Vec<String>,
}

fn gap(oracle: &mut dyn LabelOracle, k: &Knowledge) -> Result<Scored> {
    let labels = oracle.predict(&k.targets.x, k.targets.cols)?;
    let correct: Vec<bool> = labels.iter().zip(&k.targets.y).map(|(l, y)| l == y).collect();
    Ok(Scored {
        method: Method::Gap,
        scores: correct.iter().map(|&c| f64::from(u8::from(c))).collect(),
        threshold: 0.5,
        correct,
        details: json!({
            "score": "1 if the target labels the record with its true label, else 0",
            "decision_rule": "flag every target the model labels correctly (score > 0.5)",
        }),
        warnings: Vec::new(),
    })
}

fn robustness(oracle: &mut dyn LabelOracle, k: &Knowledge, settings: &Settings) -> Result<Scored> {
    let scale = k.noise_scale(settings.noise);
    let mut pick = sample::stream(settings.seed, "model membership calibration sample");
    let own_members = sample::choose(&mut pick, k.members.rows(), MAX_CALIBRATION);
    let own_non_members = sample::choose(&mut pick, k.non_members.rows(), MAX_CALIBRATION);
    let records = k.targets.rows() + own_members.len() + own_non_members.len();
    let mut batch = Batch::new(k.targets.cols, settings.queries_per_target, records)?;
    let mut noise = sample::stream(settings.seed, "model membership noise");
    batch.push(k.targets, 0..k.targets.rows(), &scale, &mut noise);
    batch.push(k.members, own_members.iter().copied(), &scale, &mut noise);
    batch.push(k.non_members, own_non_members.iter().copied(), &scale, &mut noise);
    let labels = oracle.predict(&batch.x, k.targets.cols)?;
    let features = batch.features(&labels);
    let (targets, own) = features.split_at(k.targets.rows());
    let (own_m, own_n) = own.split_at(own_members.len());
    let shares = |f: &[Features]| f.iter().map(|f| f.share).collect::<Vec<f64>>();
    let calibration = calibrate(&shares(own_m), &shares(own_n));
    let mut warnings = Vec::new();
    if calibration.tpr - calibration.fpr <= 0.0 {
        warnings.push(
            "no threshold on the robustness share separates the attacker's own members from its non-members \
             on this target: the hard decisions flag only targets more robust than any of them"
                .to_string(),
        );
    }
    if own_members.len().min(own_non_members.len()) < FEW_TARGETS {
        warnings.push(format!(
            "the decision threshold is calibrated on only {} members and {} non-members of the attacker: \
             it may sit far from the best one",
            own_members.len(),
            own_non_members.len()
        ));
    }
    Ok(Scored {
        method: Method::Robustness,
        scores: shares(targets),
        threshold: calibration.threshold,
        correct: targets.iter().map(|f| f.correct).collect(),
        details: json!({
            "score": "share of the record and its noisy copies that the target labels with the true label",
            "queries_per_target": settings.queries_per_target,
            "noise": settings.noise,
            "noise_std_per_feature": scale,
            "decision_rule": "flag targets whose score exceeds the threshold that maximizes TPR − FPR on the \
                              attacker's own members and non-members, measured through the target",
            "calibration": {
                "members": own_members.len(),
                "non_members": own_non_members.len(),
                "threshold": calibration.threshold,
                "tpr": calibration.tpr,
                "fpr": calibration.fpr,
            },
        }),
        warnings,
    })
}

/// The robustness attack's calibrated threshold and its rates on the attacker's own records.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Calibration {
    threshold: f64,
    tpr: f64,
    fpr: f64,
}

/// The threshold `t` (flag when score > t) that maximizes TPR − FPR of
/// `members` against `non_members`. Candidates are the highest score (flag
/// none) and the midpoints between consecutive distinct scores; on a tie the
/// higher threshold wins, so that without any separation nothing is flagged.
fn calibrate(members: &[f64], non_members: &[f64]) -> Calibration {
    let mut all: Vec<(f64, bool)> =
        members.iter().map(|&s| (s, true)).chain(non_members.iter().map(|&s| (s, false))).collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (p, n) = (members.len().max(1) as f64, non_members.len().max(1) as f64);
    let mut best = Calibration { threshold: all.first().map_or(0.5, |a| a.0), tpr: 0.0, fpr: 0.0 };
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut i = 0;
    while i < all.len() {
        let score = all[i].0;
        while i < all.len() && all[i].0 == score {
            if all[i].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        let Some(&(next, _)) = all.get(i) else { break };
        let (tpr, fpr) = (tp as f64 / p, fp as f64 / n);
        if tpr - fpr > best.tpr - best.fpr {
            best = Calibration { threshold: 0.5 * (score + next), tpr, fpr };
        }
    }
    best
}

fn shadow(oracle: &mut dyn LabelOracle, k: &Knowledge, settings: &Settings) -> Result<Scored> {
    let (cols, copies) = (k.targets.cols, settings.queries_per_target);
    let scale = k.noise_scale(settings.noise);

    let mut batch = Batch::new(cols, copies, k.targets.rows())?;
    batch.push(k.targets, 0..k.targets.rows(), &scale, &mut sample::stream(settings.seed, "model membership noise"));
    let labels = oracle.predict(&batch.x, cols)?;
    let targets = batch.features(&labels);

    let pool = k.members.concat(k.non_members);
    let mut seeder = sample::stream(settings.seed, "model membership shadows");
    let seeds: Vec<u64> = (0..settings.shadow_models).map(|_| seeder.random()).collect();
    let shadows = seeds
        .into_par_iter()
        .map(|seed| -> Result<Shadow> {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let order = sample::choose(&mut rng, pool.rows(), pool.rows());
            let (inside, outside) = order.split_at(pool.rows() / 2);
            let mut model = GaussianNb::fit(&pool.select(inside))?;
            let (inside, outside) =
                (&inside[..inside.len().min(MAX_CALIBRATION)], &outside[..outside.len().min(MAX_CALIBRATION)]);
            let mut batch = Batch::new(cols, copies, inside.len() + outside.len())?;
            batch.push(&pool, inside.iter().copied(), &scale, &mut rng);
            batch.push(&pool, outside.iter().copied(), &scale, &mut rng);
            let labels = model.predict(&batch.x, cols)?;
            let features = batch.features(&labels);
            let (f_in, f_out) = features.split_at(inside.len());
            Ok(Shadow { inside: f_in.to_vec(), outside: f_out.to_vec() })
        })
        .collect::<Result<Vec<Shadow>>>()?;

    let rows: Vec<([f64; 2], bool)> = shadows
        .iter()
        .flat_map(|s| s.inside.iter().map(|f| (f.vector(), true)).chain(s.outside.iter().map(|f| (f.vector(), false))))
        .collect();
    let model = logistic::fit(&rows);
    let mean = |f: &mut dyn Iterator<Item = f64>| {
        let (sum, n) = f.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
        sum / n.max(1) as f64
    };
    let side = |inside: bool, pick: fn(&Features) -> f64| {
        mean(&mut shadows.iter().flat_map(|s| if inside { &s.inside } else { &s.outside }).map(pick))
    };
    let correct = |f: &Features| f64::from(u8::from(f.correct));
    let share = |f: &Features| f.share;
    let (accuracy_in, accuracy_out) = (side(true, correct), side(false, correct));
    let (share_in, share_out) = (side(true, share), side(false, share));
    // How well the attack model tells in from out on the shadows themselves: its best case.
    let probabilities =
        |inside: bool| -> Vec<f64> { rows.iter().filter(|r| r.1 == inside).map(|r| model.probability(r.0)).collect() };
    let shadow_auc = Roc::new(&probabilities(true), &probabilities(false))?.auc();
    let mut warnings = Vec::new();
    if shadow_auc < 0.55 {
        warnings.push(format!(
            "the attack model tells its shadows' training records from others with AUC {shadow_auc:.3} only: the \
             shadow models (Gaussian naive Bayes, accuracy {accuracy_in:.3} on their training records and \
             {accuracy_out:.3} on others) barely overfit, so its weights are weakly determined and its decisions \
             at probability 0.5 may be poorly placed for a target that overfits differently"
        ));
    }
    Ok(Scored {
        method: Method::Shadow,
        scores: targets.iter().map(|f| model.probability(f.vector())).collect(),
        threshold: 0.5,
        correct: targets.iter().map(|f| f.correct).collect(),
        details: json!({
            "score": "P(member) of a logistic attack model on (correct, robustness share), trained on shadow models",
            "queries_per_target": copies,
            "noise": settings.noise,
            "noise_std_per_feature": scale,
            "decision_rule": "flag targets whose modelled membership probability exceeds 0.5",
            "shadow_models": settings.shadow_models,
            "shadow_model": "Gaussian naive Bayes on a random half of the attacker's members and non-members",
            "shadow_training_rows": pool.rows() / 2,
            "shadow_accuracy": { "inside": accuracy_in, "outside": accuracy_out },
            "shadow_robustness_share": { "inside": share_in, "outside": share_out },
            "shadow_auc": shadow_auc,
            "attack_model": {
                "intercept": model.intercept,
                "weight_correct": model.weights[0],
                "weight_robustness_share": model.weights[1],
                "ridge": logistic::RIDGE,
                "training_rows": rows.len(),
            },
        }),
        warnings,
    })
}

/// The features of one shadow model's in and out records.
struct Shadow {
    inside: Vec<Features>,
    outside: Vec<Features>,
}

/// Scores `scored` against the truth.
fn evaluate(scored: Scored, membership: &[bool], settings: &Settings) -> Result<ModelAttackResult> {
    let Scored { method, scores, threshold, correct, details: method_details, mut warnings } = scored;
    let (mut member_scores, mut non_member_scores) = (Vec::new(), Vec::new());
    let (mut tp, mut fp, mut correct_m, mut correct_n) = (0u64, 0u64, 0u64, 0u64);
    for ((&score, &member), &right) in scores.iter().zip(membership).zip(&correct) {
        let flagged = score > threshold;
        if member {
            member_scores.push(score);
            tp += u64::from(flagged);
            correct_m += u64::from(right);
        } else {
            non_member_scores.push(score);
            fp += u64::from(flagged);
            correct_n += u64::from(right);
        }
    }
    let (m, n) = (member_scores.len() as u64, non_member_scores.len() as u64);
    let roc = Roc::new(&member_scores, &non_member_scores)?.summary(
        settings.delta,
        settings.bootstrap_rounds,
        settings.seed,
        settings.confidence,
    )?;
    let tpr = proportion(tp, m, settings.confidence)?;
    let fpr = proportion(fp, n, settings.confidence)?;
    let accuracy = proportion(tp + (n - fp), m + n, settings.confidence)?;
    let advantage = difference(tpr, fpr);

    if m.min(n) < FEW_TARGETS as u64 {
        warnings.push(format!(
            "only {m} member and {n} non-member targets: the rates' intervals are wide; more targets narrow them"
        ));
    }
    if (n as f64) * LOW_FPRS[0] < 1.0 {
        warnings.push(format!(
            "with {n} non-member targets the smallest non-zero false positive rate is {:.2} %: the TPR at 0.1 % \
             FPR is measured at FPR 0; more targets resolve it",
            100.0 / n as f64
        ));
    }
    if method.uses_noise() && settings.noise == 0.0 {
        warnings.push(
            "noise 0: every copy equals its record, so the robustness share is the gap attack's 0/1 score".to_string(),
        );
    }
    let details = json!({
        "method": method_details,
        "target_accuracy": {
            "member_targets": correct_m as f64 / m as f64,
            "non_member_targets": correct_n as f64 / n as f64,
        },
    });
    let mut knows = vec![
        "hard-label predictions of the target model for any records it chooses".to_string(),
        "each target's features and true label".to_string(),
        "records known to be members of the training data, and records known not to be".to_string(),
    ];
    if method == Method::Shadow {
        knows.push("the target's model family, approximately (its shadow models are Gaussian naive Bayes)".to_string());
    }
    Ok(ModelAttackResult {
        attack: "model-membership".to_string(),
        method: method.name().to_string(),
        threat_model: ThreatModel {
            knows,
            goal: "tell whether each target's record was in the target model's training data".to_string(),
        },
        scores,
        roc,
        threshold,
        n_members: m,
        n_non_members: n,
        true_positives: tp,
        false_positives: fp,
        tpr,
        fpr,
        accuracy,
        advantage,
        queries: 0,
        predict_calls: 0,
        confidence_level: settings.confidence,
        details,
        warnings,
        seed: settings.seed,
        seconds: 0.0,
    })
}

/// `successes / trials` with its Wilson interval. The value is the observed
/// proportion (what AnoMed reports), not Wilson's centre; the Wilson interval
/// always contains it.
fn proportion(successes: u64, trials: u64, confidence: f64) -> Result<Estimate> {
    let w = SuccessRate::wilson(trials, successes as f64, confidence)?;
    Ok(Estimate {
        value: successes as f64 / trials as f64,
        low: (w.value - w.error).clamp(0.0, 1.0),
        high: (w.value + w.error).clamp(0.0, 1.0),
    })
}

/// `a − b` of two independent proportions with Newcombe's hybrid score
/// interval, built from their Wilson intervals (his method 10).
fn difference(a: Estimate, b: Estimate) -> Estimate {
    let value = a.value - b.value;
    let low = value - ((a.value - a.low).powi(2) + (b.high - b.value).powi(2)).sqrt();
    let high = value + ((a.high - a.value).powi(2) + (b.value - b.low).powi(2)).sqrt();
    Estimate { value, low: low.max(-1.0), high: high.min(1.0) }
}

fn check(data: &AttackData, s: &Settings) -> Result<()> {
    data.targets.check("targets")?;
    let cols = data.targets.cols;
    for (set, name) in [(&data.members, "attacker's members"), (&data.non_members, "attacker's non-members")] {
        set.check(name)?;
        if set.cols != cols {
            return Err(Error::invalid(format!(
                "the {name} have {} columns but the targets have {cols}; all records must have the same features",
                set.cols
            )));
        }
    }
    if data.membership.len() != data.targets.rows() {
        return Err(Error::invalid(format!(
            "{} membership flags for {} targets; give one per target",
            data.membership.len(),
            data.targets.rows()
        )));
    }
    let members = data.membership.iter().filter(|&&m| m).count();
    if members == 0 || members == data.membership.len() {
        return Err(Error::invalid(format!(
            "the targets must include members and non-members; got {members} members among {} targets",
            data.membership.len()
        )));
    }
    if s.queries_per_target == 0 || s.queries_per_target > MAX_QUERIES_PER_TARGET {
        return Err(Error::invalid(format!(
            "queries per target must lie between 1 and {MAX_QUERIES_PER_TARGET}; got {}",
            s.queries_per_target
        )));
    }
    if !(s.noise.is_finite() && s.noise >= 0.0) {
        return Err(Error::invalid(format!("the noise must be a finite number ≥ 0; got {}", s.noise)));
    }
    if s.shadow_models == 0 {
        return Err(Error::invalid("the shadow attack needs at least one shadow model; got 0"));
    }
    let pool = data.members.rows() + data.non_members.rows();
    if s.method == Method::Shadow && pool < MIN_SHADOW_RECORDS {
        return Err(Error::invalid(format!(
            "the shadow attack needs at least {MIN_SHADOW_RECORDS} members and non-members of the attacker to train \
             shadow models on; got {pool}"
        )));
    }
    if !(s.confidence > 0.0 && s.confidence < 1.0) {
        return Err(Error::invalid(format!(
            "confidence level must lie strictly between 0 and 1; got {}",
            s.confidence
        )));
    }
    if s.bootstrap_rounds == 0 {
        return Err(Error::invalid("the ROC bootstrap needs at least one round; got 0"));
    }
    if !(0.0..1.0).contains(&s.delta) {
        return Err(Error::invalid(format!("δ must lie in [0, 1); got {}", s.delta)));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
