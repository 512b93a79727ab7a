//! Membership inference: could an attacker holding the release tell whether
//! a given person's record was in the data the release was made from?
//!
//! Members are rows of the original table (the release's source), non-members
//! rows of a control table from the same population that did not shape the
//! release. Every target gets a score (higher = more likely a member) from
//! one of two attacks:
//!
//! - **distance** (distance to closest record, DCR): minus the distance from
//!   the target to its nearest release record. Copies and near-copies of
//!   members give them away.
//! - **density** (DOMIAS, van Breugel et al., AISTATS 2023): the log ratio of
//!   the release's density to the population's density at the target,
//!   `log p_release(x) − log p_reference(x)`, both kernel density estimates.
//!   A generator that overfits puts more mass near its training records than
//!   the population has there; dividing by the population density stops the
//!   attack from flagging every record of a dense region.
//!
//! The scores make a ROC curve (see [`crate::stats::roc`]): its AUC, the TPR
//! at 0.1 % and 1 % FPR with bootstrap intervals, and the ε it implies. The
//! success rates of the common [`AttackResult`] come from a fixed rule that
//! needs no tuning on the targets' labels: flag the targets scoring above the
//! median of all target scores.
//!
//! Targets are drawn at random or among the most isolated records (outliers):
//! random targets measure the average person's risk, and that average hides
//! the people a release exposes most (Stadler et al., USENIX Security 2022;
//! Meeus et al., 2023).

mod density;
mod distance;
mod targets;

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use anonlab_table::Table;
use rand::Rng;
use serde_json::json;

use crate::error::{Error, Result};
use crate::frame::encode;
use crate::result::{AttackResult, Counts, Rates, ThreatModel, Trials};
use crate::sample;
use crate::stats::roc::Roc;

/// Fewest targets per side: below this no rate or curve means anything.
pub const MIN_TARGETS: usize = 10;

/// Fewest rows of the density attack's reference sample: a density estimated
/// from fewer is noise.
pub const MIN_REFERENCE: usize = 20;

/// Each density is estimated from a uniform sample of at most this many rows,
/// which keeps the attack to seconds on a release of millions of rows.
pub const MAX_DENSITY_ROWS: usize = 20_000;

/// Outlier targets are the most isolated of at most this many candidates per
/// side, which bounds the nearest-neighbour searches on large tables.
pub const MAX_OUTLIER_CANDIDATES: usize = 20_000;

/// How a target is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Minus the distance to the closest release record (DCR): catches
    /// releases that copy or barely perturb their source records.
    Distance,
    /// The release's density over the population's at the target (DOMIAS):
    /// catches generators that put too much mass near their training records.
    Density,
}

impl Method {
    /// The name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            Method::Distance => "distance",
            Method::Density => "density",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = Error;

    /// Parses [`Method::name`], so the CLI and the results agree on names.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "distance" | "dcr" => Ok(Method::Distance),
            "density" | "domias" => Ok(Method::Density),
            _ => Err(Error::invalid(format!("unknown membership method '{s}'; use 'distance' or 'density'"))),
        }
    }
}

/// Which records are attacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetChoice {
    /// A seeded uniform sample: the risk of a typical person.
    Random,
    /// The most isolated records (largest distance to their 5th nearest
    /// neighbour in original ∪ control): the risk of those most exposed,
    /// which random targets underestimate.
    Outliers,
}

impl TargetChoice {
    /// The name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            TargetChoice::Random => "random",
            TargetChoice::Outliers => "outliers",
        }
    }
}

impl fmt::Display for TargetChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TargetChoice {
    type Err = Error;

    /// Parses [`TargetChoice::name`].
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "random" => Ok(TargetChoice::Random),
            "outliers" | "outlier" => Ok(TargetChoice::Outliers),
            _ => Err(Error::invalid(format!("unknown target choice '{s}'; use 'random' or 'outliers'"))),
        }
    }
}

/// How to run the attack.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Columns the attacker knows and compares; empty means every column of
    /// the original.
    pub columns: Vec<String>,
    /// How targets are scored.
    pub method: Method,
    /// Which records are attacked.
    pub targets: TargetChoice,
    /// Targets per side (members and non-members alike; fewer when a table
    /// is smaller, the same number on both sides so that guessing scores 0.5).
    pub n_targets: usize,
    /// Seed of every random choice; the same seed gives the same result.
    pub seed: u64,
    /// Confidence level of every interval.
    pub confidence: f64,
    /// Bootstrap rounds behind the ROC intervals.
    pub bootstrap: usize,
    /// The δ at which the curve's ε lower bound is computed.
    pub delta: f64,
}

impl Default for Settings {
    /// DCR on 1,000 random targets per side, 95 % intervals from 1,000
    /// bootstrap rounds, δ = 10⁻⁵ (below one over the size of most medical
    /// tables, as δ must be for a meaningful guarantee).
    fn default() -> Self {
        Settings {
            columns: Vec::new(),
            method: Method::Distance,
            targets: TargetChoice::Random,
            n_targets: 1000,
            seed: 0,
            confidence: 0.95,
            bootstrap: 1000,
            delta: 1e-5,
        }
    }
}

/// Runs the membership inference attack of `settings` against `release`, with
/// `original` as the members' table and `control` as the non-members'.
///
/// The three tables are encoded together, so numbers are scaled by one range
/// and categories share one dictionary: a distance or a density means the
/// same for members and non-members.
pub fn run(original: &Table, release: &Table, control: &Table, settings: &Settings) -> Result<AttackResult> {
    let start = Instant::now();
    check(settings)?;
    let columns: Vec<String> = if settings.columns.is_empty() {
        original.names().map(str::to_string).collect()
    } else {
        settings.columns.clone()
    };
    let encoded = encode(&[("release", release), ("original", original), ("control", control)], &columns)?;
    let positions = encoded.positions(&columns)?;
    let [release_frame, original_frame, control_frame] = &encoded.frames[..] else {
        return Err(Error::internal("encode returned a frame count other than 3"));
    };
    let chosen = targets::choose(original_frame, control_frame, &encoded.fields, &positions, settings)?;
    let mut warnings = chosen.warnings.clone();
    let (member_scores, non_member_scores, method_details) = match settings.method {
        Method::Distance => {
            let (m, n) =
                distance::scores(release_frame, original_frame, control_frame, &encoded.fields, &positions, &chosen);
            let median_distance = |scores: &[f64]| {
                let mut d: Vec<f64> = scores.iter().map(|s| 0.0 - s).collect();
                d.sort_by(f64::total_cmp);
                d[d.len() / 2]
            };
            let details = json!({
                "distance": "sum over columns of |a − b| / range for numbers and 0 or 1 for categories (NULL equals NULL)",
                "median_distance_of_member_targets": median_distance(&m),
                "median_distance_of_non_member_targets": median_distance(&n),
            });
            (m, n, details)
        }
        Method::Density => {
            let scored = density::scores(
                release_frame,
                original_frame,
                control_frame,
                &encoded.fields,
                &positions,
                &chosen,
                settings.seed,
            );
            if scored.reference_rows < 1000 {
                warnings.push(format!(
                    "the density attack's reference sample has only {} rows: the population density, and so \
                     the scores, are noisy; a larger control table makes the attack stronger",
                    scored.reference_rows
                ));
            }
            (scored.members, scored.non_members, scored.details)
        }
    };

    let k = chosen.members.len() as u64;
    let decision = Decision::median(&member_scores, &non_member_scores);
    let mut coin = sample::stream(settings.seed, "membership baseline coin");
    let heads = (0..k).filter(|_| coin.random_bool(0.5)).count() as f64;
    let trials = Trials { attack: k, baseline: k, control: Some(k) };
    let successes =
        Counts { attack: decision.members_flagged, baseline: heads, control: Some(decision.non_members_flagged) };
    let rates = Rates::new(trials, successes, settings.confidence)?;
    warnings.extend(rates.warnings());

    let roc = Roc::new(&member_scores, &non_member_scores)?;
    let summary = roc.summary(settings.delta, settings.bootstrap, settings.seed, settings.confidence)?;
    if (k as f64) * crate::stats::roc::LOW_FPRS[0] < 1.0 {
        warnings.push(format!(
            "with {k} non-member targets the smallest non-zero false positive rate is {:.2} %: the TPR at \
             0.1 % FPR is measured at FPR 0; more targets resolve it",
            100.0 / k as f64
        ));
    }
    let point = if summary.epsilon_lower_bound.is_finite() {
        format!("the curve implies ε ≥ {:.3}", summary.epsilon_lower_bound)
    } else {
        "no finite ε fits the observed curve (a threshold catches members without a false positive)".to_string()
    };
    let readable = format!(
        "AUC {:.3} ({:.0} % interval {:.3}–{:.3}); TPR {:.4} at 0.1 % FPR ({:.4}–{:.4}) and {:.4} at 1 % FPR \
         ({:.4}–{:.4}); at δ = {:e} {point}; allowing for sampling error, ε ≥ {:.3}",
        summary.auc.value,
        100.0 * settings.confidence,
        summary.auc.low,
        summary.auc.high,
        summary.tpr_at_0_1pct_fpr.value,
        summary.tpr_at_0_1pct_fpr.low,
        summary.tpr_at_0_1pct_fpr.high,
        summary.tpr_at_1pct_fpr.value,
        summary.tpr_at_1pct_fpr.low,
        summary.tpr_at_1pct_fpr.high,
        summary.delta,
        summary.epsilon_lower_bound_conservative,
    );
    let details = json!({
        "method": settings.method.name(),
        "targets": settings.targets.name(),
        "columns": columns,
        "n_member_targets": k,
        "n_non_member_targets": chosen.non_members.len(),
        "rows": {
            "original": original_frame.rows(),
            "control": control_frame.rows(),
            "release": release_frame.rows(),
            "reference": (settings.method == Method::Density).then_some(chosen.reference.len()),
        },
        "target_choice": chosen.details,
        "scoring": method_details,
        "decision_rule": "flag as member every target scoring above the median of all target scores; \
                          targets at the median are flagged by a fair lottery that fills half of the \
                          targets, counted in expectation",
        "median_score": decision.median,
        "tpr": decision.members_flagged / k as f64,
        "fpr": decision.non_members_flagged / k as f64,
        "roc": readable,
        "auc": summary.auc.value,
        "tpr_at_0_1pct_fpr": summary.tpr_at_0_1pct_fpr.value,
        "tpr_at_1pct_fpr": summary.tpr_at_1pct_fpr.value,
        "epsilon_lower_bound_conservative": summary.epsilon_lower_bound_conservative,
    });

    let mut knows = vec![
        "the release".to_string(),
        format!("each target's record over {}", columns.join(", ")),
        "that about half of the targets are members".to_string(),
    ];
    if settings.method == Method::Density {
        knows.push(
            "a reference sample from the same population, disjoint from the release's source (control rows \
             that are not targets)"
                .to_string(),
        );
    }
    Ok(AttackResult {
        attack: "membership".to_string(),
        mode: Some(settings.method.name().to_string()),
        threat_model: ThreatModel {
            knows,
            goal: "tell whether each target's record was in the data the release was made from".to_string(),
        },
        n_attacks: k,
        trials,
        successes,
        rates,
        confidence_level: settings.confidence,
        roc: Some(summary),
        details,
        warnings,
        seed: settings.seed,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn check(settings: &Settings) -> Result<()> {
    if settings.n_targets < MIN_TARGETS {
        return Err(Error::invalid(format!(
            "membership inference needs at least {MIN_TARGETS} targets per side; got {}",
            settings.n_targets
        )));
    }
    if settings.bootstrap == 0 {
        return Err(Error::invalid("the ROC bootstrap needs at least one round; got 0"));
    }
    if !(0.0..1.0).contains(&settings.delta) {
        return Err(Error::invalid(format!("δ must lie in [0, 1); got {}", settings.delta)));
    }
    if !(settings.confidence > 0.0 && settings.confidence < 1.0) {
        return Err(Error::invalid(format!(
            "confidence level must lie strictly between 0 and 1; got {}",
            settings.confidence
        )));
    }
    Ok(())
}

/// The outcome of the median rule.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Decision {
    median: f64,
    /// Members flagged (fractional: the expected count under the lottery at the median).
    members_flagged: f64,
    non_members_flagged: f64,
}

impl Decision {
    /// Flags the targets above the median of all scores; when scores tie at
    /// the median, each tied target is flagged with the probability that fills
    /// exactly half of the targets, and the counts are the expected ones — a
    /// lottery's average rather than one draw of it, so the result does not
    /// depend on the seed. Without this, a release that copies its source
    /// (every member at distance 0, the median 0 too) would flag no one.
    fn median(members: &[f64], non_members: &[f64]) -> Decision {
        let mut all: Vec<f64> = members.iter().chain(non_members).copied().collect();
        all.sort_by(|a, b| b.total_cmp(a));
        let n = all.len();
        let slots = n / 2;
        let median = if n.is_multiple_of(2) { 0.5 * (all[slots - 1] + all[slots]) } else { all[slots] };
        // The lowest flagged score; everything above it is flagged outright.
        let boundary = all[slots.saturating_sub(1)];
        let above = |s: &[f64]| s.iter().filter(|&&x| x > boundary).count() as f64;
        let tied = |s: &[f64]| s.iter().filter(|&&x| x == boundary).count() as f64;
        let (m_above, n_above, m_tied, n_tied) = (above(members), above(non_members), tied(members), tied(non_members));
        let share = if slots == 0 { 0.0 } else { (slots as f64 - m_above - n_above) / (m_tied + n_tied) };
        Decision { median, members_flagged: m_above + share * m_tied, non_members_flagged: n_above + share * n_tied }
    }
}

#[cfg(test)]
mod tests;
