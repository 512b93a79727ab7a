//! Average equivalence class size (ARX's MetricSDAECS).
//!
//! # Definition
//! |table| / (kept classes + 1 if anything is suppressed): all suppressed records
//! form one class.
//!
//! # Citations
//! K. LeFevre, D. DeWitt, R. Ramakrishnan, "Mondrian multidimensional k-anonymity", ICDE 2006.

use super::{Loss, NodeSummary};

/// The AECS metric (nothing to prepare).
#[derive(Debug, Clone)]
pub struct Aecs;

impl Aecs {
    /// Exact value for a checked node.
    pub fn value(&self, s: &NodeSummary) -> Loss {
        let classes = s.kept_classes + u64::from(s.outliers > 0);
        Loss { value: s.rows as f64 / classes.max(1) as f64, per_attribute: Vec::new() }
    }
}
