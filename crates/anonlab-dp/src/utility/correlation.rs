//! Pairwise association, measured alike in the real and the synthetic table.

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::encode::Encoded;

/// Which statistic measured a pair, chosen by the two columns' kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// Two numeric (or date) columns: Pearson's r, in [−1, 1], on the rows
    /// where both have a number.
    Pearson,
    /// Two categorical columns: Cramér's V with Bergsma's bias correction, in
    /// [0, 1]; plain V overstates association in small tables with many
    /// categories, which would flatter a synthesizer that adds noise.
    CramersV,
    /// A numeric and a categorical column: the correlation ratio η, in [0, 1],
    /// how much of the number's variance the category explains.
    CorrelationRatio,
}

/// The association of columns `a` and `b` of one table, and the measure used.
/// An undefined association (a constant column, no rows with both values) is
/// 0: nothing can be read from the pair.
pub(crate) fn association(a: &Encoded, a_cells: u32, b: &Encoded, b_cells: u32) -> (Measure, f64) {
    let value = match (&a.values, &b.values) {
        (Some(x), Some(y)) => return (Measure::Pearson, pearson(x, y)),
        (None, None) => return (Measure::CramersV, cramers_v(&a.cells, a_cells, &b.cells, b_cells)),
        (Some(x), None) => correlation_ratio(&b.cells, b_cells, x),
        (None, Some(y)) => correlation_ratio(&a.cells, a_cells, y),
    };
    (Measure::CorrelationRatio, value)
}

fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let pairs = || x.iter().zip(y).filter(|(a, b)| !a.is_nan() && !b.is_nan());
    let n = pairs().count() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = pairs().fold((0.0, 0.0), |(sx, sy), (a, b)| (sx + a, sy + b));
    let (mx, my) = (mx / n, my / n);
    let (sxy, sxx, syy) = pairs().fold((0.0, 0.0, 0.0), |(sxy, sxx, syy), (a, b)| {
        let (da, db) = (a - mx, b - my);
        (sxy + da * db, sxx + da * da, syy + db * db)
    });
    if sxx <= 0.0 || syy <= 0.0 {
        return 0.0;
    }
    finite_or_zero(sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0)
}

/// Bias-corrected Cramér's V (Bergsma 2013, J. Korean Stat. Soc. 42:323).
fn cramers_v(a: &[u32], a_cells: u32, b: &[u32], b_cells: u32) -> f64 {
    let n = a.len();
    if n < 2 {
        return 0.0;
    }
    let mut row = vec![0u64; a_cells as usize];
    let mut col = vec![0u64; b_cells as usize];
    for (&x, &y) in a.iter().zip(b) {
        row[x as usize] += 1;
        col[y as usize] += 1;
    }
    // χ² = n·(Σ n_ij² / (n_i· n_·j) − 1) needs only the non-empty cells.
    let mut joint: FxHashMap<u64, u64> = FxHashMap::default();
    for (&x, &y) in a.iter().zip(b) {
        *joint.entry(u64::from(x) << 32 | u64::from(y)).or_default() += 1;
    }
    let sum: f64 = joint
        .iter()
        .map(|(&key, &nij)| {
            let (x, y) = ((key >> 32) as usize, (key & 0xffff_ffff) as usize);
            (nij as f64).powi(2) / (row[x] as f64 * col[y] as f64)
        })
        .sum();
    let nf = n as f64;
    let phi2 = (sum - 1.0).max(0.0);
    let r = row.iter().filter(|&&c| c > 0).count() as f64;
    let k = col.iter().filter(|&&c| c > 0).count() as f64;
    let phi2c = (phi2 - (k - 1.0) * (r - 1.0) / (nf - 1.0)).max(0.0);
    let rc = r - (r - 1.0).powi(2) / (nf - 1.0);
    let kc = k - (k - 1.0).powi(2) / (nf - 1.0);
    let denominator = (kc - 1.0).min(rc - 1.0);
    if denominator <= 0.0 {
        return 0.0;
    }
    finite_or_zero((phi2c / denominator).sqrt()).min(1.0)
}

/// η = √(between-category variance / total variance) of `y` grouped by `cells`.
fn correlation_ratio(cells: &[u32], n_cells: u32, y: &[f64]) -> f64 {
    let mut count = vec![0u64; n_cells as usize];
    let mut sum = vec![0.0f64; n_cells as usize];
    let (mut n, mut total) = (0u64, 0.0);
    for (&c, &v) in cells.iter().zip(y) {
        if !v.is_nan() {
            count[c as usize] += 1;
            sum[c as usize] += v;
            n += 1;
            total += v;
        }
    }
    if n < 2 {
        return 0.0;
    }
    let mean = total / n as f64;
    let ss_total: f64 = y.iter().filter(|v| !v.is_nan()).map(|v| (v - mean).powi(2)).sum();
    if ss_total <= 0.0 {
        return 0.0;
    }
    let ss_between: f64 =
        count.iter().zip(&sum).filter(|&(&c, _)| c > 0).map(|(&c, &s)| c as f64 * (s / c as f64 - mean).powi(2)).sum();
    finite_or_zero((ss_between / ss_total).sqrt()).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_match_hand_computed_values() {
        assert!((pearson(&[1.0, 2.0, 3.0, f64::NAN], &[2.0, 4.0, 6.0, 1.0]) - 1.0).abs() < 1e-12);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), 0.0);
        // Perfectly associated categories: V = 1 even after the correction
        // (n = 100, 2×2: φ² = 1, corrected φ² = 1 − 1/99, r̃ = k̃ = 2 − 1/99).
        let a: Vec<u32> = (0..100).map(|i| i % 2).collect();
        assert!((cramers_v(&a, 2, &a, 2) - 1.0).abs() < 1e-12);
        // Independent categories: V = 0.
        let b: Vec<u32> = (0..100).map(|i| (i / 2) % 2).collect();
        assert_eq!(cramers_v(&a, 2, &b, 2), 0.0);
        // η: groups {1, 3} and {5, 7}: between 2·(2−4)² + 2·(6−4)² = 16, total 20.
        let eta = correlation_ratio(&[0, 0, 1, 1], 2, &[1.0, 3.0, 5.0, 7.0]);
        assert!((eta - (16.0f64 / 20.0).sqrt()).abs() < 1e-12);
    }
}
