//! Linkability: can the attacker, holding two partial records of the same
//! person (columns A from one source, columns B from another), tell through
//! the release that they belong together?
//!
//! For each target the attacker looks up the `n_neighbors` release records
//! nearest to its A part and those nearest to its B part; the link succeeds
//! when the two sets share a record. Scored on original targets (members),
//! on control targets (non-members) and, as the baseline, with random sets.
//!
//! # Where we differ from Anonymeter 1.1.0
//! - Distances: NULL–NULL is 0 (Anonymeter: 1, or NaN against a number), and
//!   numbers are scaled by the release's range, identically for the member
//!   and the control attack (Anonymeter rescales per call, over the release
//!   and that call's targets, so its two attacks measure with different rulers).

//! - Ties: the lower release row wins (Anonymeter's argsort picks any). With
//!   release = original, Anonymeter's random tie-breaking can pick different
//!   copies for A and B and report almost no linkability; here identical
//!   records resolve to the same release row.
//! - The search uses an exact index ([`crate::neighbors`]), not brute force.
//! - The baseline is seeded.

use std::time::Instant;

use anonlab_table::Table;
use rand::seq::index;
use serde_json::json;

use crate::error::{Error, Result};
use crate::frame::{Encoded, encode};
use crate::neighbors::Neighbors;
use crate::result::{AttackResult, Counts, Rates, ThreatModel, Trials};
use crate::sample::{choose, stream};

/// Settings of a linkability attack.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Columns of the first source.
    pub aux_cols_a: Vec<String>,
    /// Columns of the second source (disjoint from the first).
    pub aux_cols_b: Vec<String>,
    /// Number of targets.
    pub n_attacks: usize,
    /// Release neighbours considered on each side.
    pub n_neighbors: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Confidence level of the intervals.
    pub confidence: f64,
}

/// Runs the attack.
pub fn run(original: &Table, release: &Table, control: Option<&Table>, settings: &Settings) -> Result<AttackResult> {
    let started = Instant::now();
    let (a, b) = (&settings.aux_cols_a, &settings.aux_cols_b);
    if a.is_empty() || b.is_empty() {
        return Err(Error::invalid("linkability needs both --aux-cols-a and --aux-cols-b"));
    }
    if let Some(shared) = a.iter().find(|c| b.contains(c)) {
        return Err(Error::invalid(format!(
            "column '{shared}' is in both --aux-cols-a and --aux-cols-b; the two sources must not share columns"
        )));
    }
    if settings.n_attacks == 0 || settings.n_neighbors == 0 {
        return Err(Error::invalid("--n-attacks and --n-neighbors must be at least 1"));
    }
    let columns: Vec<String> = a.iter().chain(b).cloned().collect();
    let mut tables = vec![("release", release), ("original", original)];
    tables.extend(control.map(|c| ("control", c)));
    let encoded = encode(&tables, &columns)?;
    let (cols_a, cols_b) = (encoded.positions(a)?, encoded.positions(b)?);
    let k = settings.n_neighbors.min(encoded.frames[0].rows());
    let index_a = Neighbors::build(&encoded.frames[0], &encoded.fields, &cols_a);
    let index_b = Neighbors::build(&encoded.frames[0], &encoded.fields, &cols_b);
    let attack = |frame: usize, purpose: &str| -> (u64, u64) {
        let rows = encoded.frames[frame].rows();
        let targets = choose(&mut stream(settings.seed, purpose), rows, settings.n_attacks);
        (targets.len() as u64, links(&encoded, frame, &targets, (&index_a, &cols_a), (&index_b, &cols_b), k))
    };
    let (n_attack, s_attack) = attack(1, "linkability/targets");
    let control_counts = control.map(|_| attack(2, "linkability/control-targets"));

    let mut rng = stream(settings.seed, "linkability/baseline");
    let release_rows = encoded.frames[0].rows();
    let s_baseline = (0..n_attack)
        .filter(|_| {
            let x = index::sample(&mut rng, release_rows, k).into_vec();
            let y = index::sample(&mut rng, release_rows, k).into_vec();
            x.iter().any(|r| y.contains(r))
        })
        .count() as u64;

    let trials = Trials { attack: n_attack, baseline: n_attack, control: control_counts.map(|c| c.0) };
    let successes =
        Counts { attack: s_attack as f64, baseline: s_baseline as f64, control: control_counts.map(|c| c.1 as f64) };
    let rates = Rates::new(trials, successes, settings.confidence)?;
    let mut warnings = rates.warnings();
    if (n_attack as usize) < settings.n_attacks {
        warnings.push(format!(
            "the original has only {n_attack} rows; {n_attack} targets instead of {}",
            settings.n_attacks
        ));
    }
    Ok(AttackResult {
        attack: "linkability".into(),
        mode: None,
        threat_model: ThreatModel {
            knows: vec![
                "the release".into(),
                format!("one source with the targets' {}", a.join(", ")),
                format!("another source with the targets' {}", b.join(", ")),
            ],
            goal: format!("link the two sources' records of a target through its {k} nearest release record(s)"),
        },
        n_attacks: n_attack,
        trials,
        successes,
        rates,
        confidence_level: settings.confidence,
        roc: None,
        details: json!({ "aux_cols_a": a, "aux_cols_b": b, "n_neighbors": k, "release_rows": release_rows }),
        warnings,
        seed: settings.seed,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// How many of `targets` (rows of frame `frame`) have a common release record
/// among the `k` nearest to their A part and to their B part.
fn links(
    encoded: &Encoded,
    frame: usize,
    targets: &[usize],
    (index_a, cols_a): (&Neighbors, &[usize]),
    (index_b, cols_b): (&Neighbors, &[usize]),
    k: usize,
) -> u64 {
    let f = &encoded.frames[frame];
    let near_a = index_a.nearest_rows(f, &encoded.fields, cols_a, targets, k);
    let near_b = index_b.nearest_rows(f, &encoded.fields, cols_b, targets, k);
    near_a.iter().zip(&near_b).filter(|(x, y)| x.iter().any(|n| y.iter().any(|m| m.row == n.row))).count() as u64
}
