//! Answering a parsed query: filter and group the rows, compute each
//! aggregate's exact statistics per group, and release them through
//! [`crate::mechanisms`] — the only place noise is added. Every released
//! value comes with an interval that holds with the requested confidence
//! (derived values such as an average use interval arithmetic on their
//! noisy parts, each part at a Bonferroni-corrected level).

use std::collections::BTreeMap;

use anonlab_table::Table;
use opendp::accuracy::{discrete_gaussian_scale_to_accuracy, gaussian_scale_to_accuracy};
use serde::Serialize;

use super::metadata::Metadata;
use super::parse::{Aggregate, Cmp, Filter, Literal, Output, Plan};
use crate::budget::epsilon;
use crate::error::{Error, Result};
use crate::mechanisms::{gaussian_counts, gaussian_scale, gaussian_threshold, gaussian_values};

/// Joins the values of a multi-column GROUP BY key (a control character no CSV value holds).
const KEY_SEPARATOR: &str = "\u{1f}";

/// A released value with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cell {
    /// The noisy answer.
    pub value: f64,
    /// Lower end of its interval.
    pub low: f64,
    /// Upper end of its interval.
    pub high: f64,
}

/// One group of the answer.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The group's keys (GROUP BY values), empty without GROUP BY.
    pub keys: Vec<String>,
    /// One cell per aggregate, in SELECT order.
    pub cells: Vec<Cell>,
}

/// What one part of a query costs.
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    /// What is measured ("count(*)", "sum(age)", "keys of sex", ...).
    pub what: String,
    /// ρ of zCDP.
    pub rho: f64,
    /// Noise standard deviation.
    pub scale: f64,
}

/// A query's privacy cost.
#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    /// Total ρ.
    pub rho: f64,
    /// ε at `delta`.
    pub epsilon: f64,
    /// δ of the (ε, δ) view, all included.
    pub delta: f64,
    /// The part of δ spent by thresholded key release (0 with public keys).
    pub delta_keys: f64,
    /// Its parts.
    pub parts: Vec<Part>,
}

/// A released answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// GROUP BY columns, then aggregate labels.
    pub columns: Vec<String>,
    /// One row per group.
    pub rows: Vec<Row>,
    /// What it cost.
    pub cost: Cost,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Things to know (clamped values, dropped keys, ...).
    pub notes: Vec<String>,
}

/// Settings of a release.
#[derive(Debug, Clone)]
pub struct Settings {
    /// ρ to spend on the whole query.
    pub rho: f64,
    /// δ for the (ε, δ) view.
    pub delta: f64,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Bins of the histogram behind a quantile.
    pub quantile_bins: usize,
}

/// The measurements an aggregate needs, each one noisy vector over the groups.
fn measurements(aggregate: Aggregate) -> &'static [Stat] {
    match aggregate {
        Aggregate::Count => &[Stat::Count],
        Aggregate::Sum => &[Stat::Sum],
        Aggregate::Avg => &[Stat::Count, Stat::Sum],
        Aggregate::Variance | Aggregate::Stddev => &[Stat::Count, Stat::Sum, Stat::Squares],
        Aggregate::Quantile(_) => &[Stat::Histogram],
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stat {
    Count,
    Sum,
    Squares,
    Histogram,
    /// The GROUP BY keys found in the data, released by thresholding.
    Keys,
}

/// The cost of `plan` under `settings`, without reading any data: every
/// measurement gets an equal share of ρ, and its noise scale follows from
/// its sensitivity.
pub fn cost(plan: &Plan, metadata: &Metadata, settings: &Settings) -> Result<Cost> {
    let c = f64::from(metadata.max_contributions);
    let thresholded = plan.group_by.iter().any(|g| metadata.keys(g).is_none());
    let mut units: Vec<(String, Stat, Option<&str>)> = Vec::new();
    if thresholded {
        units.push((format!("keys of {}", plan.group_by.join(", ")), Stat::Keys, None));
    }
    units.extend(
        plan.aggregates().flat_map(|(a, col, label)| measurements(a).iter().map(move |s| (label.to_string(), *s, col))),
    );
    let share = settings.rho / units.len() as f64;
    let mut parts = Vec::new();
    for (label, stat, col) in &units {
        let sensitivity = match (stat, col) {
            (Stat::Count | Stat::Histogram | Stat::Keys, _) => c,
            (Stat::Sum, Some(col)) => {
                let (l, u) = metadata.bounds(col)?;
                c * l.abs().max(u.abs())
            }
            (Stat::Squares, Some(col)) => {
                let (l, u) = metadata.bounds(col)?;
                c * (l * l).max(u * u)
            }
            (_, None) => return Err(Error::internal("a sum without a column")),
        };
        let what = match stat {
            Stat::Count => format!("{label}: count"),
            Stat::Sum => format!("{label}: sum"),
            Stat::Squares => format!("{label}: sum of squares"),
            Stat::Histogram => format!("{label}: histogram of {} bins", settings.quantile_bins),
            Stat::Keys => format!("{label} (thresholded release)"),
        };
        parts.push(Part { what, rho: share, scale: gaussian_scale(share, sensitivity)? });
    }
    // Key release without public keys spends half of δ; the (ε, δ) view uses the other half.
    let delta_keys = if thresholded { settings.delta / 2.0 } else { 0.0 };
    Ok(Cost {
        rho: settings.rho,
        epsilon: epsilon(settings.rho, settings.delta - delta_keys)?,
        delta: settings.delta,
        delta_keys,
        parts,
    })
}

/// A column's values, read once: parsed numbers (NaN when not a number) and text.
struct ColumnView<'a> {
    table: &'a Table,
    index: usize,
    numbers: Vec<f64>,
}

impl<'a> ColumnView<'a> {
    fn new(table: &'a Table, name: &str) -> Result<Self> {
        let index = table.column_index(name).map_err(|_| {
            let names: Vec<&str> = table.names().collect();
            Error::invalid(format!("unknown column '{name}'; the table has: {}", names.join(", ")))
        })?;
        let col = table.column(index);
        let numbers = col
            .dictionary()
            .iter()
            .enumerate()
            .map(
                |(i, v)| {
                    if Some(i as u32) == col.null_code() { f64::NAN } else { v.trim().parse().unwrap_or(f64::NAN) }
                },
            )
            .collect();
        Ok(ColumnView { table, index, numbers })
    }

    fn code(&self, row: usize) -> u32 {
        self.table.column(self.index).codes()[row]
    }

    fn number(&self, row: usize) -> f64 {
        self.numbers[self.code(row) as usize]
    }

    fn text(&self, row: usize) -> Option<&str> {
        let col = self.table.column(self.index);
        let code = self.code(row);
        (Some(code) != col.null_code()).then(|| col.dictionary()[code as usize].as_str())
    }
}

fn compare(view: &ColumnView<'_>, row: usize, cmp: Cmp, lit: &Literal) -> bool {
    let ord = match lit {
        Literal::Number(x) => {
            let v = view.number(row);
            if v.is_nan() {
                return false;
            }
            v.partial_cmp(x)
        }
        Literal::Text(t) => match view.text(row) {
            Some(v) => Some(v.cmp(t.as_str())),
            None => return false,
        },
    };
    let Some(ord) = ord else { return false };
    match cmp {
        Cmp::Eq => ord.is_eq(),
        Cmp::Ne => ord.is_ne(),
        Cmp::Lt => ord.is_lt(),
        Cmp::Le => ord.is_le(),
        Cmp::Gt => ord.is_gt(),
        Cmp::Ge => ord.is_ge(),
    }
}

fn holds(f: &Filter, views: &BTreeMap<String, ColumnView<'_>>, row: usize) -> bool {
    match f {
        Filter::Compare(c, cmp, lit) => compare(&views[c], row, *cmp, lit),
        Filter::IsNull(c, negated) => views[c].text(row).is_none() != *negated,
        Filter::In(c, list, negated) => list.iter().any(|l| compare(&views[c], row, Cmp::Eq, l)) != *negated,
        Filter::Between(c, lo, hi, negated) => {
            (compare(&views[c], row, Cmp::Ge, lo) && compare(&views[c], row, Cmp::Le, hi)) != *negated
        }
        Filter::And(a, b) => holds(a, views, row) && holds(b, views, row),
        Filter::Or(a, b) => holds(a, views, row) || holds(b, views, row),
        Filter::Not(a) => !holds(a, views, row),
    }
}

fn filter_columns(f: &Filter, out: &mut Vec<String>) {
    match f {
        Filter::Compare(c, ..) | Filter::IsNull(c, _) | Filter::In(c, ..) | Filter::Between(c, ..) => {
            out.push(c.clone())
        }
        Filter::And(a, b) | Filter::Or(a, b) => {
            filter_columns(a, out);
            filter_columns(b, out);
        }
        Filter::Not(a) => filter_columns(a, out),
    }
}

/// Answers `plan` on `table`, spending `settings.rho`.
pub fn answer(table: &Table, plan: &Plan, metadata: &Metadata, settings: &Settings) -> Result<Answer> {
    if !(settings.confidence > 0.0 && settings.confidence < 1.0) {
        return Err(Error::invalid(format!(
            "confidence must lie strictly between 0 and 1; got {}",
            settings.confidence
        )));
    }
    if settings.quantile_bins < 2 {
        return Err(Error::invalid("a quantile needs at least 2 histogram bins"));
    }
    let cost = cost(plan, metadata, settings)?;
    let mut names: Vec<String> = plan.group_by.clone();
    names.extend(plan.aggregates().filter_map(|(_, c, _)| c.map(str::to_string)));
    if let Some(f) = &plan.filter {
        filter_columns(f, &mut names);
    }
    names.extend(metadata.privacy_unit.clone());
    let mut views = BTreeMap::new();
    for n in names {
        if let std::collections::btree_map::Entry::Vacant(slot) = views.entry(n) {
            let v = ColumnView::new(table, slot.key())?;
            slot.insert(v);
        }
    }

    let mut notes = Vec::new();

    // Rows that count: filtered, at most max_contributions per person.
    let mut rows: Vec<usize> =
        (0..table.rows()).filter(|&r| plan.filter.as_ref().is_none_or(|f| holds(f, &views, r))).collect();
    if let Some(unit) = &metadata.privacy_unit {
        let mut seen: BTreeMap<u32, u32> = BTreeMap::new();
        let before = rows.len();
        rows.retain(|&r| {
            let n = seen.entry(views[unit].code(r)).or_default();
            *n += 1;
            *n <= metadata.max_contributions
        });
        if rows.len() < before {
            notes.push(format!(
                "{} row(s) dropped so that no {unit} contributes more than {} row(s)",
                before - rows.len(),
                metadata.max_contributions
            ));
        }
    }

    let mut part = cost.parts.iter();
    let key_of = |r: usize| -> Option<Vec<String>> {
        plan.group_by.iter().map(|g| views[g].text(r).map(str::to_string)).collect()
    };
    let groups: Vec<Vec<String>> = if plan.group_by.iter().all(|g| metadata.keys(g).is_some()) {
        // The cartesian product of the public keys.
        let mut groups: Vec<Vec<String>> = vec![Vec::new()];
        for g in &plan.group_by {
            let keys = metadata.keys(g).expect("checked above");
            groups =
                groups.iter().flat_map(|p| keys.iter().map(move |k| [p.clone(), vec![k.clone()]].concat())).collect();
        }
        groups
    } else {
        // The keys in the data whose noisy count clears a threshold.
        let p = part.next().ok_or_else(|| Error::internal("no key-release part"))?;
        let mut counts: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        for &r in &rows {
            if let Some(k) = key_of(r) {
                *counts.entry(k.join(KEY_SEPARATOR)).or_default() += 1;
            }
        }
        let observed = counts.len();
        let selected = gaussian_threshold(counts, metadata.max_contributions, p.scale, cost.delta_keys)?;
        // Sorted by their joined text, which orders them column by column.
        let keys: Vec<Vec<String>> =
            selected.kept.into_iter().map(|(k, _)| k.split(KEY_SEPARATOR).map(str::to_string).collect()).collect();
        notes.push(format!(
            "GROUP BY keys released by thresholded partition selection: {} of the groups in the data (the rest are too small to show)",
            keys.len().min(observed)
        ));
        keys
    };
    let index: BTreeMap<Vec<String>, usize> = groups.iter().cloned().enumerate().map(|(i, g)| (g, i)).collect();
    let mut outside = 0usize;
    let group_of: Vec<Option<usize>> = rows
        .iter()
        .map(|&r| {
            let g = key_of(r).and_then(|k| index.get(&k).copied());
            outside += usize::from(g.is_none());
            g
        })
        .collect();
    if outside > 0 {
        notes.push(format!("{outside} row(s) are in no released group (outside the public keys, or in a suppressed group) and are not counted"));
    }

    let alpha_parts = cost.parts.iter().filter(|p| !p.what.ends_with("(thresholded release)")).count().max(1) as f64;
    let alpha = (1.0 - settings.confidence) / alpha_parts;
    let mut columns_out: Vec<Vec<Cell>> = Vec::new();
    for (aggregate, column, _) in plan.aggregates() {
        let bounds = column.map(|c| metadata.bounds(c)).transpose();
        let values: Vec<f64> = match column {
            Some(c) => rows.iter().map(|&r| views[c].number(r)).collect(),
            None => vec![0.0; rows.len()],
        };
        let present = |i: usize| column.is_none() || !values[i].is_nan();
        let clamp = |x: f64| match &bounds {
            Ok(Some((l, u))) => x.clamp(*l, *u),
            _ => x,
        };
        let mut noisy = BTreeMap::new();
        for stat in measurements(aggregate) {
            let p = part.next().ok_or_else(|| Error::internal("cost parts out of step"))?;
            match stat {
                Stat::Count => {
                    let mut counts = vec![0i64; groups.len()];
                    for (i, g) in group_of.iter().enumerate() {
                        if let Some(g) = g
                            && present(i)
                        {
                            counts[*g] += 1;
                        }
                    }
                    let n = gaussian_counts(&counts, i64::from(metadata.max_contributions), p.scale)?;
                    let a = discrete_gaussian_scale_to_accuracy(p.scale, alpha)?;
                    noisy.insert("count", n.values.iter().map(|&v| (v as f64, a)).collect::<Vec<_>>());
                }
                Stat::Sum | Stat::Squares => {
                    let mut sums = vec![ExactSum::default(); groups.len()];
                    for (i, g) in group_of.iter().enumerate() {
                        if let Some(g) = g
                            && present(i)
                        {
                            let x = clamp(values[i]);
                            sums[*g].add(if *stat == Stat::Sum { x } else { x * x });
                        }
                    }
                    let sums: Vec<f64> = sums.iter().map(ExactSum::value).collect();

                    let (l, u) = bounds.clone()?.ok_or_else(|| Error::internal("sum without bounds"))?;
                    let m = if *stat == Stat::Sum { l.abs().max(u.abs()) } else { (l * l).max(u * u) };
                    let n = gaussian_values(&sums, f64::from(metadata.max_contributions) * m, p.scale)?;
                    let a = gaussian_scale_to_accuracy(p.scale, alpha)?;
                    let key = if *stat == Stat::Sum { "sum" } else { "squares" };
                    noisy.insert(key, n.values.iter().map(|&v| (v, a)).collect());
                }
                Stat::Keys => return Err(Error::internal("key release is not an aggregate's measurement")),
                Stat::Histogram => {
                    let (l, u) = bounds.clone()?.ok_or_else(|| Error::internal("quantile without bounds"))?;

                    let bins = settings.quantile_bins;
                    let width = (u - l) / bins as f64;
                    let mut counts = vec![0i64; groups.len() * bins];
                    for (i, g) in group_of.iter().enumerate() {
                        if let Some(g) = g
                            && present(i)
                        {
                            let b = (((clamp(values[i]) - l) / width) as usize).min(bins - 1);
                            counts[g * bins + b] += 1;
                        }
                    }
                    let n = gaussian_counts(&counts, i64::from(metadata.max_contributions), p.scale)?;
                    let Aggregate::Quantile(q) = aggregate else { unreachable!("histograms serve quantiles") };
                    let cells = (0..groups.len())
                        .map(|g| quantile(&n.values[g * bins..(g + 1) * bins], q, l, width, p.scale, alpha))
                        .collect::<Result<Vec<_>>>()?;
                    noisy.insert("quantile", cells.iter().map(|c| (c.value, 0.0)).collect());
                    columns_out.push(cells);
                    continue;
                }
            }
        }
        if matches!(aggregate, Aggregate::Quantile(_)) {
            continue;
        }
        let cells = (0..groups.len()).map(|g| derive(aggregate, &noisy, g, bounds.clone().ok().flatten())).collect();
        columns_out.push(cells);
    }
    let out_rows = groups
        .into_iter()
        .enumerate()
        .map(|(g, keys)| Row { keys, cells: columns_out.iter().map(|c| c[g]).collect() })
        .collect();
    let columns = plan
        .outputs
        .iter()
        .filter_map(|o| if let Output::Key(k) = o { Some(k.clone()) } else { None })
        .chain(plan.aggregates().map(|(_, _, l)| l.to_string()))
        .collect();
    Ok(Answer { columns, rows: out_rows, cost, confidence: settings.confidence, notes })
}

/// A released statistic from its noisy parts, with interval arithmetic.
fn derive(aggregate: Aggregate, noisy: &BTreeMap<&str, Vec<(f64, f64)>>, g: usize, bounds: Option<(f64, f64)>) -> Cell {
    let get = |k: &str| noisy[k][g];
    let cell = |v: f64, a: f64| Cell { value: v, low: v - a, high: v + a };
    match aggregate {
        Aggregate::Count => {
            let (v, a) = get("count");
            Cell { value: v.max(0.0), low: (v - a).max(0.0), high: (v + a).max(0.0) }
        }
        Aggregate::Sum => {
            let (v, a) = get("sum");
            cell(v, a)
        }
        Aggregate::Avg | Aggregate::Variance | Aggregate::Stddev => {
            let (l, u) = bounds.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
            let (c, ac) = get("count");
            let (s, as_) = get("sum");
            let c_lo = (c - ac).max(0.0);
            let c_hi = c + ac;
            let mean = if c > 0.0 { (s / c).clamp(l, u) } else { 0.5 * (l + u) };
            // Mean interval: the extreme ratios over the box of (sum, count), within the bounds.
            let (m_lo, m_hi) = if c_lo > 0.0 {
                let r = [(s - as_) / c_lo, (s - as_) / c_hi, (s + as_) / c_lo, (s + as_) / c_hi];
                (
                    r.iter().copied().fold(f64::INFINITY, f64::min).max(l),
                    r.iter().copied().fold(f64::NEG_INFINITY, f64::max).min(u),
                )
            } else {
                (l, u)
            };
            if aggregate == Aggregate::Avg {
                return Cell { value: mean, low: m_lo.min(mean), high: m_hi.max(mean) };
            }
            let (q, aq) = get("squares");
            let max_var = ((u - l) / 2.0).powi(2);
            let var = if c > 0.0 { (q / c - mean * mean).clamp(0.0, max_var) } else { 0.0 };
            let (v_lo, v_hi) = if c_lo > 0.0 {
                let sq_lo = ((q - aq).max(0.0)) / c_hi;
                let sq_hi = (q + aq).max(0.0) / c_lo;
                let m2_lo = if m_lo <= 0.0 && m_hi >= 0.0 { 0.0 } else { (m_lo * m_lo).min(m_hi * m_hi) };
                let m2_hi = (m_lo * m_lo).max(m_hi * m_hi);
                ((sq_lo - m2_hi).max(0.0), (sq_hi - m2_lo).clamp(0.0, max_var))
            } else {
                (0.0, max_var)
            };
            let (v_lo, v_hi) = (v_lo.min(var), v_hi.max(var));
            if aggregate == Aggregate::Variance {
                Cell { value: var, low: v_lo, high: v_hi }
            } else {
                Cell { value: var.sqrt(), low: v_lo.sqrt(), high: v_hi.sqrt() }
            }
        }
        Aggregate::Quantile(_) => unreachable!("quantiles are released from their histogram"),
    }
}

/// The `q`-quantile of a noisy histogram over `[l, l + bins·width)`, with an
/// interval from the noise of each prefix sum (Gaussian tail, Bonferroni over
/// the prefixes; post-processing only).
fn quantile(hist: &[i64], q: f64, l: f64, width: f64, scale: f64, alpha: f64) -> Result<Cell> {
    let bins = hist.len();
    let clean: Vec<f64> = hist.iter().map(|&c| (c as f64).max(0.0)).collect();
    let total: f64 = clean.iter().sum();
    let mut cumulative = Vec::with_capacity(bins);
    let mut acc = 0.0;
    for c in &clean {
        acc += c;
        cumulative.push(acc);
    }
    let edge = |b: usize| l + width * b as f64;
    let value = cumulative.iter().position(|&c| c >= q * total).map_or(edge(bins), |b| edge(b) + 0.5 * width);
    // A prefix of j bins carries noise of standard deviation ≤ scale·√j.
    let per = alpha / bins as f64;
    let z = gaussian_scale_to_accuracy(1.0, per)?;
    let half = |j: usize| z * scale * ((j + 1) as f64).sqrt();
    let t_half = half(bins - 1);
    let low_bin = (0..bins).find(|&j| cumulative[j] + half(j) >= q * (total - t_half).max(0.0)).unwrap_or(0);
    let high_bin = (0..bins).find(|&j| cumulative[j] - half(j) >= q * (total + t_half)).unwrap_or(bins - 1);
    Ok(Cell { value, low: edge(low_bin).min(value), high: edge(high_bin + 1).max(value) })
}

/// A sum that is exact, so its sensitivity is what the bounds say.
///
/// A floating-point sum rounds after every addition, and the rounding depends
/// on the other values: adding one record can move a naive sum by far more
/// than the record's clamped value, which breaks the sensitivity the noise
/// is calibrated to (Casacuberta et al., CCS 2022). Each value is rounded to
/// a fixed grid of 2^-32 first (a data-independent step that moves no value
/// by more than the grid, covered by the bound) and the grid units are added
/// in a 128-bit integer, where addition is exact and order-independent.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ExactSum {
    units: i128,
}

impl ExactSum {
    const SCALE: f64 = 4_294_967_296.0; // 2^32

    pub(crate) fn add(&mut self, x: f64) {
        // Values are clamped to public bounds; beyond ±2^94 the grid could
        // overflow 128 bits, so they saturate (and such bounds are refused upstream by the noise scale).
        self.units = self.units.saturating_add((x * Self::SCALE).round() as i128);
    }

    pub(crate) fn value(&self) -> f64 {
        self.units as f64 / Self::SCALE
    }
}
