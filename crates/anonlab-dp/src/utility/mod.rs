//! How useful is a synthetic (or any released) table? Compares it with the
//! real table it stands for, on the data owner's side.
//!
//! [`evaluate`] reports:
//!
//! - **Marginal fidelity**: the total-variation distance TVD = ½·Σ|p − q|
//!   between real and synthetic cell frequencies, averaged over all 1-, 2-
//!   and 3-way column combinations (a seeded sample of them for wide tables,
//!   see [`Settings::max_marginals`]), with the worst marginals by name.
//! - **k-marginal score** (0–1000, 1000 = identical), as NIST's SDNist v2
//!   defines it (`sdnist/metrics/kmarginal.py`, class `KMarginal`, in
//!   github.com/usnistgov/SDNist, the scorer of the NIST CRC Data and Metrics
//!   Archive): the L1 distance Σ|p − q| of every 2-way marginal of the
//!   features, averaged, mapped as `(2 − mean L1) · 500`. Since L1 = 2·TVD
//!   this is `1000 · (1 − mean 2-way TVD)` over the same marginals as
//!   `tvd_2way`. (SDNist's older `KMarginalScore`, the scorer of the 2020
//!   Temporal Map challenge, averaged a fixed number of randomly drawn
//!   marginals instead; v2's `KMarginal` takes all pairs, as anonlab does.)
//!   SDNist's marginals within PUMA groups have no counterpart in a
//!   general table and are not computed.
//! - **Correlation differences**: per column pair, Pearson's r (two numbers),
//!   bias-corrected Cramér's V (two categories) or the correlation ratio η
//!   (mixed), in both tables; mean and max of |real − synthetic|.
//! - **Train on synthetic, test on real** for a chosen target column: a
//!   random forest learnt from the synthetic table, one learnt from the real
//!   table, and the majority class, all scored on real records the
//!   synthesizer did not see (the hold-out).
//!
//! # Cells
//! Numeric and date columns (declared, or inferred from the real values of a
//! plain string column) are cut into quantile bins of the REAL table; other
//! columns keep each value as a cell. A synthetic value the real table lacks
//! (an invented category, an unparsable number) is a cell of its own, so it
//! counts as a difference rather than vanishing; a number outside the real
//! range falls in the end bin; NULL is a cell of its own. Bins from the real
//! data are sound here because the report goes to the data owner, who holds
//! the real table anyway; do not publish the per-cell details.

mod classify;
mod correlation;
mod encode;
mod marginals;
#[cfg(test)]
mod tests;

use std::time::Instant;

use anonlab_table::Table;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

pub use classify::{Classification, TestSet};
pub use correlation::Measure;
pub use encode::ColumnKind;

use crate::error::{Error, Result};
use encode::{Coder, Encoded, EncodedTable};

/// How many of the worst marginals per order the report names.
const WORST: usize = 5;

/// What to evaluate and how finely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Column to predict for train-on-synthetic / test-on-real; `None` skips
    /// the classification (the slowest part).
    pub target: Option<String>,
    /// Quantile bins per numeric or date column. More bins resolve finer
    /// differences but thin out the 3-way cells, and sparse cells make every
    /// TVD larger through sampling noise alone, even for a good synthesizer;
    /// ten is the common choice (SDNist bins its numeric features similarly).
    pub bins: usize,
    /// At most this many 2-way and this many 3-way marginals, drawn at random
    /// (seeded) when a wide table has more; `None` counts all. 100 columns
    /// have 161,700 triples, each a pass over both tables.
    pub max_marginals: Option<usize>,
    /// Seeds the marginal sample, the real-table split and the classifiers,
    /// so a report can be reproduced.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { target: None, bins: 10, max_marginals: Some(1000), seed: 0 }
    }
}

/// The utility of a synthetic table measured against the real one.
#[derive(Debug, Clone, Serialize)]
pub struct UtilityReport {
    /// Records of the real table.
    pub rows_real: usize,
    /// Records of the synthetic table.
    pub rows_synthetic: usize,
    /// Records of the hold-out, if one was given.
    pub rows_holdout: Option<usize>,
    /// How each column was measured.
    pub columns: Vec<ColumnSummary>,
    /// Mean TVD over the 1-way marginals (each column's own distribution).
    pub tvd_1way: f64,
    /// Mean TVD over the 2-way marginals; `None` with fewer than 2 columns.
    pub tvd_2way: Option<f64>,
    /// Mean TVD over the 3-way marginals; `None` with fewer than 3 columns.
    pub tvd_3way: Option<f64>,
    /// Details per order: how many marginals, whether sampled, the worst.
    pub marginals: Vec<MarginalSummary>,
    /// SDNist's k-marginal score, 0–1000, higher is better (see the module
    /// docs); `None` with fewer than 2 columns.
    pub k_marginal_score: Option<f64>,
    /// How well pairwise associations survive.
    pub correlation: CorrelationSummary,
    /// Train-on-synthetic / test-on-real, when a target was set.
    pub classification: Option<Classification>,
    /// Caveats a reader needs to interpret the figures (sampling, splits).
    pub notes: Vec<String>,
    /// Wall-clock time of the evaluation.
    pub seconds: f64,
}

/// How one column was cut into cells.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnSummary {
    /// The column's name.
    pub name: String,
    /// Numeric, date or categorical, from the real table.
    pub kind: ColumnKind,
    /// Cells of the real table (bins, or distinct values, NULL included).
    pub cells: u32,
    /// Distinct synthetic values the real table lacks: invented categories
    /// or unparsable numbers, each a cell of its own.
    pub unseen_synthetic: usize,
}

/// The marginals of one order k.
#[derive(Debug, Clone, Serialize)]
pub struct MarginalSummary {
    /// Columns per marginal.
    pub k: usize,
    /// Column combinations of this size in the table.
    pub total: u64,
    /// How many were evaluated (fewer than `total` when sampled).
    pub evaluated: usize,
    /// Whether a seeded sample stood for all of them.
    pub sampled: bool,
    /// Mean TVD over the evaluated marginals.
    pub mean_tvd: Option<f64>,
    /// The largest TVD among them.
    pub max_tvd: Option<f64>,
    /// The marginals with the largest TVD, worst first: where to look.
    pub worst: Vec<MarginalTvd>,
}

/// One marginal and its distance.
#[derive(Debug, Clone, Serialize)]
pub struct MarginalTvd {
    /// The marginal's columns.
    pub columns: Vec<String>,
    /// ½·Σ|p − q| over its cells.
    pub tvd: f64,
}

/// Differences of pairwise association between the tables.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelationSummary {
    /// Mean |real − synthetic| over the pairs; `None` without pairs.
    pub mean_abs_diff: Option<f64>,
    /// Largest |real − synthetic|.
    pub max_abs_diff: Option<f64>,
    /// Every pair evaluated (those of the 2-way marginals), largest
    /// difference first.
    pub pairs: Vec<CorrelationPair>,
}

/// The association of one column pair in both tables.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelationPair {
    /// The two columns.
    pub columns: [String; 2],
    /// Which statistic (depends on the columns' kinds).
    pub measure: Measure,
    /// Its value in the real table.
    pub real: f64,
    /// Its value in the synthetic table.
    pub synthetic: f64,
    /// |real − synthetic|.
    pub abs_diff: f64,
}

/// Measures how well `synthetic` preserves the statistics of `real` (see the
/// module docs). `holdout`, real records that were kept away from whatever
/// made `synthetic`, is where the classifiers are tested; without it a seeded
/// 30 % of `real` stands in, and the report says so. All three tables must
/// have the same columns (by name, any order).
pub fn evaluate(
    real: &Table,
    synthetic: &Table,
    holdout: Option<&Table>,
    settings: &Settings,
) -> Result<UtilityReport> {
    let start = Instant::now();
    if settings.bins < 2 {
        return Err(Error::invalid(format!("bins must be at least 2, not {}", settings.bins)));
    }
    if settings.max_marginals == Some(0) {
        return Err(Error::invalid("max_marginals must be at least 1 (or unset for all marginals)"));
    }
    if real.columns().is_empty() {
        return Err(Error::invalid("the real table has no columns"));
    }
    for (what, table) in [("real", Some(real)), ("synthetic", Some(synthetic)), ("hold-out", holdout)] {
        if table.is_some_and(|t| t.rows() == 0) {
            return Err(Error::invalid(format!("the {what} table has no rows")));
        }
    }
    let synthetic_index = matched_columns(real, synthetic, "synthetic")?;
    let holdout_index = holdout.map(|h| matched_columns(real, h, "hold-out")).transpose()?;
    let target = match &settings.target {
        None => None,
        Some(name) => Some(real.columns().iter().position(|c| c.name() == name).ok_or_else(|| {
            Error::invalid(format!("unknown target column '{name}'; the columns are: {}", names(real).join(", ")))
        })?),
    };

    // Cells from the real table, applied to the others, column by column.
    type ColumnCells = (Encoded, Encoded, Option<Encoded>, ColumnSummary, u32);
    let encoded: Vec<ColumnCells> = real
        .columns()
        .par_iter()
        .enumerate()
        .map(|(j, column)| {
            let mut coder = Coder::from_real(column, settings.bins);
            let r = coder.encode(column);
            let real_cells = coder.cells();
            let s = coder.encode(synthetic.column(synthetic_index[j]));
            let unseen_synthetic = coder.unseen();
            let h = holdout.zip(holdout_index.as_ref()).map(|(h, index)| coder.encode(h.column(index[j])));
            let summary =
                ColumnSummary { name: coder.name.clone(), kind: coder.kind, cells: real_cells, unseen_synthetic };
            (r, s, h, summary, coder.cells())
        })
        .collect();
    let mut real_enc = EncodedTable { columns: Vec::new(), rows: real.rows() };
    let mut synthetic_enc = EncodedTable { columns: Vec::new(), rows: synthetic.rows() };
    let mut holdout_enc = holdout.map(|h| EncodedTable { columns: Vec::new(), rows: h.rows() });
    let (mut columns, mut cells) = (Vec::new(), Vec::new());
    for (r, s, h, summary, n) in encoded {
        real_enc.columns.push(r);
        synthetic_enc.columns.push(s);
        if let (Some(table), Some(h)) = (holdout_enc.as_mut(), h) {
            table.columns.push(h);
        }
        columns.push(summary);
        cells.push(n);
    }
    let d = columns.len();

    let ((marginals, correlation), classification) = rayon::join(
        || {
            let marginals: Vec<(MarginalSummary, Vec<Vec<usize>>)> = (1..=3)
                .map(|k| {
                    let cap = if k == 1 { None } else { settings.max_marginals };
                    let (combos, total) = marginals::combinations(d, k, cap, settings.seed.wrapping_add(k as u64));
                    let tvds: Vec<f64> =
                        combos.par_iter().map(|c| marginals::tvd(&real_enc, &synthetic_enc, &cells, c)).collect();
                    (summarize(k, total, &combos, &tvds, &columns), combos)
                })
                .collect();
            let correlation = correlations(&real_enc, &synthetic_enc, &cells, &marginals[1].1, &columns);
            (marginals.into_iter().map(|(m, _)| m).collect::<Vec<_>>(), correlation)
        },
        || {
            target.map(|t| {
                classify::tstr(&real_enc, &synthetic_enc, holdout_enc.as_ref(), t, &columns[t].name, settings.seed)
            })
        },
    );
    let classification = classification.transpose()?;

    let mut notes = Vec::new();
    for m in marginals.iter().filter(|m| m.sampled) {
        notes.push(format!(
            "{} of {} {}-way marginals were evaluated (seeded sample, max_marginals)",
            m.evaluated, m.total, m.k
        ));
    }
    if marginals[1].sampled {
        notes.push("correlations cover the sampled 2-way pairs only".to_string());
    }
    let invented: Vec<&str> = columns.iter().filter(|c| c.unseen_synthetic > 0).map(|c| c.name.as_str()).collect();
    if !invented.is_empty() {
        notes.push(format!("the synthetic table has values the real table lacks in: {}", invented.join(", ")));
    }
    if let Some(c) = &classification {
        if c.test_set == TestSet::RealSplit {
            notes.push(
                "no hold-out given: classifiers were tested on a 30 % split of the real table, which the \
                 synthesizer probably saw; synthetic-on-real accuracy is optimistic"
                    .to_string(),
            );
        }
        let real_available = match c.test_set {
            TestSet::Holdout => real.rows(),
            TestSet::RealSplit => real.rows() - c.test_rows,
        };
        if c.train_rows_real < real_available || c.train_rows_synthetic < synthetic.rows() {
            notes.push(format!(
                "classifier training sets were subsampled to at most {} records",
                classify::MAX_TRAIN_ROWS
            ));
        }
    }
    let k_marginal_score = marginals[1].mean_tvd.map(|t| 1000.0 * (1.0 - t));
    Ok(UtilityReport {
        rows_real: real.rows(),
        rows_synthetic: synthetic.rows(),
        rows_holdout: holdout.map(Table::rows),
        columns,
        tvd_1way: marginals[0].mean_tvd.unwrap_or(0.0),
        tvd_2way: marginals[1].mean_tvd,
        tvd_3way: marginals[2].mean_tvd,
        marginals,
        k_marginal_score,
        correlation,
        classification,
        notes,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn names(table: &Table) -> Vec<&str> {
    table.columns().iter().map(|c| c.name()).collect()
}

/// For each real column, its index in `other`; an error naming every column
/// missing from `other` and every one it has in excess.
fn matched_columns(real: &Table, other: &Table, what: &str) -> Result<Vec<usize>> {
    let index: FxHashMap<&str, usize> = other.columns().iter().enumerate().map(|(i, c)| (c.name(), i)).collect();
    let missing: Vec<&str> = names(real).into_iter().filter(|n| !index.contains_key(n)).collect();
    let real_names: Vec<&str> = names(real);
    let extra: Vec<&str> = names(other).into_iter().filter(|n| !real_names.contains(n)).collect();
    if !missing.is_empty() || !extra.is_empty() {
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!("lacks the real table's column(s) {}", missing.join(", ")));
        }
        if !extra.is_empty() {
            problems.push(format!("has column(s) the real table lacks: {}", extra.join(", ")));
        }
        return Err(Error::invalid(format!("the {what} table {}", problems.join("; and "))));
    }
    Ok(names(real).into_iter().map(|n| index[n]).collect())
}

fn summarize(k: usize, total: u128, combos: &[Vec<usize>], tvds: &[f64], columns: &[ColumnSummary]) -> MarginalSummary {
    let n = tvds.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| tvds[b].total_cmp(&tvds[a]).then(a.cmp(&b)));
    MarginalSummary {
        k,
        total: u64::try_from(total).unwrap_or(u64::MAX),
        evaluated: n,
        sampled: (n as u128) < total,
        mean_tvd: (n > 0).then(|| tvds.iter().sum::<f64>() / n as f64),
        max_tvd: tvds.iter().copied().max_by(f64::total_cmp),
        worst: order
            .into_iter()
            .take(WORST)
            .map(|i| MarginalTvd {
                columns: combos[i].iter().map(|&j| columns[j].name.clone()).collect(),
                tvd: tvds[i],
            })
            .collect(),
    }
}

fn correlations(
    real: &EncodedTable,
    synthetic: &EncodedTable,
    cells: &[u32],
    pairs: &[Vec<usize>],
    columns: &[ColumnSummary],
) -> CorrelationSummary {
    let mut pairs: Vec<CorrelationPair> = pairs
        .par_iter()
        .map(|p| {
            let (a, b) = (p[0], p[1]);
            let (measure, r) = correlation::association(&real.columns[a], cells[a], &real.columns[b], cells[b]);
            let (_, s) = correlation::association(&synthetic.columns[a], cells[a], &synthetic.columns[b], cells[b]);
            CorrelationPair {
                columns: [columns[a].name.clone(), columns[b].name.clone()],
                measure,
                real: r,
                synthetic: s,
                abs_diff: (r - s).abs(),
            }
        })
        .collect();
    pairs.sort_by(|x, y| y.abs_diff.total_cmp(&x.abs_diff));
    let n = pairs.len();
    CorrelationSummary {
        mean_abs_diff: (n > 0).then(|| pairs.iter().map(|p| p.abs_diff).sum::<f64>() / n as f64),
        max_abs_diff: pairs.first().map(|p| p.abs_diff),
        pairs,
    }
}
