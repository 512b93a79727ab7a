//! Microaggregation by MDAV (maximum distance to average vector).
//!
//! # Definition
//! On the standardized numeric quasi-identifiers: while at least 3k records
//! remain, take the record r farthest from the centroid and the record s
//! farthest from r, and form a group of each with its k − 1 nearest remaining
//! neighbours; with 2k..3k − 1 left, one more group around the record farthest
//! from the centroid and the rest as the last group; fewer, one group. Every
//! record's quasi-identifiers are replaced by its group's mean, so every group
//! is a class of at least k identical records. Information loss is SSE / SST
//! on the standardized values.
//!
//! # Citations
//! J. Domingo-Ferrer, V. Torra, "Ordinal, continuous and heterogeneous
//! k-anonymity through microaggregation", Data Mining and Knowledge
//! Discovery 11, 2005.

/// The outcome of MDAV.
#[derive(Debug)]
pub struct Microaggregation {
    /// Record indices of each group.
    pub groups: Vec<Vec<u32>>,
    /// Per group, the mean of each attribute (original units).
    pub means: Vec<Vec<f64>>,
    /// Within-group sum of squares over total sum of squares, on standardized values (0..1).
    pub information_loss: f64,
}

/// Runs MDAV on `columns[attribute][record]` values with groups of at least `k`.
/// Callers ensure `k ≥ 1` and at least `k` records.
pub fn mdav(columns: &[Vec<f64>], k: usize) -> Microaggregation {
    let n = columns.first().map_or(0, Vec::len);
    let dims = columns.len();
    // Standardize so each attribute weighs alike (a constant attribute contributes nothing).
    let standardized: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| {
            let mean = c.iter().sum::<f64>() / n as f64;
            let sd = (c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            c.iter().map(|v| if sd > 0.0 { (v - mean) / sd } else { 0.0 }).collect()
        })
        .collect();
    let point = |r: usize| -> Vec<f64> { standardized.iter().map(|c| c[r]).collect() };
    let distance = |r: usize, p: &[f64]| -> f64 { standardized.iter().zip(p).map(|(c, x)| (c[r] - x).powi(2)).sum() };
    let centroid = |rows: &[usize]| -> Vec<f64> {
        (0..dims).map(|d| rows.iter().map(|&r| standardized[d][r]).sum::<f64>() / rows.len() as f64).collect()
    };
    let farthest = |rows: &[usize], p: &[f64]| -> usize {
        *rows.iter().max_by(|&&a, &&b| distance(a, p).total_cmp(&distance(b, p)).then(b.cmp(&a))).expect("rows remain")
    };
    // Takes `seed` and its k − 1 nearest remaining records out of `remaining`.
    let take_group = |remaining: &mut Vec<usize>, seed: usize| -> Vec<usize> {
        let p = point(seed);
        remaining.sort_by(|&a, &b| distance(a, &p).total_cmp(&distance(b, &p)).then(a.cmp(&b)));
        remaining.drain(..k).collect()
    };
    let mut remaining: Vec<usize> = (0..n).collect();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    while remaining.len() >= 3 * k {
        let r = farthest(&remaining, &centroid(&remaining));
        let s = farthest(&remaining, &point(r));
        groups.push(take_group(&mut remaining, r));
        groups.push(take_group(&mut remaining, s));
    }
    if remaining.len() >= 2 * k {
        let r = farthest(&remaining, &centroid(&remaining));
        groups.push(take_group(&mut remaining, r));
    }
    if !remaining.is_empty() {
        groups.push(std::mem::take(&mut remaining));
    }
    let total: f64 = standardized.iter().map(|c| c.iter().map(|v| v * v).sum::<f64>()).sum();
    let within: f64 = groups
        .iter()
        .map(|g| {
            let m = centroid(g);
            g.iter().map(|&r| distance(r, &m)).sum::<f64>()
        })
        .sum();
    let means = groups
        .iter()
        .map(|g| columns.iter().map(|c| g.iter().map(|&r| c[r]).sum::<f64>() / g.len() as f64).collect())
        .collect();
    Microaggregation {
        groups: groups.into_iter().map(|g| g.into_iter().map(|r| r as u32).collect()).collect(),
        means,
        information_loss: if total > 0.0 { within / total } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Every record in exactly one group, every group ≥ k (and < 2k except the
        /// last, as MDAV builds them), means inside the group's range, loss in [0, 1].
        #[test]
        fn groups_cover_everything_with_at_least_k(
            values in proptest::collection::vec((0.0f64..100.0, -5.0f64..5.0), 1..200),
            k in 1usize..8,
        ) {
            prop_assume!(values.len() >= k);
            let columns = vec![values.iter().map(|v| v.0).collect::<Vec<_>>(), values.iter().map(|v| v.1).collect()];
            let m = mdav(&columns, k);
            let mut seen = vec![false; values.len()];
            for (g, mean) in m.groups.iter().zip(&m.means) {
                prop_assert!(g.len() >= k);
                for &r in g {
                    prop_assert!(!seen[r as usize]);
                    seen[r as usize] = true;
                }
                for (d, &mu) in mean.iter().enumerate() {
                    let (lo, hi) = g.iter().map(|&r| columns[d][r as usize]).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
                    prop_assert!(lo - 1e-9 <= mu && mu <= hi + 1e-9);
                }
            }
            prop_assert!(seen.iter().all(|&s| s));
            let big = m.groups.iter().filter(|g| g.len() >= 2 * k).count();
            prop_assert!(big <= 1, "only the last group may reach 2k");
            prop_assert!((0.0..=1.0 + 1e-12).contains(&m.information_loss));
        }
    }

    #[test]
    fn separated_clusters_cost_nothing() {
        // Two tight clusters of three points: groups of 3 reproduce them exactly.
        let xs = vec![0.0, 0.0, 0.0, 10.0, 10.0, 10.0];
        let m = mdav(&[xs], 3);
        assert_eq!(m.groups.len(), 2);
        assert!(m.information_loss.abs() < 1e-12);
    }
}
