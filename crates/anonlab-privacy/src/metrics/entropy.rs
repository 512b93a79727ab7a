//! ARX's precomputed non-uniform entropy (`createPrecomputedEntropyMetric(0.1, monotonic)`).
//!
//! # Definition
//! Per quasi-identifier d at level L, with a(v) the records holding original value
//! v and b(g) the records whose value generalizes to g (over the whole input):
//! loss_d = Σ_v a(v) · log2(b(g(v)) / a(v)), floored to 10 decimals; summed over d.
//! The monotonic variant ignores suppression. The non-monotonic one adds, per d,
//! Σ_g c_g · log2(S / c_g) over the S suppressed records, c_g of them showing g.
//!
//! # Citations
//! A. Gionis, T. Tassa, "k-anonymization with minimal loss of information", 2009;
//! ARX 3.9.2 (MetricMDNUEntropyPrecomputed, MetricMDNUNMEntropyPrecomputed).

use anonlab_table::hierarchy::Generalization;

use super::{Loss, NodeSummary, floor_10};

/// `Math.log(x) / Math.log(2)`, as ARX computes log2.
fn log2(x: f64) -> f64 {
    x.ln() / std::f64::consts::LN_2
}

/// Prepared entropy metric.
#[derive(Debug, Clone)]
pub struct Entropy {
    monotonic: bool,
    /// Per QI and level: Σ_v a(v) · log2(a(v) / b(g(v))) (≤ 0), before sign and rounding.
    raw: Vec<Vec<f64>>,
}

impl Entropy {
    pub(super) fn new(hierarchies: &[&Generalization], frequencies: &[Vec<u64>], monotonic: bool) -> Self {
        let raw = hierarchies
            .iter()
            .zip(frequencies)
            .map(|(h, a)| {
                h.levels()
                    .iter()
                    .map(|level| {
                        let mut b = vec![0u64; level.labels().len()];
                        for (&f, &g) in a.iter().zip(level.of_value()) {
                            b[g as usize] += f;
                        }
                        a.iter()
                            .zip(level.of_value())
                            .filter(|&(&f, _)| f != 0)
                            .map(|(&f, &g)| f as f64 * log2(f as f64 / b[g as usize] as f64))
                            .sum()
                    })
                    .collect()
            })
            .collect();
        Entropy { monotonic, raw }
    }

    /// True for the monotonic variant.
    pub fn monotonic(&self) -> bool {
        self.monotonic
    }

    fn finish(per_attribute_raw: impl Iterator<Item = f64>) -> Loss {
        let per_attribute: Vec<f64> = per_attribute_raw.map(|r| floor_10(if r == 0.0 { r } else { -r })).collect();
        Loss { value: per_attribute.iter().sum(), per_attribute }
    }

    /// Value when nothing is suppressed (the monotonic variant's value always).
    pub fn value_without_outliers(&self, levels: &[u8]) -> Loss {
        Self::finish(levels.iter().enumerate().map(|(d, &l)| self.raw[d][l as usize]))
    }

    /// The monotonic entropy, a lower bound for both variants.
    pub fn bound(&self, levels: &[u8]) -> f64 {
        self.value_without_outliers(levels).value
    }

    /// Exact value for a checked node.
    pub fn value(&self, levels: &[u8], summary: &NodeSummary) -> Loss {
        if self.monotonic || summary.outliers == 0 {
            return self.value_without_outliers(levels);
        }
        let s = summary.outliers as f64;
        Self::finish(levels.iter().enumerate().map(|(d, &l)| {
            let suppressed: f64 =
                summary.outliers_by_value[d].iter().map(|&(_, c)| c as f64 * log2(c as f64 / s)).sum();
            self.raw[d][l as usize] + suppressed
        }))
    }
}
