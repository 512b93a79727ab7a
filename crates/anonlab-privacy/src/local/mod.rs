//! Local recoding: each equivalence class is generalized on its own, so a
//! release keeps far more detail than one global transformation allows.

mod iterative;
mod mdav;
mod mondrian;

pub use iterative::{ITERATIVE_GS_FACTOR, RecodingStep};
pub use mdav::{Microaggregation, mdav};
pub use mondrian::{Dimension, Mondrian, MondrianResult, Partition};

use anonlab_table::Table;

use crate::check::Checker;
use crate::classes::Histogram;

/// True when the records `rows` of `table`, taken as one class, satisfy every
/// model of `checker` (its criteria's sensitive attribute j is column
/// `sensitive_columns[j]`). Local recodings form classes from arbitrary row
/// sets, so they check them here rather than through a class table.
pub(crate) fn class_acceptable(checker: &Checker, table: &Table, sensitive_columns: &[usize], rows: &[u32]) -> bool {
    let n = rows.len() as u64;
    if n < checker.min_class_size() {
        return false;
    }
    checker.criteria().iter().all(|criterion| {
        let histogram = criterion.sensitive().map(|j| {
            let codes = table.column(sensitive_columns[j]).codes();
            let mut sorted: Vec<u32> = rows.iter().map(|&r| codes[r as usize]).collect();
            sorted.sort_unstable();
            let mut values: Vec<u32> = Vec::new();
            let mut counts: Vec<u64> = Vec::new();
            for c in sorted {
                if values.last() == Some(&c) {
                    *counts.last_mut().expect("counts follow values") += 1;
                } else {
                    values.push(c);
                    counts.push(1);
                }
            }
            (values, counts)
        });
        criterion.passes(n, histogram.as_ref().map(|(codes, counts)| Histogram { codes, counts }))
    })
}
