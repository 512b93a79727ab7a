//! Scoring a release against the training part it was made from.
//!
//! Every anonymizer is scored the same way, whatever it publishes (hierarchy
//! labels, Mondrian ranges, microaggregated means, `*`): the release is
//! row-aligned with the training part, so for each release column and label
//! the original values of the rows showing it are known, and a label is read
//! as "one of these values, each as likely". A quasi-identifier's `*` stands
//! for every value of the column. Information loss, the marginals and the
//! classifier all build on that one reading, so no anonymizer is favoured by
//! how its labels happen to be written.

use anonlab_privacy::risk::{ClassSizes, SampleRisks, risk_distribution};
use anonlab_table::{Column, Table};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::anonymizer::{SUPPRESSED, numeric_type};
use super::metrics::{RiskBand, UtilityMetrics};
use super::split::Split;
use crate::challenge::{ChallengeSpec, ColumnRole};
use crate::error::{Error, Result};

/// No index: a value the training part does not have.
const NONE: u32 = u32::MAX;

/// Columns with more distinct values than this are pooled into bins for the
/// marginals, which keeps a 2-way table at most about 100 × 100 cells.
const MARGINAL_MAX_VALUES: usize = 100;

/// Bins of a pooled column in the marginals.
const MARGINAL_BINS: usize = 20;

/// Bins of a numeric feature of the classifier (quantiles of the training part).
const FEATURE_BINS: usize = 10;

/// Records-at-risk threshold handed to the risk model (its value does not
/// enter the figures reported here).
const RISK_THRESHOLD: f64 = 0.2;

/// Scores `release` (row-aligned with `split.train`); `seconds` is left 0 for the caller.
pub(super) fn score(spec: &ChallengeSpec, split: &Split, release: &Table) -> Result<UtilityMetrics> {
    let train = &split.train;
    if release.rows() != train.rows() {
        return Err(Error::internal(format!(
            "the release has {} rows but the training part {}: releases must be row-aligned",
            release.rows(),
            train.rows()
        )));
    }
    let is_qi = |name: &str| spec.quasi_identifiers().any(|c| c.name == name);
    let qi_names: Vec<&str> = spec.quasi_identifiers().map(|c| c.name.as_str()).collect();
    let qis: Vec<Labels<'_>> =
        qi_names.par_iter().map(|name| Labels::new(release, train, name, true)).collect::<Result<_>>()?;
    let rows = release.rows();

    let information_loss = qis.iter().map(Labels::loss).sum::<f64>() / qis.len().max(1) as f64;
    let stars: Vec<Option<u32>> = qis.iter().map(|q| q.code_of(SUPPRESSED)).collect();
    let suppressed =
        (0..rows).filter(|&r| qis.iter().zip(&stars).all(|(q, star)| Some(q.release.codes()[r]) == *star)).count();

    let qi_columns: Vec<usize> = qi_names.iter().map(|n| release.column_index(n)).collect::<Result<_, _>>()?;
    let sizes = ClassSizes::of_table(release, &qi_columns)?;
    let risks = SampleRisks::of(&sizes, RISK_THRESHOLD);
    let risk_bands = risk_distribution(&sizes)
        .into_iter()
        .filter(|b| b.records > 0.0)
        .map(|b| RiskBand { band: format!("({}, {}]", percent(b.low), percent(b.high)), share: b.records })
        .collect();

    // Marginals of the quasi-identifiers, the sensitive columns and the target.
    let sensitive = spec.columns.iter().filter(|c| c.role == ColumnRole::Sensitive).map(|c| c.name.as_str());
    let mut names: Vec<&str> = Vec::new();
    for name in qi_names.iter().copied().chain(sensitive).chain(spec.utility.target.as_deref()) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let marginals: Vec<Marginal<'_>> = names
        .par_iter()
        .map(|name| {
            let labels = Labels::new(release, train, name, is_qi(name))?;
            let numeric = numeric_type(labels.train).is_some();
            let space = ValueSpace::new(labels.train, numeric, MARGINAL_MAX_VALUES, MARGINAL_BINS);
            let spread = labels.spread(&space);
            Ok(Marginal { labels, space, spread })
        })
        .collect::<Result<_>>()?;
    let mean =
        |values: Vec<f64>| if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 };
    let marginal_tvd_1way = mean(marginals.par_iter().map(Marginal::tvd).collect());
    let pairs: Vec<(usize, usize)> =
        (0..marginals.len()).flat_map(|a| (a + 1..marginals.len()).map(move |b| (a, b))).collect();
    let marginal_tvd_2way = mean(pairs.par_iter().map(|&(a, b)| marginals[a].tvd_with(&marginals[b])).collect());

    let (classification_accuracy, baseline_accuracy) = match &spec.utility.target {
        Some(target) => {
            let (release_accuracy, baseline) = classification(release, split, target, &spec.utility.features, &is_qi)?;
            (Some(release_accuracy), Some(baseline))
        }
        None => (None, None),
    };

    Ok(UtilityMetrics {
        information_loss,
        suppressed_share: suppressed as f64 / rows.max(1) as f64,
        classes: sizes.classes,
        marginal_tvd_1way,
        marginal_tvd_2way,
        classification_accuracy,
        baseline_accuracy,
        prosecutor_risk: risks.highest,
        average_risk: risks.average,
        risk_bands,
        seconds: 0.0,
        protocol_calls: Vec::new(),
    })
}

/// A risk band's bound as a percentage without float noise (0.143 → "14.3 %").
fn percent(share: f64) -> String {
    let p = (share * 100.0 * 1e9).round() / 1e9;
    if p != 0.0 && p.abs() < 1e-3 { format!("{p:e} %") } else { format!("{p} %") }
}

/// One release column set against the same column of the training part.
struct Labels<'a> {
    release: &'a Column,
    train: &'a Column,
    /// Per release code, the train codes of the rows showing it (ascending,
    /// distinct); for a quasi-identifier's `*`, every train code present.
    covers: Vec<Vec<u32>>,
    /// Distinct values of the column in the training part.
    domain: usize,
}

impl<'a> Labels<'a> {
    fn new(release: &'a Table, train: &'a Table, name: &str, quasi_identifier: bool) -> Result<Self> {
        let index = release
            .column_index(name)
            .map_err(|_| Error::invalid(format!("the release has no column '{name}', which the challenge scores")))?;
        let release = release.column(index);
        let train = train.column(train.column_index(name)?);
        let mut covers = vec![Vec::new(); release.distinct()];
        for (&label, &value) in release.codes().iter().zip(train.codes()) {
            covers[label as usize].push(value);
        }
        for c in &mut covers {
            c.sort_unstable();
            c.dedup();
        }
        let present: Vec<u32> =
            train.frequencies().iter().enumerate().filter(|&(_, &f)| f > 0).map(|(c, _)| c as u32).collect();
        let domain = present.len();
        let star = release.dictionary().iter().position(|v| v == SUPPRESSED);
        if let (true, Some(star)) = (quasi_identifier, star) {
            covers[star] = present;
        }
        Ok(Labels { release, train, covers, domain })
    }

    /// The release code of `label`, if the release shows it.
    fn code_of(&self, label: &str) -> Option<u32> {
        self.release.dictionary().iter().position(|v| v == label).map(|p| p as u32)
    }

    /// Normalized certainty penalty of the column: per cell, a label covering
    /// m of the column's M values costs (m − 1)/(M − 1) (so `*` costs 1 and an
    /// original value 0), averaged over the rows.
    ///
    /// One definition for every anonymizer: the privacy crate's own figures
    /// differ by strategy (ARX's Loss with its generalization/suppression
    /// factor, Mondrian's range-based NCP, MDAV's SSE/SST), which a
    /// leaderboard could not compare.
    fn loss(&self) -> f64 {
        if self.domain <= 1 {
            return 0.0;
        }
        let rows = self.release.codes().len().max(1) as f64;
        let scale = (self.domain - 1) as f64;
        let cost: f64 = self
            .release
            .frequencies()
            .iter()
            .zip(&self.covers)
            .map(|(&f, c)| f as f64 * c.len().saturating_sub(1) as f64 / scale)
            .sum();
        cost / rows
    }

    /// Each release label read as a uniform distribution over `space`'s indices.
    fn spread(&self, space: &ValueSpace) -> Vec<Vec<(u32, f64)>> {
        self.covers.iter().map(|c| space.spread(c)).collect()
    }
}

/// The values a column is compared on: an index for each train code.
struct ValueSpace {
    /// Index of each dictionary code of the training part's column ([`NONE`]
    /// for a categorical value it does not hold).
    index: Vec<u32>,
    /// Number of indices.
    size: usize,
    /// For numeric columns: the values present, ascending, with their index,
    /// to place values the training part does not hold.
    numbers: Option<Vec<(f64, u32)>>,
}

impl ValueSpace {
    /// Each value the training part holds is an index of its own, unless
    /// there are more than `max_values`: then consecutive values (by number
    /// when `numeric`, by text otherwise) are pooled into at most `bins` bins
    /// of about equal frequency (quantile bins). NULL is an index of its own.
    /// Only numeric columns place values the training part does not hold.
    fn new(column: &Column, numeric: bool, max_values: usize, bins: usize) -> ValueSpace {
        let frequencies = column.frequencies();
        let dictionary = column.dictionary();
        let null = column.null_code().map(|n| n as usize);
        let numbers: Option<Vec<f64>> =
            numeric.then(|| dictionary.iter().map(|v| v.trim().parse::<f64>().unwrap_or(f64::NAN)).collect());
        let mut present: Vec<usize> =
            (0..dictionary.len()).filter(|&c| frequencies[c] > 0 && Some(c) != null).collect();
        match &numbers {
            Some(x) => present.sort_by(|&a, &b| x[a].total_cmp(&x[b])),
            None => present.sort_by(|&a, &b| dictionary[a].cmp(&dictionary[b])),
        }
        let mut index = vec![NONE; dictionary.len()];
        let mut size = 0usize;
        if present.len() <= max_values {
            for (i, &c) in present.iter().enumerate() {
                index[c] = i as u32;
            }
            size = present.len();
        } else {
            let total: u64 = present.iter().map(|&c| frequencies[c]).sum();
            let (mut before, mut last) = (0u64, None);
            for &c in &present {
                let bin = (u128::from(before) * bins as u128 / u128::from(total)) as u64;
                if last != Some(bin) {
                    last = Some(bin);
                    size += 1;
                }
                index[c] = size as u32 - 1;
                before += frequencies[c];
            }
        }
        if let Some(n) = null.filter(|&n| frequencies[n] > 0) {
            index[n] = size as u32;
            size += 1;
        }
        let numbers = numbers.map(|x| present.iter().map(|&c| (x[c], index[c])).collect::<Vec<_>>());
        let mut space = ValueSpace { index, size, numbers };
        // Numbers only the other parts hold fall in with the nearest value below.
        for (c, value) in dictionary.iter().enumerate() {
            if space.index[c] == NONE && Some(c) != null {
                space.index[c] = space.place(value);
            }
        }
        space
    }

    /// The index of a value the training part does not hold: numbers go with
    /// the nearest value below (the lowest when below all); anything else has none.
    fn place(&self, value: &str) -> u32 {
        let (Some(numbers), Ok(x)) = (&self.numbers, value.trim().parse::<f64>()) else { return NONE };
        if numbers.is_empty() || x.is_nan() {
            return NONE;
        }
        numbers[numbers.partition_point(|&(v, _)| v <= x).saturating_sub(1)].1
    }

    /// Train codes `covered`, each as likely, as weights per index.
    fn spread(&self, covered: &[u32]) -> Vec<(u32, f64)> {
        let mut indices: Vec<u32> = covered.iter().map(|&c| self.index[c as usize]).filter(|&i| i != NONE).collect();
        indices.sort_unstable();
        let weight = 1.0 / covered.len() as f64;
        let mut out: Vec<(u32, f64)> = Vec::new();
        for i in indices {
            match out.last_mut() {
                Some((j, w)) if *j == i => *w += weight,
                _ => out.push((i, weight)),
            }
        }
        out
    }
}

/// One column of the marginals.
struct Marginal<'a> {
    labels: Labels<'a>,
    space: ValueSpace,
    /// Per release code, its spread over `space`.
    spread: Vec<Vec<(u32, f64)>>,
}

impl Marginal<'_> {
    /// The real index of each training row.
    fn real(&self) -> impl Iterator<Item = usize> + '_ {
        self.labels.train.codes().iter().map(|&c| self.space.index[c as usize] as usize)
    }

    /// Total variation distance of the release's 1-way marginal from the training part's.
    fn tvd(&self) -> f64 {
        let mut estimate = vec![0.0; self.space.size];
        for (code, &f) in self.labels.release.frequencies().iter().enumerate() {
            for &(i, w) in &self.spread[code] {
                estimate[i as usize] += f as f64 * w;
            }
        }
        let mut real = vec![0.0; self.space.size];
        for i in self.real() {
            real[i] += 1.0;
        }
        distance(&estimate, &real)
    }

    /// Total variation distance of the 2-way marginal of this column and `other`.
    fn tvd_with(&self, other: &Marginal<'_>) -> f64 {
        let width = other.space.size;
        let mut pairs: FxHashMap<(u32, u32), u64> = FxHashMap::default();
        for (&a, &b) in self.labels.release.codes().iter().zip(other.labels.release.codes()) {
            *pairs.entry((a, b)).or_default() += 1;
        }
        let mut estimate = vec![0.0; self.space.size * width];
        for ((a, b), n) in pairs {
            for &(i, wi) in &self.spread[a as usize] {
                for &(j, wj) in &other.spread[b as usize] {
                    estimate[i as usize * width + j as usize] += n as f64 * wi * wj;
                }
            }
        }
        let mut real = vec![0.0; self.space.size * width];
        for (i, j) in self.real().zip(other.real()) {
            real[i * width + j] += 1.0;
        }
        distance(&estimate, &real)
    }
}

/// Total variation distance between two count vectors of the same total.
fn distance(estimate: &[f64], real: &[f64]) -> f64 {
    let total: f64 = real.iter().sum();
    if total == 0.0 {
        return 0.0;
    }
    0.5 * estimate.iter().zip(real).map(|(e, r)| (e - r).abs()).sum::<f64>() / total
}

/// A column as a classifier input: a code per row and, per code, its weights over the value indices.
struct Inputs<'a> {
    codes: &'a [u32],
    spread: Vec<Vec<(u32, f64)>>,
}

impl<'a> Inputs<'a> {
    /// The training part's own values: each code is its value's index.
    fn exact(column: &'a Column, space: &ValueSpace) -> Self {
        let spread = space.index.iter().map(|&i| if i == NONE { Vec::new() } else { vec![(i, 1.0)] }).collect();
        Inputs { codes: column.codes(), spread }
    }

    /// A release column, its labels spread over the values they cover.
    fn released(labels: &Labels<'a>, space: &ValueSpace) -> Self {
        Inputs { codes: labels.release.codes(), spread: labels.spread(space) }
    }
}

/// A categorical naive Bayes model (Laplace smoothing) as log-probabilities.
struct NaiveBayes {
    /// ln P(class).
    prior: Vec<f64>,
    /// Per feature, ln P(value | class) at `class * values + value`.
    likelihood: Vec<Vec<f64>>,
    /// Per feature, its number of values.
    values: Vec<usize>,
}

impl NaiveBayes {
    /// Trains on rows whose classes and features are given as weights, so a
    /// generalized release trains on its labels spread over what they cover
    /// (fractional counts), and the training part on its exact values.
    fn train(classes: usize, target: &Inputs<'_>, features: &[(Inputs<'_>, usize)]) -> NaiveBayes {
        let mut class_total = vec![0.0; classes];
        let mut target_counts = vec![0u64; target.spread.len()];
        for &t in target.codes {
            target_counts[t as usize] += 1;
        }
        for (code, &n) in target_counts.iter().enumerate() {
            for &(c, w) in &target.spread[code] {
                class_total[c as usize] += n as f64 * w;
            }
        }
        let rows: f64 = class_total.iter().sum();
        let prior = class_total.iter().map(|&t| ((t + 1.0) / (rows + classes as f64)).ln()).collect();
        let likelihood = features
            .par_iter()
            .map(|(feature, values)| {
                let mut pairs: FxHashMap<(u32, u32), u64> = FxHashMap::default();
                for (&f, &t) in feature.codes.iter().zip(target.codes) {
                    *pairs.entry((f, t)).or_default() += 1;
                }
                let mut counts = vec![0.0; classes * values];
                for ((f, t), n) in pairs {
                    for &(v, wv) in &feature.spread[f as usize] {
                        for &(c, wc) in &target.spread[t as usize] {
                            counts[c as usize * values + v as usize] += n as f64 * wv * wc;
                        }
                    }
                }
                counts
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| ((x + 1.0) / (class_total[i / values] + *values as f64)).ln())
                    .collect()
            })
            .collect();
        NaiveBayes { prior, likelihood, values: features.iter().map(|(_, v)| *v).collect() }
    }

    /// The most likely class (the lowest on a tie) given each feature's value
    /// index, a missing index ([`NONE`]) leaving its feature out.
    fn predict(&self, values: &[u32]) -> usize {
        let mut scores = self.prior.clone();
        for ((&v, likelihood), &width) in values.iter().zip(&self.likelihood).zip(&self.values) {
            if v != NONE {
                for (c, s) in scores.iter_mut().enumerate() {
                    *s += likelihood[c * width + v as usize];
                }
            }
        }
        let mut best = 0;
        for (c, &s) in scores.iter().enumerate() {
            if s > scores[best] {
                best = c;
            }
        }
        best
    }
}

/// Accuracy on the real test part of naive Bayes predicting `target` from
/// every other release column (or the challenge's chosen features), trained on the release and — the baseline — on
/// the training part itself. Numeric features are pooled into at most
/// [`FEATURE_BINS`] quantile bins of the training part.
fn classification(
    release: &Table,
    split: &Split,
    target: &str,
    only: &[String],
    is_qi: &dyn Fn(&str) -> bool,
) -> Result<(f64, f64)> {
    let (train, test) = (&split.train, &split.test);
    let target_labels = Labels::new(release, train, target, is_qi(target))?;
    // Classes are categories, whatever they look like: a class value the
    // training part lacks is never predicted right.
    let class_space = ValueSpace::new(target_labels.train, false, usize::MAX, 1);
    let mut features: Vec<(Labels<'_>, ValueSpace)> = Vec::new();
    for name in release.names().filter(|&n| n != target && (only.is_empty() || only.iter().any(|f| f == n))) {
        let labels = Labels::new(release, train, name, is_qi(name))?;
        let numeric = numeric_type(labels.train).is_some();
        let max_values = if numeric { FEATURE_BINS } else { usize::MAX };
        let space = ValueSpace::new(labels.train, numeric, max_values, FEATURE_BINS);
        features.push((labels, space));
    }
    let released: Vec<(Inputs<'_>, usize)> = features.iter().map(|(l, s)| (Inputs::released(l, s), s.size)).collect();
    let on_release = NaiveBayes::train(class_space.size, &Inputs::released(&target_labels, &class_space), &released);
    let exact: Vec<(Inputs<'_>, usize)> = features.iter().map(|(l, s)| (Inputs::exact(l.train, s), s.size)).collect();
    let baseline = NaiveBayes::train(class_space.size, &Inputs::exact(target_labels.train, &class_space), &exact);

    // The test part's values as indices of the training part's spaces.
    let test_indices = |train_column: &Column, space: &ValueSpace| -> Result<Vec<u32>> {
        let column = test.column(test.column_index(train_column.name())?);
        let by_value: FxHashMap<&str, usize> =
            train_column.dictionary().iter().enumerate().map(|(c, v)| (v.as_str(), c)).collect();
        let of_code: Vec<u32> = column
            .dictionary()
            .iter()
            .enumerate()
            .map(|(code, v)| match by_value.get(v.as_str()) {
                Some(&c) => space.index[c],
                None if Some(code as u32) == column.null_code() => NONE,
                None => space.place(v),
            })
            .collect();
        Ok(column.codes().iter().map(|&c| of_code[c as usize]).collect())
    };
    let truth = test_indices(target_labels.train, &class_space)?;
    let columns: Vec<Vec<u32>> = features.iter().map(|(l, s)| test_indices(l.train, s)).collect::<Result<_>>()?;
    let accuracy = |model: &NaiveBayes| -> f64 {
        let right = (0..test.rows())
            .into_par_iter()
            .filter(|&r| {
                let values: Vec<u32> = columns.iter().map(|c| c[r]).collect();
                truth[r] != NONE && model.predict(&values) == truth[r] as usize
            })
            .count();
        right as f64 / test.rows().max(1) as f64
    };
    Ok((accuracy(&on_release), accuracy(&baseline)))
}
