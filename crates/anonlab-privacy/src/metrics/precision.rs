//! Precision (ARX's `createPrecisionMetric()`, MetricMDNMPrecision).
//!
//! # Definition
//! Per quasi-identifier d with hierarchy height h_d (levels − 1) at level t_d:
//! v_d = (U · t_d / h_d + S) / N, U kept and S suppressed records; aggregated
//! as the arithmetic mean Σ v_d / n.
//!
//! # Citations
//! L. Sweeney, "Achieving k-anonymity privacy protection using generalization and suppression", 2002.

use anonlab_table::hierarchy::Generalization;

use super::{Loss, NodeSummary};

/// Prepared precision metric.
#[derive(Debug, Clone)]
pub struct Precision {
    heights: Vec<usize>,
}

impl Precision {
    pub(super) fn new(hierarchies: &[&Generalization]) -> Self {
        Precision { heights: hierarchies.iter().map(|h| h.max_level()).collect() }
    }

    fn relative(&self, d: usize, level: u8) -> f64 {
        if self.heights[d] == 0 { 0.0 } else { level as f64 / self.heights[d] as f64 }
    }

    fn aggregate(per_attribute: Vec<f64>) -> Loss {
        let n = per_attribute.len() as f64;
        Loss { value: per_attribute.iter().map(|v| v / n).sum(), per_attribute }
    }

    /// Value when nothing is suppressed; a lower bound otherwise.
    pub fn value_without_outliers(&self, levels: &[u8]) -> Loss {
        Self::aggregate(levels.iter().enumerate().map(|(d, &l)| self.relative(d, l)).collect())
    }

    /// See [`Precision::value_without_outliers`].
    pub fn bound(&self, levels: &[u8]) -> f64 {
        self.value_without_outliers(levels).value
    }

    /// Exact value for a checked node.
    pub fn value(&self, levels: &[u8], s: &NodeSummary) -> Loss {
        let (n, supp) = (s.rows as f64, s.outliers as f64);
        let kept = n - supp;
        Self::aggregate(levels.iter().enumerate().map(|(d, &l)| (kept * self.relative(d, l) + supp) / n).collect())
    }
}
