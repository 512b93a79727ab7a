//! Attribute inference: can the attacker, knowing some of a target's columns
//! (the auxiliary columns), guess its secret column from the release?
//!
//! The attacker takes the secret of the release record nearest to the
//! target's auxiliary values. A guess is right when it equals the secret
//! (categories), or lies within `tolerance` of it relative to the true value
//! (numbers). Scored on original targets, on control targets, and — as the
//! baseline — with the secrets of random release records.
//!
//! # Where we differ from Anonymeter 1.1.0
//! - **Numeric tolerance.** Anonymeter accepts a guess when
//!   `|guess − secret| / (guess + 1e-12) ≤ tolerance`: relative to the
//!   *guess*, and without an absolute value, so every negative guess counts
//!   as right. We use `|guess − secret| ≤ tolerance · |secret|` (a secret of
//!   0 must be guessed exactly).
//! - **Numeric secrets** are judged with the tolerance by default
//!   (Anonymeter's evaluator defaults to exact equality unless
//!   `regression=True` is passed); `tolerance = 0` asks for exact equality.
//! - Distances and ties as in [`crate::linkability`]; seeded baseline.

use std::time::Instant;

use anonlab_table::Table;
use serde_json::json;

use crate::error::{Error, Result};
use crate::frame::{Encoded, Values, encode};
use crate::neighbors::Neighbors;
use crate::result::{AttackResult, Counts, Rates, ThreatModel, Trials};
use crate::sample::{choose, stream};

/// Settings of an inference attack.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Columns the attacker knows.
    pub aux_cols: Vec<String>,
    /// The column to guess.
    pub secret: String,
    /// Number of targets.
    pub n_attacks: usize,
    /// Relative tolerance for numeric secrets.
    pub tolerance: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Confidence level of the intervals.
    pub confidence: f64,
}

/// Runs the attack.
pub fn run(original: &Table, release: &Table, control: Option<&Table>, settings: &Settings) -> Result<AttackResult> {
    let started = Instant::now();
    if settings.aux_cols.is_empty() {
        return Err(Error::invalid("inference needs --aux-cols"));
    }
    if settings.aux_cols.contains(&settings.secret) {
        return Err(Error::invalid(format!("the secret '{}' cannot also be an auxiliary column", settings.secret)));
    }
    if settings.n_attacks == 0 {
        return Err(Error::invalid("--n-attacks must be at least 1"));
    }
    if settings.tolerance.is_nan() || settings.tolerance < 0.0 {
        return Err(Error::invalid(format!("--tolerance must be 0 or more; got {}", settings.tolerance)));
    }
    let mut columns = settings.aux_cols.clone();
    columns.push(settings.secret.clone());
    let mut tables = vec![("release", release), ("original", original)];
    tables.extend(control.map(|c| ("control", c)));
    let encoded = encode(&tables, &columns)?;
    let aux = encoded.positions(&settings.aux_cols)?;
    let secret = encoded.position(&settings.secret)?;
    let index = Neighbors::build(&encoded.frames[0], &encoded.fields, &aux);
    let judge = Judge { encoded: &encoded, secret, tolerance: settings.tolerance };

    let attack = |frame: usize, purpose: &str| -> (u64, u64) {
        let targets = choose(&mut stream(settings.seed, purpose), encoded.frames[frame].rows(), settings.n_attacks);
        let nearest = index.nearest_rows(&encoded.frames[frame], &encoded.fields, &aux, &targets, 1);
        let right = targets.iter().zip(&nearest).filter(|(t, n)| judge.right(frame, **t, n[0].row)).count();
        (targets.len() as u64, right as u64)
    };
    let (n_attack, s_attack) = attack(1, "inference/targets");
    let control_counts = control.map(|_| attack(2, "inference/control-targets"));
    // Baseline: as many random release secrets as targets (at most the release's size).
    let n_baseline = (n_attack as usize).min(encoded.frames[0].rows());
    let targets =
        choose(&mut stream(settings.seed, "inference/baseline-targets"), encoded.frames[1].rows(), n_baseline);
    let guesses =
        choose(&mut stream(settings.seed, "inference/baseline-guesses"), encoded.frames[0].rows(), n_baseline);
    let s_baseline = targets.iter().zip(&guesses).filter(|(t, g)| judge.right(1, **t, **g)).count();

    let trials = Trials { attack: n_attack, baseline: n_baseline as u64, control: control_counts.map(|c| c.0) };
    let successes =
        Counts { attack: s_attack as f64, baseline: s_baseline as f64, control: control_counts.map(|c| c.1 as f64) };
    let rates = Rates::new(trials, successes, settings.confidence)?;
    let numeric = matches!(encoded.frames[0].column(secret), Values::Numeric(_));
    Ok(AttackResult {
        attack: "inference".into(),
        mode: Some(if numeric { "numeric" } else { "categorical" }.into()),
        threat_model: ThreatModel {
            knows: vec!["the release".into(), format!("the targets' {}", settings.aux_cols.join(", "))],
            goal: if numeric {
                format!("guess each target's {} within {} of its value", settings.secret, settings.tolerance)
            } else {
                format!("guess each target's {}", settings.secret)
            },
        },
        n_attacks: n_attack,
        trials,
        successes,
        rates,
        confidence_level: settings.confidence,
        roc: None,
        details: json!({ "aux_cols": settings.aux_cols, "secret": settings.secret, "tolerance": numeric.then_some(settings.tolerance) }),
        warnings: rates.warnings(),
        seed: settings.seed,
        seconds: started.elapsed().as_secs_f64(),
    })
}

struct Judge<'a> {
    encoded: &'a Encoded,
    secret: usize,
    tolerance: f64,
}

impl Judge<'_> {
    /// Is the secret of release row `guess` right for row `target` of frame `frame`?
    fn right(&self, frame: usize, target: usize, guess: usize) -> bool {
        match (self.encoded.frames[frame].column(self.secret), self.encoded.frames[0].column(self.secret)) {
            (Values::Numeric(t), Values::Numeric(g)) => {
                let (t, g) = (t[target], g[guess]);
                (t.is_nan() && g.is_nan()) || (t - g).abs() <= self.tolerance * t.abs()
            }
            (Values::Categorical(t), Values::Categorical(g)) => t[target] == g[guess],
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::table;

    fn settings(tolerance: f64) -> Settings {
        Settings { aux_cols: vec!["x".into()], secret: "s".into(), n_attacks: 10, tolerance, seed: 1, confidence: 0.95 }
    }

    #[test]
    fn numeric_guesses_are_judged_against_the_truth() {
        let original = table("x,s\n1,100\n2,100\n3,-50\n4,0\n");
        // Guesses: 104 (within 5 % of 100), 94 (not), -52 (within 5 % of -50), 0.001 (not exact 0).
        let release = table("x,s\n1,104\n2,94\n3,-52\n4,0.001\n");
        let r = run(&original, &release, None, &settings(0.05)).unwrap();
        assert_eq!(r.successes.attack, 2.0);
        let exact = run(&original, &release, None, &settings(0.0)).unwrap();
        assert_eq!(exact.successes.attack, 0.0);
    }

    #[test]
    fn categorical_guesses_must_be_equal() {
        let original = table("x,s\n1,a\n2,b\n3,c\n");
        let release = table("x,s\n1,a\n2,b\n3,x\n");
        let r = run(&original, &release, None, &settings(0.05)).unwrap();
        assert_eq!(r.successes.attack, 2.0);
        assert_eq!(r.mode.as_deref(), Some("categorical"));
    }
}
