//! Linkage (re-identification) of a generalized release: the attacker holds
//! an identified table with the targets' exact quasi-identifiers (a voter
//! list, a hospital's admission register) and looks each target up in the
//! release.
//!
//! A release record is a candidate for a target when every one of its
//! generalized quasi-identifier values covers the target's value
//! ([`cover::Cover`]: hierarchy labels, ranges, masks, suppression). The
//! attacker claims a target when it has at least one candidate and picks one
//! of them at random (the prosecutor model); the claim is right when it is
//! the target's own record. The release must be row-aligned with the original
//! (row i of the release is row i of the original), as `anonlab anonymize`
//! writes it, so that "its own record" is known.
//!
//! Reported: claims, unique matches, correct re-identifications, precision
//! and recall, the expected success (the mean over targets of
//! 1/candidates), and the prosecutor risk the release's own class structure
//! predicts (the mean and the highest of 1/class size), so the measured rate
//! can be set against the prediction: they agree for a global recoding, and
//! differ where local recoding lets generalized records overlap.
//!
//! The control (people not in the data) can never be re-identified
//! correctly; on them the attack measures **false claims**: the control rate
//! is the share of non-members with exactly one candidate — a certain-looking
//! re-identification of someone who is not there. The risk is therefore the
//! members' correct re-identification rate itself, not an excess over the control.

pub mod cover;

use std::collections::HashMap;
use std::time::Instant;

use anonlab_table::Table;
use anonlab_table::hierarchy::Hierarchy;
use rand::Rng;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::json;

use crate::error::{Error, Result};
use crate::result::{AttackResult, Counts, Rates, ThreatModel, Trials};
use crate::sample::{choose, stream};
use crate::stats::SuccessRate;
use cover::Cover;

/// How a fully suppressed value is written (as by `anonlab anonymize` and ARX).
const SUPPRESSED: &str = "*";

/// Settings of a linkage attack.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The quasi-identifiers the attacker knows.
    pub qi: Vec<String>,
    /// Hierarchies by column, when the release was generalized with them.
    pub hierarchies: HashMap<String, Hierarchy>,
    /// Number of targets on each side.
    pub n_attacks: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Confidence level of the intervals.
    pub confidence: f64,
}

/// The release's distinct generalized records.
struct Classes {
    /// Release dictionary code of each quasi-identifier, per class.
    codes: Vec<Vec<u32>>,
    /// Rows per class.
    sizes: Vec<usize>,
    /// Rows of each class, ascending.
    rows: Vec<Vec<usize>>,
    /// Class of each release row.
    of_row: Vec<usize>,
    /// Whether a class is a fully suppressed record.
    suppressed: Vec<bool>,
}

fn classes(release: &Table, qi: &[usize]) -> Classes {
    let mut ids: FxHashMap<Vec<u32>, usize> = FxHashMap::default();
    let mut c = Classes {
        codes: Vec::new(),
        sizes: Vec::new(),
        rows: Vec::new(),
        of_row: Vec::with_capacity(release.rows()),
        suppressed: Vec::new(),
    };
    for r in 0..release.rows() {
        let key: Vec<u32> = qi.iter().map(|&q| release.column(q).codes()[r]).collect();
        let id = *ids.entry(key.clone()).or_insert_with(|| {
            c.suppressed.push(
                qi.iter().zip(&key).all(|(&q, &code)| release.column(q).dictionary()[code as usize] == SUPPRESSED),
            );
            c.codes.push(key);
            c.sizes.push(0);
            c.rows.push(Vec::new());
            c.codes.len() - 1
        });
        c.sizes[id] += 1;
        c.rows[id].push(r);
        c.of_row.push(id);
    }
    c
}

/// For one quasi-identifier: does release code `l` cover the target table's code `v`? (bit matrix)
struct Coverage {
    words: usize,
    bits: Vec<u64>,
}

impl Coverage {
    fn new(cover: &Cover, release: &[String], targets: &[String]) -> Self {
        let words = targets.len().div_ceil(64);
        let mut bits = vec![0u64; release.len() * words];
        bits.par_chunks_mut(words.max(1)).zip(release.par_iter()).for_each(|(row, label)| {
            for (v, value) in targets.iter().enumerate() {
                if cover.covers(label, value) {
                    row[v / 64] |= 1 << (v % 64);
                }
            }
        });
        Coverage { words, bits }
    }

    fn get(&self, label: u32, value: u32) -> bool {
        let (l, v) = (label as usize, value as usize);
        self.bits[l * self.words + v / 64] >> (v % 64) & 1 == 1
    }
}

/// Candidates of each target: the classes whose every value covers the
/// target's. Fully suppressed records (`*` everywhere) cover everyone, but an
/// attacker who finds any other candidate knows the target is not among them
/// (a suppressed record is nobody in particular), so they count only when
/// nothing else matches.
fn candidates(
    classes: &Classes,
    coverage: &[Coverage],
    table: &Table,
    qi: &[usize],
    targets: &[usize],
) -> Vec<Vec<usize>> {
    targets
        .par_iter()
        .map(|&t| {
            let values: Vec<u32> = qi.iter().map(|&q| table.column(q).codes()[t]).collect();
            let all: Vec<usize> = (0..classes.codes.len())
                .filter(|&c| classes.codes[c].iter().zip(&values).zip(coverage).all(|((&l, &v), cov)| cov.get(l, v)))
                .collect();
            if all.iter().any(|&c| !classes.suppressed[c]) {
                all.into_iter().filter(|&c| !classes.suppressed[c]).collect()
            } else {
                all
            }
        })
        .collect()
}

/// Runs the attack.
pub fn run(original: &Table, release: &Table, control: Option<&Table>, settings: &Settings) -> Result<AttackResult> {
    let started = Instant::now();
    if settings.qi.is_empty() {
        return Err(Error::invalid("linkage needs the quasi-identifiers the attacker knows (--qi a,b,c)"));
    }
    if settings.n_attacks == 0 {
        return Err(Error::invalid("--n-attacks must be at least 1"));
    }
    if release.rows() != original.rows() {
        return Err(Error::invalid(format!(
            "linkage needs the release row-aligned with the original (row i of the release is row i of the original, as anonlab anonymize writes it); the original has {} rows and the release {}",
            original.rows(),
            release.rows()
        )));
    }
    if release.rows() == 0 {
        return Err(Error::invalid("the release has no rows"));
    }
    let positions = |t: &Table, label: &str| -> Result<Vec<usize>> {
        settings
            .qi
            .iter()
            .map(|q| {
                t.column_index(q)
                    .map_err(|_| Error::invalid(format!("the {label} table has no quasi-identifier column '{q}'")))
            })
            .collect()
    };
    let (qi_r, qi_o) = (positions(release, "release")?, positions(original, "original")?);
    // A hierarchy explains a column only when every release label there is
    // one of its labels or leaves: Mondrian writes numeric ranges such as
    // `60-64` that can collide with a hierarchy label meaning other values
    // (ARX's adult age hierarchy files 65 under `60-64`).
    let covers: Vec<Cover> = settings
        .qi
        .iter()
        .zip(&qi_r)
        .map(|(q, &r)| match settings.hierarchies.get(q) {
            Some(h) => {
                let cover = Cover::with_hierarchy(h);
                if release.column(r).dictionary().iter().all(|label| cover.knows(label)) {
                    cover
                } else {
                    Cover::default()
                }
            }
            None => Cover::default(),
        })
        .collect();

    let coverage_for = |t: &Table, qi: &[usize]| -> Vec<Coverage> {
        qi_r.iter()
            .zip(qi)
            .zip(&covers)
            .map(|((&r, &o), cover)| Coverage::new(cover, release.column(r).dictionary(), t.column(o).dictionary()))
            .collect()
    };
    let classes = classes(release, &qi_r);

    // Members.
    let targets = choose(&mut stream(settings.seed, "linkage/targets"), original.rows(), settings.n_attacks);
    let matches = candidates(&classes, &coverage_for(original, &qi_o), original, &qi_o, &targets);
    let mut rng = stream(settings.seed, "linkage/picks");
    let (mut claims, mut unique, mut correct, mut expected, mut own_missing) = (0u64, 0u64, 0u64, 0.0f64, 0u64);
    for (&t, m) in targets.iter().zip(&matches) {
        let rows: usize = m.iter().map(|&c| classes.sizes[c]).sum();
        if rows == 0 {
            continue;
        }
        claims += 1;
        unique += u64::from(rows == 1);
        let own = classes.of_row[t];
        if !m.contains(&own) {
            own_missing += 1;

            continue;
        }
        expected += 1.0 / rows as f64;
        // A uniform pick among the candidate rows.
        let mut pick = rng.random_range(0..rows);
        for &c in m {
            if pick < classes.sizes[c] {
                correct += u64::from(classes.rows[c][pick] == t);
                break;
            }
            pick -= classes.sizes[c];
        }
    }
    let n = targets.len() as u64;

    // Non-members: false claims.
    let control_figures = match control {
        Some(ctl) => {
            let qi_c = positions(ctl, "control")?;
            let ctl_targets =
                choose(&mut stream(settings.seed, "linkage/control-targets"), ctl.rows(), settings.n_attacks);
            let m = candidates(&classes, &coverage_for(ctl, &qi_c), ctl, &qi_c, &ctl_targets);
            let sizes: Vec<usize> = m.iter().map(|m| m.iter().map(|&c| classes.sizes[c]).sum()).collect();
            Some((
                ctl_targets.len() as u64,
                sizes.iter().filter(|&&s| s > 0).count() as u64,
                sizes.iter().filter(|&&s| s == 1).count() as u64,
            ))
        }
        None => None,
    };

    // Baseline: a release row picked blindly.
    let mut rng = stream(settings.seed, "linkage/baseline");
    let baseline = targets.iter().filter(|&&t| rng.random_range(0..release.rows()) == t).count() as u64;

    let trials = Trials { attack: n, baseline: n, control: control_figures.map(|c| c.0) };
    let successes =
        Counts { attack: correct as f64, baseline: baseline as f64, control: control_figures.map(|c| c.2 as f64) };
    // Without a control, the risk is the members' rate itself; the control's
    // rate (false unique matches) is reported beside it, not subtracted.
    let rates =
        Rates::new(Trials { control: None, ..trials }, Counts { control: None, ..successes }, settings.confidence)?;
    let control = control_figures
        .map(|(n, _, u)| SuccessRate::wilson(n, u as f64, settings.confidence))
        .transpose()?
        .map(SuccessRate::estimate);

    // The mean over records of 1/class size is the number of classes over the number of records.
    let predicted_mean = classes.sizes.len() as f64 / release.rows() as f64;
    let predicted_highest = 1.0 / *classes.sizes.iter().min().expect("the release has rows") as f64;
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let mut warnings = rates.warnings();
    if own_missing > 0 {
        warnings.push(format!(
            "{own_missing} target(s) were not covered by their own release record: the release is not row-aligned with the original, or a value is generalized in a way the matcher does not recognize (pass the hierarchies)"
        ));
    }
    let pool_precision = control_figures.map(|(_, ctl_claims, _)| ratio(correct, claims + ctl_claims));
    Ok(AttackResult {
        attack: "linkage".into(),
        mode: None,
        threat_model: ThreatModel {
            knows: vec![
                "the release".into(),
                format!("an identified table with the targets' {}", settings.qi.join(", ")),
            ],
            goal: "pick the target's own record among the release records whose generalized values cover the target's"
                .into(),
        },
        n_attacks: n,
        trials,
        successes,
        rates: Rates { control, ..rates },
        confidence_level: settings.confidence,
        roc: None,
        details: json!({
            "claimed_matches": claims,
            "unique_matches": unique,
            "correct": correct,
            "precision": ratio(correct, claims),
            "recall": ratio(correct, n),
            "precision_with_non_members": pool_precision,
            "expected_success": expected / n as f64,
            "predicted_prosecutor_risk": { "average": predicted_mean, "highest": predicted_highest },
            "release_classes": classes.sizes.len(),
            "control_claims": control_figures.map(|c| c.1),
            "control_unique_matches": control_figures.map(|c| c.2),
            "targets_not_covered_by_own_record": own_missing,
        }),
        warnings,
        seed: settings.seed,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::table;

    #[test]
    fn a_global_recoding_is_re_identified_at_its_predicted_rate() {
        // Classes of sizes 1, 2 and 4 (ages masked to decades), one suppressed record.
        let original = table("age,sex\n31,m\n42,f\n45,f\n51,m\n52,m\n55,m\n58,m\n60,f\n");
        let release = table("age,sex\n30-39,m\n40-49,f\n40-49,f\n50-59,m\n50-59,m\n50-59,m\n50-59,m\n*,*\n");
        let settings = Settings {
            qi: vec!["age".into(), "sex".into()],
            n_attacks: 8,
            seed: 1,
            confidence: 0.95,
            ..Settings::default()
        };
        let r = run(&original, &release, None, &settings).unwrap();
        let d = &r.details;
        assert_eq!(d["targets_not_covered_by_own_record"], 0);
        // Per class: 1·1 + 2·(1/2) + 4·(1/4), and the suppressed record is its own
        // only candidate (nothing else covers 60, f): 4 out of 8.

        assert!((d["expected_success"].as_f64().unwrap() - 4.0 / 8.0).abs() < 1e-12, "{d}");
        assert!((d["predicted_prosecutor_risk"]["average"].as_f64().unwrap() - 4.0 / 8.0).abs() < 1e-12);
        assert_eq!(d["unique_matches"], 2);
    }

    #[test]
    fn a_hierarchy_is_used_only_where_it_explains_the_release_labels() {
        // The hierarchy files 60 under "55-59" and 65 under "60-64" (as ARX's adult age file does).
        let hierarchy = Hierarchy::try_new(
            (55..=66)
                .map(|a: u32| vec![a.to_string(), if a <= 60 { "55-59".into() } else { "60-64".into() }])
                .collect(),
        )
        .unwrap();
        let original = table("age\n60\n65\n");
        let mut settings = Settings { qi: vec!["age".into()], n_attacks: 2, confidence: 0.95, ..Settings::default() };
        settings.hierarchies.insert("age".into(), hierarchy);
        // Mondrian-style numeric ranges (one of them unknown to the hierarchy): read as numbers.
        let ranges = table("age\n60-64\n65-66\n");
        let r = run(&original, &ranges, None, &settings).unwrap();
        assert_eq!(r.details["targets_not_covered_by_own_record"], 0, "{}", r.details);
        // Hierarchy labels only: read through the hierarchy.
        let labels = table("age\n55-59\n60-64\n");
        let r = run(&original, &labels, None, &settings).unwrap();
        assert_eq!(r.details["targets_not_covered_by_own_record"], 0, "{}", r.details);
    }

    #[test]
    fn a_release_that_is_not_row_aligned_is_refused() {
        let original = table("age\n31\n42\n");
        let release = table("age\n30-39\n");
        let settings = Settings { qi: vec!["age".into()], n_attacks: 2, confidence: 0.95, ..Settings::default() };
        assert!(run(&original, &release, None, &settings).unwrap_err().to_string().contains("row-aligned"));
    }
}
