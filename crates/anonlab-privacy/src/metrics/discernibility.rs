//! Discernibility (ARX's MetricSDDiscernability / MetricSDNMDiscernability).
//!
//! # Definition
//! DM* (monotonic): Σ |c|² over all classes, suppression ignored.
//! DM (non-monotonic): Σ |c|² over kept classes + |table| · |c| per suppressed class.
//!
//! # Citations
//! R. Bayardo, R. Agrawal, "Data privacy through optimal k-anonymization", ICDE 2005.

use super::{Loss, NodeSummary};

/// Prepared discernibility metric.
#[derive(Debug, Clone)]
pub struct Discernibility {
    monotonic: bool,
}

impl Discernibility {
    pub(super) fn new(monotonic: bool) -> Self {
        Discernibility { monotonic }
    }

    /// True for DM*.
    pub fn monotonic(&self) -> bool {
        self.monotonic
    }

    /// Exact value for a checked node.
    pub fn value(&self, s: &NodeSummary) -> Loss {
        let value = if self.monotonic {
            s.squares_all as f64
        } else {
            s.squares_kept as f64 + s.rows as f64 * s.outliers as f64
        };
        Loss { value, per_attribute: Vec::new() }
    }
}
