//! ARX's Loss metric (`Metric.createLossMetric()`, class MetricMDNMLoss).
//!
//! # Definition
//! Per quasi-identifier d at level L, raw_d sums g · |c| · share(value_c) over
//! kept classes and |c| · share + s · (|c| − |c| · share) over suppressed classes,
//! where share(g) = (hierarchy rows under g) / (hierarchy rows) and the
//! generalization/suppression factor gs ∈ [0, 1] sets g = 1 (gs ≤ 0.5) else
//! 1 − 2(gs − 0.5), and s = 2 gs (gs < 0.5) else 1. ARX's default gs = 0.5 makes
//! g = s = 1: a suppressed record counts as fully generalized; gs = 0 makes
//! suppression cost no more than the generalization it replaces. Normalized,
//! v_d = (raw_d − g·N/rows_d) / (N − g·N/rows_d), clamped at 0 and floored to 10
//! decimals. Aggregate: Π (v_d + 1)^(1/n) − 1 (geometric mean, shifted by 1).
//!
//! # Citations
//! V. Iyengar, "Transforming data to satisfy privacy constraints", KDD 2002; ARX 3.9.2.

use anonlab_table::hierarchy::Generalization;

use super::{Loss as Value, NodeSummary, floor_10};

/// Prepared Loss metric.
#[derive(Debug, Clone)]
pub struct Loss {
    rows: u64,
    gs_factor: f64,
    /// ARX's generalization factor (weight of a kept record's share).
    g_factor: f64,
    /// ARX's suppression factor (weight of the part of a suppressed record not already generalized).
    s_factor: f64,
    /// Per QI: hierarchy rows (ARX's domain size).
    domain: Vec<u64>,
    /// Per QI and level: hierarchy rows under each label.
    leaves: Vec<Vec<Vec<u64>>>,
    /// Per QI and level: Σ over records of hierarchy rows under its label.
    all_records: Vec<Vec<u128>>,
    /// Per QI and level: the normalized value when nothing is suppressed, and
    /// its factor (v + 1)^(1/n) in the geometric mean, so a bound is n lookups.
    unsuppressed: Vec<Vec<(f64, f64)>>,
}

impl Loss {
    /// `gs_factor` in [0, 1] (the caller validates it; ARX's default is 0.5).
    pub(super) fn new(hierarchies: &[&Generalization], frequencies: &[Vec<u64>], rows: u64, gs_factor: f64) -> Self {
        let leaves: Vec<Vec<Vec<u64>>> =
            hierarchies.iter().map(|h| h.levels().iter().map(|l| l.leaves().to_vec()).collect()).collect();
        let all_records = hierarchies
            .iter()
            .zip(frequencies)
            .map(|(h, freq)| {
                h.levels()
                    .iter()
                    .map(|level| {
                        freq.iter()
                            .zip(level.of_value())
                            .map(|(&f, &g)| f as u128 * level.leaves()[g as usize] as u128)
                            .sum()
                    })
                    .collect()
            })
            .collect();
        let mut loss = Loss {
            rows,
            gs_factor,
            g_factor: if gs_factor <= 0.5 { 1.0 } else { 1.0 - 2.0 * (gs_factor - 0.5) },
            s_factor: if gs_factor < 0.5 { 2.0 * gs_factor } else { 1.0 },
            domain: hierarchies.iter().map(|h| h.domain_size()).collect(),
            leaves,
            all_records,
            unsuppressed: Vec::new(),
        };
        let n = hierarchies.len() as f64;
        loss.unsuppressed = (0..hierarchies.len())
            .map(|d| {
                (0..loss.all_records[d].len())
                    .map(|l| {
                        let all = loss.all_records[d][l] as f64 / loss.domain[d] as f64;
                        let v = loss.normalize(loss.g_factor * all, d);
                        (v, (v + 1.0).powf(1.0 / n))
                    })
                    .collect()
            })
            .collect();
        loss
    }

    fn normalize(&self, raw: f64, d: usize) -> f64 {
        let n = self.rows as f64;
        let min = self.g_factor * n / self.domain[d] as f64;
        let v = (raw - min) / (n - min);
        floor_10(if v >= 0.0 { v } else { 0.0 })
    }

    fn aggregate(per_attribute: Vec<f64>) -> Value {
        let n = per_attribute.len() as f64;
        let product = per_attribute.iter().fold(1.0, |acc, v| acc * (v + 1.0).powf(1.0 / n));
        Value { value: product - 1.0, per_attribute }
    }

    /// The generalization/suppression factor the metric was prepared with.
    pub fn gs_factor(&self) -> f64 {
        self.gs_factor
    }

    /// The raw cost of `outliers` suppressed records whose generalized values
    /// hold `shares` hierarchy rows in all (ARX: share + s · (count − share)).
    fn suppressed(&self, shares: u128, outliers: u64, d: usize) -> f64 {
        if self.s_factor == 1.0 {
            outliers as f64
        } else {
            let share = shares as f64 / self.domain[d] as f64;
            share + self.s_factor * (outliers as f64 - share)
        }
    }

    /// Value as if no record were suppressed; a lower bound otherwise.
    pub fn value_without_outliers(&self, levels: &[u8]) -> Value {
        let per_attribute = levels.iter().enumerate().map(|(d, &l)| self.unsuppressed[d][l as usize].0).collect();
        Value { value: self.bound(levels), per_attribute }
    }

    /// See [`Loss::value_without_outliers`]; the same product as [`Loss::aggregate`]
    /// from precomputed factors, so the two agree to the last bit.
    pub fn bound(&self, levels: &[u8]) -> f64 {
        levels.iter().enumerate().fold(1.0, |acc, (d, &l)| acc * self.unsuppressed[d][l as usize].1) - 1.0
    }

    /// Exact value of a release whose records carry different transformations
    /// (iterative local recoding): `shares[d]` sums, over the records kept, the
    /// hierarchy rows under each record's label on quasi-identifier d, and the
    /// `outliers` suppressed records count as fully generalized — the same
    /// definition as [`Loss::value`], which is the case of a single transformation.
    pub fn value_of_recoding(&self, shares: &[u128], outliers: u64) -> Value {
        Self::aggregate(
            shares
                .iter()
                .enumerate()
                .map(|(d, &kept)| {
                    self.normalize(self.g_factor * kept as f64 / self.domain[d] as f64 + outliers as f64, d)
                })
                .collect(),
        )
    }

    /// ARX's loss of a single class (`MetricMDNMLoss.getInformationLossInternal`
    /// for one entry): per quasi-identifier count · share of its label, not
    /// normalized, aggregated by the shifted geometric mean.
    pub fn class_value(&self, levels: &[u8], label: impl Fn(usize) -> u32, count: u64) -> f64 {
        let n = levels.len() as f64;
        levels.iter().enumerate().fold(1.0, |acc, (d, &l)| {
            let share = self.leaves[d][l as usize][label(d) as usize] as f64 / self.domain[d] as f64;
            acc * (count as f64 * share + 1.0).powf(1.0 / n)
        }) - 1.0
    }

    /// Exact value for a checked node.
    pub fn value(&self, levels: &[u8], summary: &NodeSummary) -> Value {
        Self::aggregate(
            levels
                .iter()
                .enumerate()
                .map(|(d, &l)| {
                    let leaves = &self.leaves[d][l as usize];
                    let suppressed_shares: u128 = summary
                        .outliers_by_value
                        .get(d)
                        .map_or(0, |v| v.iter().map(|&(g, n)| n as u128 * leaves[g as usize] as u128).sum());
                    let kept = (self.all_records[d][l as usize] - suppressed_shares) as f64 / self.domain[d] as f64;
                    self.normalize(self.g_factor * kept + self.suppressed(suppressed_shares, summary.outliers, d), d)
                })
                .collect(),
        )
    }
}
