//! Private domain discovery for a plain CSV: which kind each column is, its
//! NULLs and precision (a noisy profile), the categories of text columns
//! (thresholded partition selection) and the range of numeric and date
//! columns (noisy quantiles over a data-independent grid).
//!
//! Every noisy release here goes through OpenDP: the wrappers below build
//! OpenDP measurements and return what their privacy maps charge.

use std::collections::HashMap;

use anonlab_table::Column;
use anonlab_table::datatype::DataType;
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_private_quantile;
use opendp::measures::ZeroConcentratedDivergence;
use opendp::metrics::SymmetricDistance;

use super::columns::{MAX_DECIMALS, NumberKind, decimals_of, parse_date, parse_number};
use crate::error::{Error, Result};
use crate::mechanisms::{gaussian_counts, gaussian_scale, gaussian_threshold};

/// Edges of data-independent cells for locating a column: zero and ±10^k,
/// k = −3…11. Decades are coarse, so even a thin, spread-out column (costs,
/// lab values) puts enough rows in some cell to stand out of the noise.
pub(crate) fn decade_edges() -> Vec<f64> {
    let positive: Vec<f64> = (-3..=11).map(|k| 10f64.powi(k)).collect();
    let mut edges: Vec<f64> = positive.iter().rev().map(|x| -x).collect();
    edges.push(0.0);
    edges.extend(positive);
    edges
}

/// Edges of finer data-independent cells: zero and ±s for the "nice"
/// numbers s = 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9 times 10^k, k =
/// −3…11, each about 20 % of its distance from zero: they locate a column
/// concentrated far from zero (years, day numbers of dates) that a decade
/// would only place within a factor of ten.
pub(crate) fn fine_edges() -> Vec<f64> {
    const NICE: [f64; 12] = [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
    let positive: Vec<f64> = (-3..=11).flat_map(|k| NICE.iter().map(move |m| m * 10f64.powi(k))).collect();
    let mut edges: Vec<f64> = positive.iter().rev().map(|x| -x).collect();
    edges.push(0.0);
    edges.extend(positive);
    edges
}

/// Where a noisy histogram puts a column.
struct Support {
    /// The first and last cell that clear the bar, and the noisy mass of
    /// all that do; `None` when none does.
    clear: Option<(usize, usize, f64)>,
    /// The cell with the largest noisy count.
    fullest: usize,
    /// Noise standard deviation of the noisy mass of the clear cells.
    mass_sd: f64,
    /// ρ charged.
    rho: f64,
}

/// A noisy histogram of `values` over the cells between `edges` (plus the
/// two open ends), at budget `rho`, and the cells that clear `z` σ.
fn support(values: &[f64], edges: &[f64], rho: f64, z: f64) -> Result<Support> {
    let mut counts = vec![0i64; edges.len() + 1];
    for &x in values {
        counts[edges.partition_point(|&e| e <= x)] += 1;
    }
    let noisy = gaussian_counts(&counts, 1, gaussian_scale(rho, 1.0)?)?;
    let clear = z * noisy.scale;
    let significant: Vec<usize> = (0..counts.len()).filter(|&i| noisy.values[i] as f64 > clear).collect();
    let fullest = (0..counts.len()).max_by_key(|&i| noisy.values[i]).unwrap_or(0);
    let clear = match (significant.first(), significant.last()) {
        (Some(&a), Some(&b)) => Some((a, b, significant.iter().map(|&i| noisy.values[i] as f64).sum())),
        _ => None,
    };
    let mass_sd = noisy.scale * (significant.len() as f64).sqrt();
    Ok(Support { clear, fullest, mass_sd, rho: noisy.cost })
}

/// Candidate bounds between `from` and `to`: both ends, zero, and every
/// number of four significant digits in between — dense enough that a
/// column concentrated in a narrow range (a month of dates, as day
/// numbers) still has candidates among its values, and data-independent.
pub(crate) fn candidates(from: f64, to: f64) -> Vec<f64> {
    let mut grid = vec![from, to, 0.0];
    for k in -5..=11i32 {
        for mantissa in 1000..10_000 {
            // Divide rather than multiply by a power below one, so that the
            // decimals are the closest doubles (999.9, not 999.900…01).
            let x = if k >= 3 { mantissa as f64 * 10f64.powi(k - 3) } else { mantissa as f64 / 10f64.powi(3 - k) };
            grid.push(x);
            grid.push(-x);
        }
    }
    grid.retain(|&x| x >= from && x <= to);
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    grid
}

/// The `alpha`-quantile of `values` through OpenDP's `make_private_quantile`
/// (the exponential mechanism over `candidates`, accounted in zCDP), at the
/// noise scale that spends at most `rho`. Returns the chosen candidate and
/// the ρ OpenDP charges.
pub(crate) fn private_quantile(values: &[f64], candidates: &[f64], alpha: f64, rho: f64) -> Result<(f64, f64)> {
    if !(rho > 0.0 && rho.is_finite()) {
        return Err(Error::invalid(format!("rho must be a positive number; got {rho}")));
    }
    let build = |scale: f64| {
        make_private_quantile(
            VectorDomain::new(AtomDomain::<f64>::new_non_nan()),
            SymmetricDistance,
            ZeroConcentratedDivergence,
            candidates.to_vec(),
            alpha,
            scale,
        )
    };
    // ρ falls with the square of the scale: solve at scale 1, then check.
    let at_one = build(1.0)?.map(&1)?;
    let mut scale = (at_one / rho).sqrt();
    let mut measurement = build(scale)?;
    let mut spent = measurement.map(&1)?;
    while spent > rho {
        scale *= 1.0 + 1e-9;
        measurement = build(scale)?;
        spent = measurement.map(&1)?;
    }
    Ok((measurement.invoke(&values.to_vec())?, spent))
}

/// Cells of the noisy profile: NULL, numbers with 0…6+ decimals, dates, text.
pub(crate) const PROFILE_CELLS: usize = 3 + MAX_DECIMALS as usize + 1;
const NULL_CELL: usize = 0;
const DATE_CELL: usize = PROFILE_CELLS - 2;
const TEXT_CELL: usize = PROFILE_CELLS - 1;

/// The profile cell of one value.
fn profile_cell(value: &str, date_format: &str) -> usize {
    if value.trim().is_empty() {
        NULL_CELL
    } else if parse_number(value).is_some() {
        1 + decimals_of(value) as usize
    } else if parse_date(value, date_format).is_some() {
        DATE_CELL
    } else {
        TEXT_CELL
    }
}

/// A column's noisy profile: how many values are NULL, numbers of each
/// precision, dates and text. It decides the column's kind without treating
/// the inferred type as public (one odd value must not flip a column's
/// type in a way an observer could see).
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    /// Noisy counts per profile cell.
    pub counts: Vec<f64>,
    /// Noise standard deviation of each count.
    pub scale: f64,
    /// ρ charged.
    pub rho: f64,
}

/// Measures a column's profile with Gaussian noise of deviation `scale`
/// (each person is one row: L2 sensitivity 1).
pub(crate) fn profile(column: &Column, date_format: &str, scale: f64) -> Result<Profile> {
    let mut counts = vec![0i64; PROFILE_CELLS];
    let null = column.null_code();
    for (code, n) in column.frequencies().into_iter().enumerate() {
        let cell =
            if Some(code as u32) == null { NULL_CELL } else { profile_cell(&column.dictionary()[code], date_format) };
        counts[cell] += n as i64;
    }
    let noisy = gaussian_counts(&counts, 1, scale)?;
    Ok(Profile { counts: noisy.values.iter().map(|&c| c as f64).collect(), scale, rho: noisy.cost })
}

/// What the synthesizer makes of a column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// Categories, discovered by partition selection.
    Text,
    /// Numbers or dates, binned between private bounds.
    Number(NumberKind),
}

impl Profile {
    /// Estimated rows of the column (all cells).
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }

    /// Whether NULLs are frequent enough to be told from noise (four
    /// standard deviations), so a NULL cell is worth having.
    pub fn has_nulls(&self) -> bool {
        self.counts[NULL_CELL] > 4.0 * self.scale
    }

    /// The column's kind: the declared type when there is one (a type the
    /// user declared is public), else whichever of numbers, dates and text
    /// holds most of the noisy non-NULL values. Numbers keep the most
    /// decimals that a clear share of them (5 %, and beyond noise) has.
    pub fn kind(&self, declared: &DataType) -> Kind {
        let numbers: f64 = self.counts[1..DATE_CELL].iter().sum();
        let decimals = || {
            let clear = (0.05 * numbers).max(4.0 * self.scale);
            let cells = &self.counts[1..DATE_CELL];
            let most = cells.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i);
            cells.iter().enumerate().filter(|(_, c)| **c >= clear).map(|(i, _)| i).max().unwrap_or(most).max(most)
                as u32
        };
        match declared {
            DataType::Integer => Kind::Number(NumberKind::Integer),
            DataType::Decimal => Kind::Number(NumberKind::Decimal(decimals().max(1))),
            DataType::Date { format } => Kind::Number(NumberKind::Date(format.clone())),
            DataType::OrderedString { .. } => Kind::Text,
            DataType::String => {
                let (dates, text) = (self.counts[DATE_CELL], self.counts[TEXT_CELL]);
                if numbers >= dates && numbers >= text {
                    match decimals() {
                        0 => Kind::Number(NumberKind::Integer),
                        d => Kind::Number(NumberKind::Decimal(d)),
                    }
                } else if dates >= text {
                    Kind::Number(NumberKind::Date(DataType::DEFAULT_DATE_FORMAT.to_string()))
                } else {
                    Kind::Text
                }
            }
        }
    }
}

/// What discovery found out about a numeric or date column.
#[derive(Debug, Clone)]
pub(crate) struct Range {
    /// Lower bound of the bins.
    pub lower: f64,
    /// Upper bound of the bins.
    pub upper: f64,
    /// Values that hold a large share of the rows (a point mass such as the
    /// zeros of a cost column), as written in the input; each gets a cell of
    /// its own so it is reproduced exactly rather than smeared over a bin.
    pub points: Vec<String>,
    /// ρ charged.
    pub rho: f64,
    /// δ charged (by the point-mass threshold).
    pub delta: f64,
}

/// Share of the rows a value must hold to become a point mass.
const POINT_SHARE: f64 = 0.05;

/// Discovers the range of a numeric or date column within `rho` (`rows`
/// is the noisy row count, `delta` the δ the point masses may spend):
///
/// 1. Point masses (40 % of `rho`): thresholded partition selection over
///    the exact values; those whose noisy count also reaches 5 % of the
///    rows are kept.
/// 2. The support, from two Gaussian histograms (10 % each) over the
///    cells between [`decade_edges`] and between [`fine_edges`]: the cells
///    whose noisy count clears 4σ (4.5σ for the 362 fine cells). When the
///    fine cells that clear hold nine tenths of the decades' mass (up to
///    three standard deviations of the noise), they bound the support, with one neighbouring cell on each side; else
///    (spread-out data) the decades do, stretched by a factor of 2 away
///    from zero for the thin tails beyond; with nothing clear, the fullest
///    decade. A histogram has no trouble with values that sit between two
///    candidates, where the exponential mechanism would find every
///    candidate outside the data equally good and pick one at random.
/// 3. The tails (20 % each): the 5 % and 95 % quantiles of the values
///    other than the point masses (the quartiles when the noisy row count
///    is too small for the tails to stand out of the noise) by OpenDP's
///    exponential mechanism over [`candidates`] within the support, widened by half their span on each side (twice
///    the span for quartiles: Tukey's fences, a little wider) since values
///    beyond are clamped into the end bins — but never beyond the support.
///    A lower bound that is not negative stays so (most such columns cannot
///    go below zero).
pub(crate) fn numeric_range(column: &Column, kind: &NumberKind, rows: f64, rho: f64, delta: f64) -> Result<Range> {
    let null = column.null_code();
    let mut keys: HashMap<String, i64> = HashMap::new();
    for (code, n) in column.frequencies().into_iter().enumerate() {
        let value = &column.dictionary()[code];
        if n > 0 && Some(code as u32) != null && kind.parse(value).is_some() {
            *keys.entry(value.clone()).or_default() += n as i64;
        }
    }
    let selected = gaussian_threshold(keys, 1, gaussian_scale(0.4 * rho, 1.0)?, delta)?;
    let points: Vec<String> =
        selected.kept.into_iter().filter(|(_, c)| *c as f64 >= POINT_SHARE * rows).map(|(v, _)| v).collect();

    let values = super::columns::numbers(column, kind);
    let coarse_edges = decade_edges();
    let coarse = support(&values, &coarse_edges, 0.1 * rho, 4.0)?;
    let fine_edges = fine_edges();
    let fine = support(&values, &fine_edges, 0.1 * rho, 4.5)?;
    // Cell i is [edges[i−1], edges[i]) (cell 0 and the last are open; clamp).
    let edge = |edges: &[f64], i: usize| edges[i.min(edges.len() - 1)];
    let (from, to) = match (fine.clear, coarse.clear) {
        (Some((a, b, mass)), Some((_, _, total))) if mass >= 0.9 * total - 3.0 * fine.mass_sd.hypot(coarse.mass_sd) => {
            (edge(&fine_edges, a.saturating_sub(2)), edge(&fine_edges, b + 1))
        }
        (_, found) => {
            let (a, b) = found.map_or((coarse.fullest, coarse.fullest), |(a, b, _)| (a, b));
            let (from, to) = (edge(&coarse_edges, a.saturating_sub(1)), edge(&coarse_edges, b.max(1)));
            (if from > 0.0 { from / 2.0 } else { from * 2.0 }, if to > 0.0 { to * 2.0 } else { to / 2.0 })
        }
    };
    let (from, to) = if from < to { (from, to) } else { (to, from) };

    // The bins are for the values the point masses do not take.
    let rest: Vec<f64> = {
        let parsed: Vec<Option<f64>> = column
            .dictionary()
            .iter()
            .enumerate()
            .map(|(c, v)| if Some(c as u32) == null || points.contains(v) { None } else { kind.parse(v) })
            .collect();
        column.codes().iter().filter_map(|&c| parsed[c as usize]).collect()
    };
    let grid = candidates(from, to);
    // Report-noisy-max reaches about ln(#candidates) ≈ 10 Gumbel scales
    // (ρ = (2·Δ/scale)²/8 with Δ ≤ 1) past the best score; the tail's rank
    // must stand further out than that from the ends.
    let tail = 0.2 * rho;
    let gumbel = 2.0 / (8.0 * tail).sqrt();
    let (alpha, widen) = if 0.05 * rows > 14.0 * gumbel { (0.05, 0.5) } else { (0.25, 2.0) };
    let (low, rho_low) = private_quantile(&rest, &grid, alpha, tail)?;
    let (high, rho_high) = private_quantile(&rest, &grid, 1.0 - alpha, tail)?;
    let (low, high) = if low <= high { (low, high) } else { (high, low) };
    // At least a few units of the column's precision, so that a column of
    // few distinct values still gets bins around them.
    let unit = match kind {
        NumberKind::Decimal(d) => 10f64.powi(-(*d as i32)),
        _ => 1.0,
    };
    let span = (high - low).max(4.0 * unit);
    let mut lower = (low - widen * span).max(from);
    let upper = (high + widen * span).min(to);
    if low >= 0.0 && lower < 0.0 {
        lower = 0.0;
    }
    let rho = selected.rho + coarse.rho + fine.rho + rho_low + rho_high;
    Ok(Range { lower, upper, points, rho, delta: selected.delta })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_are_strictly_increasing() {
        let e = decade_edges();
        assert!(e.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(e.len(), 31);
        let f = fine_edges();
        assert!(f.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(f.len(), 361);
        let c = candidates(10.0, 1000.0);
        assert!(c.windows(2).all(|w| w[0] < w[1]));
        assert!(c.contains(&17.0) && c.contains(&999.9) && c.contains(&10.0));
        assert!(candidates(1e4, 1e5).contains(&18_270.0));
    }

    #[test]
    fn threshold_releases_frequent_values_only() {
        let counts: HashMap<String, i64> =
            [("common".to_string(), 10_000), ("rare".to_string(), 1)].into_iter().collect();
        let s = gaussian_threshold(counts, 1, 2.0, 1e-9).unwrap();
        assert_eq!(s.kept.len(), 1);
        assert_eq!(s.kept[0].0, "common");
        assert!(s.delta <= 1e-9 && s.delta > 0.0);
        assert!((s.rho - 1.0 / 8.0).abs() < 1e-12, "{}", s.rho);
        assert!(s.threshold > 10 && s.threshold < 40, "{}", s.threshold);
    }

    fn column(values: &[String]) -> Column {
        let mut b = anonlab_table::column::ColumnBuilder::new("c");
        for (i, v) in values.iter().enumerate() {
            b.push(v, i as u64 + 2).unwrap();
        }
        b.finish()
    }

    #[test]
    fn ranges_cover_the_data_without_running_off() {
        let ages: Vec<String> = (0..20_000).map(|i| (20 + i % 50).to_string()).collect();
        let r = numeric_range(&column(&ages), &NumberKind::Integer, 20_000.0, 0.01, 1e-10).unwrap();
        assert!(r.rho <= 0.01 + 1e-12, "{}", r.rho);
        assert!((0.0..=21.0).contains(&r.lower), "{}", r.lower);
        assert!((68.0..=110.0).contains(&r.upper), "{}", r.upper);
        assert!(r.points.is_empty());
        // A month of dates (days since 1970) in a small table stays within years.
        let days: Vec<String> = (0..2000).map(|i| (18_262 + i % 28).to_string()).collect();
        let r = numeric_range(&column(&days), &NumberKind::Integer, 2000.0, 2e-3, 1e-10).unwrap();
        assert!(r.lower >= 17_000.0 && r.lower <= 18_262.0 && r.upper >= 18_289.0 && r.upper <= 20_000.0, "{r:?}");
        // Hardly any budget: no sure range, but a usable one.
        let r = numeric_range(&column(&days), &NumberKind::Integer, 2000.0, 2e-5, 1e-10).unwrap();
        assert!(r.lower.is_finite() && r.upper.is_finite() && r.lower <= r.upper, "{r:?}");
        // Zero-inflated costs: the zeros are a point mass, the range reaches the thousands.
        let costs: Vec<String> = (0..6000)
            .map(|i| if i % 4 == 0 { "0.0".to_string() } else { format!("{:.2}", (i % 997) as f64 * 1.7) })
            .collect();
        let r = numeric_range(&column(&costs), &NumberKind::Decimal(2), 6000.0, 1e-3, 1e-10).unwrap();
        assert_eq!(r.points, vec!["0.0".to_string()]);
        assert!(r.lower == 0.0 && r.upper > 1000.0, "{r:?}");
    }
}
