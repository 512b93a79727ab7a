//! Singling out: can the attacker, holding only the release, write a
//! predicate that matches exactly one person of the original data?
//!
//! The attacker writes queries that single out in the release (from its rare
//! values, or from its records' combinations of values) and scores one
//! success for each query that matches exactly one original record. The same
//! queries are scored on the control records, and random queries are scored
//! as the baseline. As in Anonymeter, every table is first reduced to its
//! distinct rows, and the attack rate is successes over the number of
//! *requested* attacks (a shortfall of queries lowers it, with a warning).
//!
//! # Where we differ from Anonymeter 1.1.0
//! - **Control size.** Whether a query singles out depends on the table's
//!   size. When the control has a different size than the original,
//!   Anonymeter rescales the control's successes by a curve fitted to
//!   subsamples of the control; on independent data that fit reports a
//!   spurious risk of the order of 17 %. We evaluate the original and the
//!   control at the same size instead: the larger of the two (after removing
//!   repeated rows) is reduced to a seeded uniform subsample of the smaller's
//!   size, so both are draws of the same size from the same population and
//!   their success rates are directly comparable. `details.evaluated_rows`
//!   says which size was used.
//! - **Reproducibility.** Anonymeter's linkability and inference baselines
//!   draw from an unseeded generator; every draw here comes from the seed.

mod generate;
pub mod query;

use std::time::Instant;

use anonlab_table::Table;
use serde_json::json;

use crate::error::{Error, Result};
use crate::frame::{Encoded, Frame, encode};
use crate::result::{AttackResult, Counts, Rates, ThreatModel, Trials};
use crate::sample::{choose, stream};
pub use query::{Index, Op, Predicate, Query};

/// How the attacker writes its queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One column per query: a value that occurs once, a column's extreme, a lone NULL.
    Univariate,
    /// `n_cols` columns per query, taken from a release record.
    Multivariate,
}

/// Settings of a singling-out attack.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Query style.
    pub mode: Mode,
    /// Number of queries the attacker tries to write (the rate's denominator).
    pub n_attacks: usize,
    /// Columns per multivariate query.
    pub n_cols: usize,
    /// Columns the attacker may use (all columns of the original when empty).
    pub columns: Vec<String>,
    /// Most candidate queries to try in multivariate mode.
    pub max_attempts: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Confidence level of the intervals.
    pub confidence: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Multivariate,
            n_attacks: 500,
            n_cols: 3,
            columns: Vec::new(),
            max_attempts: 1_000_000,
            seed: 0,
            confidence: 0.95,
        }
    }
}

/// The queries an attack wrote and which of them succeeded, for inspection.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The encoded tables: release, original, control (if any).
    pub encoded: Encoded,
    /// The attacker's queries (each singles out in the release).
    pub queries: Vec<Query>,
    /// For each query: does it single out in the original?
    pub on_original: Vec<bool>,
    /// For each query: does it single out in the control?
    pub on_control: Option<Vec<bool>>,
    /// The result.
    pub result: AttackResult,
}

/// Runs the attack: queries from `release`, scored on `original` and `control`.
pub fn run(original: &Table, release: &Table, control: Option<&Table>, settings: &Settings) -> Result<AttackResult> {
    evaluate(original, release, control, settings).map(|e| e.result)
}

/// [`run`], keeping the queries.
pub fn evaluate(original: &Table, release: &Table, control: Option<&Table>, settings: &Settings) -> Result<Evaluation> {
    let started = Instant::now();
    if settings.n_attacks == 0 {
        return Err(Error::invalid("--n-attacks must be at least 1"));
    }
    let mut tables = vec![("release", release), ("original", original)];
    tables.extend(control.map(|c| ("control", c)));
    let encoded = encode(&tables, &settings.columns)?;
    let columns: Vec<usize> = (0..encoded.fields.len()).collect();
    let n_cols = match settings.mode {
        Mode::Univariate => 1,
        Mode::Multivariate => settings.n_cols,
    };
    if n_cols == 0 || n_cols > columns.len() {
        return Err(Error::invalid(format!(
            "--n-cols is {n_cols} but the attack has {} column(s) to choose from",
            columns.len()
        )));
    }
    let release_rows = encoded.frames[0].unique();
    let mut original_rows = encoded.frames[1].unique();
    let mut control_rows = encoded.frames.get(2).map(Frame::unique);
    let mut warnings = Vec::new();
    if let Some(control) = &mut control_rows {
        let size = original_rows.rows().min(control.rows());
        let mut rng = stream(settings.seed, "singling-out/equal-size");
        if original_rows.rows() > size {
            warnings.push(format!(
                "the original has {} distinct rows and the control {size}: the original is evaluated on a random {size} of them so both have the same size",
                original_rows.rows()
            ));
            original_rows = original_rows.select(&choose(&mut rng, original_rows.rows(), size));
        } else if control.rows() > size {
            *control = control.select(&choose(&mut rng, control.rows(), size));
        }
    }

    let release_index = Index::new(&release_rows, &encoded.fields);
    let mut rng = stream(settings.seed, "singling-out/queries");
    let (queries, attempts) = match settings.mode {
        Mode::Univariate => {
            let q = generate::univariate(&release_index, &encoded.fields, &columns, settings.n_attacks, &mut rng);
            let n = q.len();
            (q, n)
        }
        Mode::Multivariate => {
            let g = generate::multivariate(
                &release_index,
                &encoded.fields,
                &columns,
                settings.n_attacks,
                n_cols,
                settings.max_attempts,
                &mut rng,
            );
            (g.queries, g.attempts)
        }
    };
    if queries.len() < settings.n_attacks {
        warnings.push(format!(
            "only {} of the requested {} singling-out queries could be written from the release; the attack rate counts the missing ones as failures, which can underestimate the risk",
            queries.len(),
            settings.n_attacks
        ));
    }
    let singles = |index: &Index<'_>, qs: &[Query]| -> Vec<bool> {
        use rayon::prelude::*;
        qs.par_iter().map(|q| index.singles_out(q)).collect()
    };
    let original_index = Index::new(&original_rows, &encoded.fields);
    let on_original = singles(&original_index, &queries);
    let on_control = control_rows.as_ref().map(|c| singles(&Index::new(c, &encoded.fields), &queries));
    let mut baseline_rng = stream(settings.seed, "singling-out/baseline");
    let baseline_queries = generate::random(&release_rows, &columns, settings.n_attacks, n_cols, &mut baseline_rng);
    let baseline_hits = singles(&original_index, &baseline_queries).into_iter().filter(|&b| b).count();

    let count = |v: &[bool]| v.iter().filter(|&&b| b).count() as f64;
    let n = settings.n_attacks as u64;
    let trials = Trials { attack: n, baseline: n, control: on_control.as_ref().map(|_| n) };
    let successes = Counts {
        attack: count(&on_original),
        baseline: baseline_hits as f64,
        control: on_control.as_deref().map(count),
    };
    let rates = Rates::new(trials, successes, settings.confidence)?;
    warnings.extend(rates.warnings());
    if control.is_none() {
        warnings.push(
            "no control set: the risk is the raw attack rate, not the excess over records the release never saw".into(),
        );
    }
    let examples: Vec<String> = queries
        .iter()
        .zip(&on_original)
        .filter(|(_, hit)| **hit)
        .take(10)
        .map(|(q, _)| q.display(&encoded.fields).to_string())
        .collect();
    // Which columns the successful queries used: where the release singles people out.
    let mut by_columns: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for (q, _) in queries.iter().zip(&on_original).filter(|(_, hit)| **hit) {
        let mut names: Vec<&str> = q.0.iter().map(|p| encoded.fields[p.column].name.as_str()).collect();
        names.sort_unstable();
        *by_columns.entry(names.join("&")).or_default() += 1;
    }
    let mode = match settings.mode {
        Mode::Univariate => "univariate",
        Mode::Multivariate => "multivariate",
    };
    let names: Vec<String> = encoded.fields.iter().map(|f| f.name.clone()).collect();
    let result = AttackResult {
        attack: "singling-out".into(),
        mode: Some(mode.into()),
        threat_model: ThreatModel {
            knows: vec!["the release".into(), format!("which columns exist: {}", names.join(", "))],
            goal: "a predicate that matches exactly one record of the original".into(),
        },
        n_attacks: n,
        trials,
        successes,
        rates,
        confidence_level: settings.confidence,
        roc: None,
        details: json!({
            "queries_written": queries.len(),
            "candidates_tried": attempts,
            "columns_per_query": n_cols,
            "evaluated_rows": { "original": original_rows.rows(), "control": control_rows.as_ref().map(Frame::rows), "release": release_rows.rows() },
            "successes_by_columns": by_columns,
            "successful_queries": examples,
        }),
        warnings,
        seed: settings.seed,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok(Evaluation { encoded, queries, on_original, on_control, result })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::table;

    fn settings(mode: Mode) -> Settings {
        Settings { mode, n_attacks: 100, n_cols: 2, ..Settings::default() }
    }

    #[test]
    fn univariate_queries_are_the_rare_values_extremes_and_lone_nulls() {
        // age: min 20 and max 70 unique, 30 occurs once, 40 twice; city: "b" once, one NULL.
        let release = table("age,city\n20,a\n30,a\n40,a\n40,c\n70,b\n50,\n55,c\n");
        let e = evaluate(&release, &release, None, &settings(Mode::Univariate)).unwrap();
        let mut texts: Vec<String> = e.queries.iter().map(|q| q.display(&e.encoded.fields).to_string()).collect();
        texts.sort();
        let want = [
            "age <= 20",
            "age == 20",
            "age == 30",
            "age == 50",
            "age == 55",
            "age == 70",
            "age >= 70",
            "city == \"b\"",
            "city is null",
        ];
        assert_eq!(texts, want);
        // On the release itself every query singles out.
        assert!(e.on_original.iter().all(|&b| b));
        assert_eq!(e.result.successes.attack, want.len() as f64);
    }

    #[test]
    fn a_larger_control_is_evaluated_at_the_original_size() {
        let original = table("x\n1\n2\n3\n4\n");
        let control = table("x\n5\n6\n7\n8\n9\n10\n11\n12\n");
        let e = evaluate(&original, &original, Some(&control), &settings(Mode::Univariate)).unwrap();
        assert_eq!(e.result.details["evaluated_rows"]["control"], 4);
        assert_eq!(e.result.details["evaluated_rows"]["original"], 4);
    }

    #[test]
    fn a_release_equal_to_the_original_is_attacked_without_error() {
        let text: String = std::iter::once("a,b,c\n".to_string())
            .chain((0..200).map(|i| format!("{},{},{}\n", i % 17, i % 5, i % 7)))
            .collect();
        let t = table(&text);
        let r = run(&t, &t, Some(&t), &settings(Mode::Multivariate)).unwrap();
        assert_eq!(r.rates.control, Some(r.rates.attack), "the same table as control scores the same");
        assert_eq!(r.rates.risk.value, 0.0);
    }
}
