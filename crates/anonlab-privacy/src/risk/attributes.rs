//! Quasi-identifier analysis: which attributes, alone and combined, make records distinguishable.

use anonlab_table::Table;
use rayon::prelude::*;
use serde::Serialize;

use super::ClassSizes;
use crate::error::Result;

/// Distinction and separation of one combination of quasi-identifiers (ARX's RiskModelAttributes).
///
/// # Definition
/// Distinction: classes / records (1 means every record is unique on these
/// attributes). Separation: the share of record pairs that differ on them,
/// 1 − Σ s(s−1)/2 / (n(n−1)/2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeRisk {
    /// The attributes, in column order.
    pub attributes: Vec<String>,
    /// classes / records.
    pub distinction: f64,
    /// Share of record pairs told apart.
    pub separation: f64,
}

/// Every combination of the columns `qis` of at most `max_size` attributes,
/// ordered as ARX orders them (size, distinction, separation, names).
pub fn attribute_risks(table: &Table, qis: &[usize], max_size: usize) -> Result<Vec<AttributeRisk>> {
    let mut sorted = qis.to_vec();
    sorted.sort_unstable();
    let q = sorted.len();
    let masks: Vec<u64> = (1u64..(1u64 << q.min(63))).filter(|m| m.count_ones() as usize <= max_size).collect();
    // Each combination is an independent grouping of every row: one per thread.
    let mut out = masks
        .into_par_iter()
        .map(|mask| {
            let subset: Vec<usize> = (0..q).filter(|i| mask >> i & 1 == 1).map(|i| sorted[i]).collect();
            let sizes = ClassSizes::of_table(table, &subset)?;
            let n = sizes.records as f64;
            let nan_to_zero = |v: f64| if v.is_nan() { 0.0 } else { v };
            // ARX's loop: pairs across classes plus pairs between classes of equal size.
            let total = (n - 1.0) * n / 2.0;
            let mut left = n;
            let mut separated = 0.0;
            for (&s, &m) in &sizes.histogram {
                let (s, m) = (s as f64, m as f64);
                left -= s * m;
                separated += m * s * left + ((m - 1.0) * m * (s * s)) / 2.0;
            }
            Ok(AttributeRisk {
                attributes: subset.iter().map(|&c| table.column(c).name().to_string()).collect(),
                distinction: nan_to_zero(sizes.classes as f64 / n),
                separation: nan_to_zero(separated / total),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| {
        a.attributes
            .len()
            .cmp(&b.attributes.len())
            .then(a.distinction.total_cmp(&b.distinction))
            .then(a.separation.total_cmp(&b.separation))
            .then_with(|| a.attributes.join(", ").cmp(&b.attributes.join(", ")))
    });
    Ok(out)
}
