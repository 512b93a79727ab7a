//! How the singling-out attacker writes queries from the release, and how the
//! random-guessing baseline writes its own — the three generators of
//! Anonymeter's `SinglingOutEvaluator`, with the same rules.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::query::{Index, Op, Predicate, Query};
use crate::frame::{Field, Frame, NULL, Values};
use crate::sample::choose;

/// Queries that single out in the release, kept once each by their text.
struct Collected<'a> {
    fields: &'a [Field],
    seen: FxHashSet<String>,
    queries: Vec<Query>,
    max: usize,
}

impl<'a> Collected<'a> {
    fn new(fields: &'a [Field], max: usize) -> Self {
        Collected { fields, seen: FxHashSet::default(), queries: Vec::new(), max }
    }

    fn full(&self) -> bool {
        self.queries.len() >= self.max
    }

    /// Keeps, in order, the candidates that single out in the release.
    fn extend(&mut self, candidates: Vec<Query>, release: &Index<'_>) {
        let singles: Vec<bool> = candidates.par_iter().map(|q| release.singles_out(q)).collect();
        for (query, single) in candidates.into_iter().zip(singles) {
            if self.full() {
                return;
            }
            if single && self.seen.insert(query.display(self.fields).to_string()) {
                self.queries.push(query);
            }
        }
    }
}

/// Distinct values of a column: numbers (NaN for NULL) or codes ([`NULL`]
/// for NULL), each with its count, in order of first appearance.
fn value_counts(values: &Values) -> Vec<(u64, usize)> {
    let mut order: FxHashMap<u64, usize> = FxHashMap::default();
    let mut counts: Vec<(u64, usize)> = Vec::new();
    let rows = match values {
        Values::Numeric(v) => v.len(),
        Values::Categorical(v) => v.len(),
    };
    for r in 0..rows {
        let bits = values.bits(r);
        let i = *order.entry(bits).or_insert_with(|| {
            counts.push((bits, 0));
            counts.len() - 1
        });
        counts[i].1 += 1;
    }
    counts
}

fn is_null_bits(values: &Values, bits: u64) -> bool {
    match values {
        Values::Numeric(_) => f64::from_bits(bits).is_nan(),
        Values::Categorical(_) => bits == u64::from(NULL),
    }
}

fn equals(column: usize, values: &Values, bits: u64, op: Op) -> Predicate {
    match values {
        Values::Numeric(_) => Predicate::number(column, op, f64::from_bits(bits)),
        Values::Categorical(_) => Predicate::code(column, op, bits as u32),
    }
}

/// Univariate queries: a column's only NULL, its minimum and maximum, and
/// each value that occurs once — shuffled, and kept while they single out in
/// the release, up to `n_queries`.
pub fn univariate(
    index: &Index<'_>,
    fields: &[Field],
    columns: &[usize],
    n_queries: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<Query> {
    let release = index.frame();

    let mut candidates = Vec::new();
    for &c in columns {
        let values = release.column(c);
        let counts = value_counts(values);
        let nulls = counts.iter().find(|(b, _)| is_null_bits(values, *b)).map_or(0, |x| x.1);
        if nulls == 1 {
            candidates.push(Query(vec![Predicate::null(c)]));
        }
        if let Values::Numeric(v) = values {
            let present = v.iter().filter(|x| !x.is_nan());
            let (min, max) = present.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            if min.is_finite() {
                candidates.push(Query(vec![Predicate::number(c, Op::Le, min)]));
                candidates.push(Query(vec![Predicate::number(c, Op::Ge, max)]));
            }
        }
        for &(bits, n) in &counts {
            if n == 1 && !is_null_bits(values, bits) {
                candidates.push(Query(vec![equals(c, values, bits, Op::Eq)]));
            }
        }
    }
    candidates.shuffle(rng);
    let mut kept = Collected::new(fields, n_queries);
    kept.extend(candidates, index);
    kept.queries
}

/// What [`multivariate`] produced.
pub struct Generated {
    /// Queries that single out in the release.
    pub queries: Vec<Query>,
    /// Candidate queries tried.
    pub attempts: usize,
}

/// Multivariate queries: from a random release record and `n_cols` random
/// columns, the conjunction of `column == value` for categories and, for
/// numbers, `column >= value` above the column's median or `column <= value`
/// otherwise (asking for the more extreme side makes singling out likelier).
/// Tried in batches of 1,000 until `n_queries` single out or `max_attempts`
/// candidates were tried.
pub fn multivariate(
    index: &Index<'_>,
    fields: &[Field],
    columns: &[usize],
    n_queries: usize,
    n_cols: usize,
    max_attempts: usize,
    rng: &mut ChaCha8Rng,
) -> Generated {
    let release = index.frame();
    let medians: FxHashMap<usize, f64> = columns
        .iter()
        .filter_map(|&c| match release.column(c) {
            Values::Numeric(v) => Some((c, median(v))),
            Values::Categorical(_) => None,
        })
        .collect();
    let mut kept = Collected::new(fields, n_queries);
    let mut attempts = 0;
    while !kept.full() && attempts < max_attempts {
        let batch = 1000.min(max_attempts - attempts);
        let candidates: Vec<Query> = (0..batch)
            .map(|_| {
                let row = rng.random_range(0..release.rows());
                let mut cols: Vec<usize> = choose(rng, columns.len(), n_cols).into_iter().map(|i| columns[i]).collect();
                cols.sort_unstable();
                Query(cols.into_iter().map(|c| record_predicate(release, c, row, &medians)).collect())
            })
            .collect();
        kept.extend(candidates, index);
        attempts += batch;
    }
    Generated { queries: kept.queries, attempts }
}

fn record_predicate(release: &Frame, c: usize, row: usize, medians: &FxHashMap<usize, f64>) -> Predicate {
    match release.column(c) {
        Values::Numeric(v) if v[row].is_nan() => Predicate::null(c),
        Values::Numeric(v) => {
            let op = if v[row] > medians[&c] { Op::Ge } else { Op::Le };
            Predicate::number(c, op, v[row])
        }
        Values::Categorical(v) if v[row] == NULL => Predicate::null(c),
        Values::Categorical(v) => Predicate::code(c, Op::Eq, v[row]),
    }
}

/// The median of the non-NULL values (midpoint of the two middle ones), NaN if none.
fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) }
}

/// The baseline: `n_queries` random queries on `n_cols` random columns, each
/// condition a random operator (`==`/`!=` for categories, any of six
/// comparisons for numbers) against a random distinct value of the release
/// (NULL among them: `is null` for `==`, `is not null` otherwise). They are
/// not filtered; whichever happen to single out in the original count.
pub fn random(release: &Frame, columns: &[usize], n_queries: usize, n_cols: usize, rng: &mut ChaCha8Rng) -> Vec<Query> {
    let distinct: FxHashMap<usize, Vec<u64>> =
        columns.iter().map(|&c| (c, value_counts(release.column(c)).into_iter().map(|(b, _)| b).collect())).collect();
    const NUMERIC: [Op; 6] = [Op::Eq, Op::Ne, Op::Gt, Op::Lt, Op::Ge, Op::Le];
    const CATEGORICAL: [Op; 2] = [Op::Eq, Op::Ne];
    (0..n_queries)
        .map(|_| {
            let mut cols: Vec<usize> = choose(rng, columns.len(), n_cols).into_iter().map(|i| columns[i]).collect();
            cols.sort_unstable();
            Query(
                cols.into_iter()
                    .map(|c| {
                        let values = release.column(c);
                        let choices = &distinct[&c];
                        let bits = choices[rng.random_range(0..choices.len())];
                        let ops: &[Op] = if matches!(values, Values::Numeric(_)) { &NUMERIC } else { &CATEGORICAL };
                        let op = ops[rng.random_range(0..ops.len())];
                        if is_null_bits(values, bits) {
                            Predicate { op: if op == Op::Eq { Op::IsNull } else { Op::NotNull }, ..Predicate::null(c) }
                        } else {
                            equals(c, values, bits, op)
                        }
                    })
                    .collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_interpolates_and_skips_nulls() {
        assert_eq!(median(&[3.0, 1.0, f64::NAN, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[f64::NAN]).is_nan());
    }
}
