//! The one result shape every attack returns, so the CLI, the reports and the
//! benchmark platform treat all attacks alike.

use serde::Serialize;

use crate::error::Result;
use crate::stats::roc::RocSummary;
use crate::stats::{Estimate, SuccessRate};

/// What the attacker is assumed to know and to want.
#[derive(Debug, Clone, Serialize)]
pub struct ThreatModel {
    /// What the attacker holds, in words ("the release", "age, sex of each target", ...).
    pub knows: Vec<String>,
    /// What counts as a success.
    pub goal: String,
}

/// Success counts of the three attacks (a count may be fractional after a correction).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Counts {
    /// Attacks on the original (member) records.
    pub attack: f64,
    /// Random-guessing attacks.
    pub baseline: f64,
    /// Attacks on the control (non-member) records, when there is a control.
    pub control: Option<f64>,
}

/// Numbers of attacks of the three kinds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Trials {
    /// Attacks on the original.
    pub attack: u64,
    /// Random-guessing attacks.
    pub baseline: u64,
    /// Attacks on the control.
    pub control: Option<u64>,
}

/// The outcome of one attack.
#[derive(Debug, Clone, Serialize)]
pub struct AttackResult {
    /// The attack's name (`singling-out`, `linkability`, `inference`, `linkage`, `membership`).
    pub attack: String,
    /// A variant of the attack (`univariate`, `multivariate`, `distance`, `density`, ...), if any.
    pub mode: Option<String>,
    /// What the attacker knows and wants.
    pub threat_model: ThreatModel,
    /// Number of attacks on the original; the denominator of the attack rate.
    pub n_attacks: u64,
    /// Attacks of each kind.
    pub trials: Trials,
    /// Successes of each kind.
    pub successes: Counts,
    /// The rates and the risk (in JSON: `attack_rate`, `baseline_rate`, `control_rate`, `risk`).
    #[serde(flatten)]
    pub rates: Rates,
    /// Confidence level of every interval.
    pub confidence_level: f64,
    /// ROC analysis, for attacks that score each target.
    pub roc: Option<RocSummary>,
    /// Attack-specific figures.
    pub details: serde_json::Value,
    /// Reasons to read the result with care (too few queries, attack no better than guessing, ...).
    pub warnings: Vec<String>,
    /// The seed that reproduces this result.
    pub seed: u64,
    /// Wall-clock seconds the attack took.
    pub seconds: f64,
}

/// The rates and risk of an attack, each with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rates {
    /// Success rate of the attack on the original, with its Wilson interval.
    #[serde(rename = "attack_rate")]
    pub attack: Estimate,
    /// Success rate of random guessing.
    #[serde(rename = "baseline_rate")]
    pub baseline: Estimate,
    /// Success rate of the same attack on records that are not in the release's source.
    #[serde(rename = "control_rate")]
    pub control: Option<Estimate>,
    /// `(attack − control) / (1 − control)` clamped to `[0, 1]` (the attack rate without a control).
    pub risk: Estimate,
}

impl Rates {
    /// Wilson rates and the residual risk, as Anonymeter's `EvaluationResults` computes them.
    pub fn new(trials: Trials, successes: Counts, confidence: f64) -> Result<Self> {
        let attack = SuccessRate::wilson(trials.attack, successes.attack, confidence)?;
        let baseline = SuccessRate::wilson(trials.baseline, successes.baseline, confidence)?;
        let control = match (trials.control, successes.control) {
            (Some(n), Some(s)) => Some(SuccessRate::wilson(n, s, confidence)?),
            _ => None,
        };
        let risk = match control {
            Some(c) => attack.residual_over(c),
            None => attack.estimate(),
        };
        Ok(Rates {
            attack: attack.estimate(),
            baseline: baseline.estimate(),
            control: control.map(SuccessRate::estimate),
            risk,
        })
    }

    /// Warnings Anonymeter would also give.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.baseline.value >= self.attack.value {
            w.push(format!(
                "the attack is no better than random guessing (attack {:.4}, baseline {:.4}): its risk says little",
                self.attack.value, self.baseline.value
            ));
        }
        w
    }
}
