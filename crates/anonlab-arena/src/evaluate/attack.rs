//! Running a built-in attack on a stored release under the challenge's threat model.

use std::collections::HashMap;
use std::time::Instant;

use anonlab_attacks::stats::Estimate as AttackEstimate;
use anonlab_attacks::{AttackResult, inference, linkability, linkage, membership, singling_out};
use anonlab_table::Table;

use super::anonymizer::hierarchies;
use super::metrics::{Estimate, PrivacyMetrics};
use super::split::Split;
use crate::challenge::ChallengeSpec;
use crate::error::{Error, ErrorKind, Result};
use crate::submission::BuiltinAttack;

/// Confidence level of every interval on the leaderboard.
const CONFIDENCE: f64 = 0.95;

/// Columns per singling-out query (Anonymeter's default).
const SINGLING_OUT_COLUMNS: usize = 3;

/// Most candidate queries singling out tries: enough to find the requested
/// queries in any release that has them, few enough to bound the time on a
/// k-anonymous release that has none.
const SINGLING_OUT_ATTEMPTS: usize = 200_000;

/// Release records each side of a linkability attack looks at: Anonymeter's
/// own adult example uses 10. With 1, two halves of a few categorical
/// columns each match hundreds of records equally well, the nearest one
/// is the first of them on both sides, and even an unprotected release shows
/// no risk.
const LINKABILITY_NEIGHBORS: usize = 10;

/// Relative tolerance for a numeric secret in attribute inference.
const INFERENCE_TOLERANCE: f64 = 0.05;

/// Bootstrap rounds behind the membership ROC intervals.
const MEMBERSHIP_BOOTSTRAP: usize = 200;

/// δ of the ε the membership ROC implies.
const MEMBERSHIP_DELTA: f64 = 1e-5;

/// Most ROC points kept in a result.
const MAX_ROC_POINTS: usize = 200;

/// Runs one built-in attack on `release` (read back from the stored release
/// CSV, row-aligned with `split.train`), with `split.train` as the members
/// and `split.control` as the records the release never saw.
///
/// The challenge's threat model sets what the attacker knows: every attack
/// works on the known columns (`aux_cols`) and the secret, so an attack never
/// uses a column the challenge says the attacker lacks.
///
/// - singling out: multivariate queries of up to three of those columns;
/// - linkability: the known columns split in two halves, one per source
///   (the secret is the second source when only one column is known);
/// - inference: the secret from the known columns;
/// - linkage: the known columns, matched through the challenge's hierarchies
///   so generalized labels cover the values they stand for;
/// - membership: distance to the closest record over the known columns and
///   the secret, random targets.
///
/// `n_attacks` is capped at what the data allows; the cap is reported in the
/// warnings rather than failing the evaluation.
///
/// # Errors
/// A release without the threat model's columns, or an attack the data cannot
/// support at all (membership inference with fewer than 10 records per side).
pub fn run_attack(
    spec: &ChallengeSpec,
    split: &Split,
    release: &Table,
    attack: BuiltinAttack,
    seed: u64,
) -> Result<PrivacyMetrics> {
    let started = Instant::now();
    let threat = &spec.threat_model;
    let (original, control) = (&split.train, &split.control);
    let mut known = threat.aux_cols.clone();
    let mut columns = known.clone();
    if !columns.contains(&threat.secret) {
        columns.push(threat.secret.clone());
    }
    for name in &columns {
        for (part, table) in [("release", release), ("training part", original), ("control part", control)] {
            if table.column_index(name).is_err() {
                return Err(Error::invalid(format!("the {part} has no column '{name}', which the threat model names")));
            }
        }
    }
    known.retain(|c| c != &threat.secret);
    let mut warnings = Vec::new();
    let fail = |e: anonlab_attacks::Error| Error::new(ErrorKind::Evaluation, format!("{}: {e}", attack.name()));
    let rows = original.rows().min(control.rows());
    let n = threat.n_attacks;
    let capped = |n: usize, limit: usize, warnings: &mut Vec<String>, what: &str| {
        if n > limit {
            warnings.push(format!("{n} attacks asked for, but the data allows {limit} {what}; ran {limit}"));
        }
        n.min(limit)
    };
    let result = match attack {
        BuiltinAttack::LabelOnlyGap | BuiltinAttack::LabelOnlyNoise | BuiltinAttack::ShadowModel => {
            return Err(Error::invalid(format!(
                "{} attacks a trained model through its /predict route; this anonymizer released a table",
                attack.name()
            )));
        }
        BuiltinAttack::SinglingOut => {
            let settings = singling_out::Settings {
                mode: singling_out::Mode::Multivariate,
                n_attacks: n,
                n_cols: SINGLING_OUT_COLUMNS.min(columns.len()),
                columns: columns.clone(),
                max_attempts: SINGLING_OUT_ATTEMPTS,
                seed,
                confidence: CONFIDENCE,
            };
            singling_out::run(original, release, Some(control), &settings).map_err(fail)?
        }
        BuiltinAttack::Linkability => {
            let (a, b) = if known.len() >= 2 {
                let half = known.len().div_ceil(2);
                (known[..half].to_vec(), known[half..].to_vec())
            } else {
                warnings.push(format!(
                    "the threat model knows one column besides the secret; linkability links it to the secret '{}'",
                    threat.secret
                ));
                (known.clone(), vec![threat.secret.clone()])
            };
            if a.is_empty() {
                return Err(Error::invalid("linkability needs a known column besides the secret"));
            }
            let settings = linkability::Settings {
                aux_cols_a: a,
                aux_cols_b: b,
                n_attacks: capped(n, rows, &mut warnings, "targets (rows of the smaller part)"),
                n_neighbors: LINKABILITY_NEIGHBORS,
                seed,
                confidence: CONFIDENCE,
            };
            linkability::run(original, release, Some(control), &settings).map_err(fail)?
        }
        BuiltinAttack::Inference => {
            if known.is_empty() {
                return Err(Error::invalid("inference needs a known column besides the secret"));
            }
            let settings = inference::Settings {
                aux_cols: known.clone(),
                secret: threat.secret.clone(),
                n_attacks: capped(n, rows, &mut warnings, "targets (rows of the smaller part)"),
                tolerance: INFERENCE_TOLERANCE,
                seed,
                confidence: CONFIDENCE,
            };
            inference::run(original, release, Some(control), &settings).map_err(fail)?
        }
        BuiltinAttack::Linkage => {
            let hierarchies: HashMap<_, _> =
                hierarchies(spec, original)?.into_iter().filter(|(name, _)| threat.aux_cols.contains(name)).collect();
            let settings = linkage::Settings {
                qi: threat.aux_cols.clone(),
                hierarchies,
                n_attacks: capped(n, rows, &mut warnings, "targets (rows of the smaller part)"),
                seed,
                confidence: CONFIDENCE,
            };
            linkage::run(original, release, Some(control), &settings).map_err(fail)?
        }
        BuiltinAttack::Membership => {
            let settings = membership::Settings {
                columns: columns.clone(),
                method: membership::Method::Distance,
                targets: membership::TargetChoice::Random,
                n_targets: capped(n, rows, &mut warnings, "targets per side (rows of the smaller part)"),
                seed,
                confidence: CONFIDENCE,
                bootstrap: MEMBERSHIP_BOOTSTRAP,
                delta: MEMBERSHIP_DELTA,
            };
            membership::run(original, release, control, &settings).map_err(fail)?
        }
    };
    Ok(metrics(attack, result, warnings, started))
}

/// The leaderboard's view of an attack's result.
fn metrics(attack: BuiltinAttack, result: AttackResult, mut warnings: Vec<String>, started: Instant) -> PrivacyMetrics {
    let estimate = |e: AttackEstimate| Estimate { value: e.value, low: e.low, high: e.high };
    let rates = result.rates;
    let control_rate = match rates.control {
        Some(c) => estimate(c),
        None => {
            warnings.push("the attack ran without control records; its control rate is 0".into());
            Estimate { value: 0.0, low: 0.0, high: 0.0 }
        }
    };
    warnings.extend(result.warnings);
    let roc = result.roc.as_ref();
    PrivacyMetrics {
        attack: attack.name().to_string(),
        risk: estimate(rates.risk),
        attack_rate: estimate(rates.attack),
        baseline_rate: estimate(rates.baseline),
        control_rate,
        trials: result.n_attacks,
        auc: roc.map(|r| r.auc.value),
        tpr_at_0_1_fpr: roc.map(|r| r.tpr_at_0_1pct_fpr.value),
        tpr_at_1_fpr: roc.map(|r| r.tpr_at_1pct_fpr.value),
        roc: roc.map(|r| thin(&r.points, MAX_ROC_POINTS)).unwrap_or_default(),
        decisions: None,
        warnings,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// At most `max` of `points`, evenly spaced, always keeping the first and the
/// last (the attack library thins to 200 already; this keeps the stored
/// result bounded whatever it does).
fn thin(points: &[[f64; 2]], max: usize) -> Vec<[f64; 2]> {
    if points.len() <= max || max < 2 {
        return points.to_vec();
    }
    let last = points.len() - 1;
    (0..max).map(|i| points[i * last / (max - 1)]).collect()
}
