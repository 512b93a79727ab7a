//! Checking one transformation: which classes fail, how many records that
//! suppresses, and whether the transformation is anonymous.

use crate::classes::ClassTable;
use crate::key::{KeyLayout, PackedKey};
use crate::metrics::NodeSummary;
use crate::models::Criterion;

/// The outcome of checking one node.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Suppressed records are within the limit.
    pub anonymous: bool,
    /// Records in classes below the minimal class size are within the limit
    /// (ARX's "k-anonymous" sub-property, monotonic even where the models are not).
    pub k_anonymous: bool,
    /// Statistics for the metric (complete only when `anonymous`).
    pub summary: NodeSummary,
}

/// Checks class tables against the prepared privacy models.
#[derive(Debug, Clone)]
pub struct Checker {
    criteria: Vec<Criterion>,
    /// The criteria beyond the minimal class size (k-anonymity needs no per-class check).
    class_checks: Vec<Criterion>,
    min_class_size: u64,
    max_outliers: u64,
    rows: u64,
    outliers_by_value: bool,
}

impl Checker {
    /// A checker for `rows` records, suppressing at most `max_outliers`.
    pub fn new(criteria: Vec<Criterion>, max_outliers: u64, rows: u64, outliers_by_value: bool) -> Self {
        let min_class_size = criteria.iter().map(Criterion::minimal_class_size).max().unwrap_or(1).max(1);
        let class_checks = criteria.iter().filter(|c| !matches!(c, Criterion::KAnonymity(_))).cloned().collect();
        Checker { criteria, class_checks, min_class_size, max_outliers, rows, outliers_by_value }
    }

    /// The largest number of records that may be suppressed.
    pub fn max_outliers(&self) -> u64 {
        self.max_outliers
    }

    /// ARX's minimal class size (max of k and ⌈l⌉).
    pub fn min_class_size(&self) -> u64 {
        self.min_class_size
    }

    /// The prepared criteria.
    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    /// True when the combined models keep failing-record sets shrinking under
    /// generalization for this suppression setting (ARX's FULL monotonicity).
    pub fn is_monotonic(&self) -> bool {
        self.max_outliers == 0 || self.criteria.iter().all(Criterion::monotonic_with_suppression)
    }

    /// Marks failing classes in `suppressed` (one flag per class) and returns the node's outcome.
    pub fn check<K: PackedKey>(
        &self,
        table: &ClassTable<K>,
        layout: &KeyLayout,
        suppressed: &mut Vec<bool>,
    ) -> Checked {
        let counts = table.counts();
        suppressed.clear();
        suppressed.resize(counts.len(), false);
        let mut outliers = 0u64;
        for (c, &n) in counts.iter().enumerate() {
            if n < self.min_class_size {
                suppressed[c] = true;
                outliers += n;
            }
        }
        let k_anonymous = outliers <= self.max_outliers;
        let mut anonymous = k_anonymous;
        if anonymous {
            'classes: for (c, &n) in counts.iter().enumerate() {
                if suppressed[c] {
                    continue;
                }
                for criterion in &self.class_checks {
                    let histogram = criterion.sensitive().map(|j| table.histograms(j).class(c));
                    if !criterion.passes(n, histogram) {
                        suppressed[c] = true;
                        outliers += n;
                        if outliers > self.max_outliers {
                            anonymous = false;
                            break 'classes;
                        }
                        break;
                    }
                }
            }
        }
        let summary =
            if anonymous { self.summarize(table, layout, suppressed, outliers) } else { NodeSummary::default() };
        Checked { anonymous, k_anonymous, summary }
    }

    fn summarize<K: PackedKey>(
        &self,
        table: &ClassTable<K>,
        layout: &KeyLayout,
        suppressed: &[bool],
        outliers: u64,
    ) -> NodeSummary {
        let mut s = NodeSummary { rows: self.rows, outliers, classes: table.len() as u64, ..NodeSummary::default() };
        // Suppressed records per generalized value, counted densely per attribute.
        let mut by_value: Vec<Vec<u64>> = if self.outliers_by_value && outliers > 0 {
            (0..layout.dimensions()).map(|d| vec![0; layout.mask(d) as usize + 1]).collect()
        } else {
            Vec::new()
        };
        for (c, &n) in table.counts().iter().enumerate() {
            let sq = n as u128 * n as u128;
            s.squares_all += sq;
            if suppressed[c] {
                for (d, values) in by_value.iter_mut().enumerate() {
                    values[layout.get(table.keys()[c], d) as usize] += n;
                }
            } else {
                s.kept_classes += 1;
                s.squares_kept += sq;
                s.min_class_size = Some(s.min_class_size.map_or(n, |m| m.min(n)));
            }
        }
        if self.outliers_by_value {
            s.outliers_by_value = (0..layout.dimensions())
                .map(|d| {
                    by_value.get(d).map_or_else(Vec::new, |values| {
                        values.iter().enumerate().filter(|&(_, &n)| n > 0).map(|(g, &n)| (g as u32, n)).collect()
                    })
                })
                .collect();
        }
        s
    }
}
