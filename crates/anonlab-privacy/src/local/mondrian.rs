//! Mondrian multidimensional partitioning (strict).
//!
//! # Definition
//! Start with one partition of all records; repeatedly split a partition on
//! the quasi-identifier with the largest normalized width — numeric attributes
//! at the median (values ≤ median left, > median right), categorical ones into
//! the children of their current hierarchy node — as long as every part still
//! satisfies the privacy models; a partition that cannot be split on any
//! attribute becomes an equivalence class.
//!
//! Quality is the normalized certainty penalty (NCP, Xu et al.): per record
//! and attribute, (max − min) / (domain max − domain min) for numbers, and
//! leaves(u) / |domain| for a category generalized to hierarchy node u (0 when
//! not generalized); the release's NCP is the average over records and
//! attributes, 0 to 1.
//!
//! Categorical splits are all-or-nothing: every child of the node must be
//! acceptable. With a wide, shallow hierarchy (a country's 40 values under 7
//! regions) a small partition almost never splits, so Mondrian's quality
//! depends on the hierarchies' fan-out; binary hierarchies over a meaningful
//! order (the `ordered` builder with group sizes 2, 4, 8, ...) split far more
//! often (see `examples/adult/adult-mondrian.toml`).
//!
//! # How it runs
//! All rows live in one permutation; a partition is a range of it. A split
//! reorders its range in place (a median by selection on value ranks, children
//! by sorting packed (child label, row) keys), so nothing is cloned or fully sorted per split,
//! and a rejected split costs no allocation beyond scratch buffers.
//!
//! # Citations
//! K. LeFevre, D. DeWitt, R. Ramakrishnan, "Mondrian multidimensional
//! k-anonymity", ICDE 2006; J. Xu et al., "Utility-based anonymization using
//! local recoding", KDD 2006 (NCP).

use anonlab_table::Table;
use anonlab_table::hierarchy::Generalization;

use crate::check::Checker;

/// How one quasi-identifier is partitioned.
#[derive(Debug, Clone)]
pub enum Dimension<'a> {
    /// Ordered numbers: `values[code]` is the number of each dictionary code
    /// (NaN for NULL, which sorts last and forms its own range).
    Numeric {
        /// Column index.
        column: usize,
        /// The number of each code.
        values: Vec<f64>,
    },
    /// Categories split along their hierarchy.
    Categorical {
        /// Column index.
        column: usize,
        /// The validated hierarchy.
        hierarchy: &'a Generalization,
    },
}

impl Dimension<'_> {
    fn column(&self) -> usize {
        match self {
            Dimension::Numeric { column, .. } | Dimension::Categorical { column, .. } => *column,
        }
    }
}

/// Where a partition stands on one dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Extent {
    /// Ranks from `low` to `high` (`low > high`: only NULLs).
    Range { low: u32, high: u32 },
    /// A hierarchy node: label `code` at `level`.
    Node { level: usize, code: u32 },
}

/// The ranks of a numeric dimension's codes: codes need not follow the
/// values' order (an untyped column keeps first-appearance order), ranks do.
#[derive(Debug)]
struct Ranks {
    /// Rank of each code; NULL (NaN) codes get `null`, above every value.
    of_code: Vec<u32>,
    /// Ranks of values: `0..null`.
    null: u32,
    /// The value of each rank.
    values: Vec<f64>,
}

impl Ranks {
    fn numeric(values: &[f64]) -> Self {
        let mut distinct: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        let null = distinct.len() as u32;
        let of_code = values
            .iter()
            .map(|v| if v.is_nan() { null } else { distinct.partition_point(|d| d.total_cmp(v).is_lt()) as u32 })
            .collect();
        Ranks { of_code, null, values: distinct }
    }

    /// The penalty's numerator between two ranks.
    fn width(&self, low: u32, high: u32) -> f64 {
        self.values[high as usize] - self.values[low as usize]
    }

    /// The full width of the domain (1 when it has a single value).
    fn span(&self) -> f64 {
        let w = if self.null == 0 { 0.0 } else { self.width(0, self.null - 1) };
        if w > 0.0 { w } else { 1.0 }
    }
}

/// One equivalence class of the release.
#[derive(Debug, Clone)]
pub struct Partition {
    /// Row indices.
    pub rows: Vec<u32>,
    extents: Vec<Extent>,
}

/// The outcome of Mondrian.
#[derive(Debug)]
pub struct MondrianResult {
    /// The equivalence classes.
    pub partitions: Vec<Partition>,
    /// Normalized certainty penalty, 0 (nothing generalized) to 1 (everything).
    pub ncp: f64,
    /// The penalty per quasi-identifier.
    pub per_attribute: Vec<f64>,
}

/// A partition being refined: `order[start..end]` with its extents.
struct Work {
    start: usize,
    end: usize,
    extents: Vec<Extent>,
}

/// Reused buffers of the splits.
#[derive(Default)]
struct Scratch {
    ranks: Vec<u32>,
    keyed: Vec<u64>,
    bounds: Vec<usize>,
}

/// Mondrian over a table.
pub struct Mondrian<'a> {
    table: &'a Table,
    dimensions: Vec<Dimension<'a>>,
    checker: &'a Checker,
    sensitive_columns: &'a [usize],
    /// Per numeric dimension, its ranks.
    ranks: Vec<Option<Ranks>>,
    /// Per dimension: the domain's width (numeric) or leaves in the hierarchy.
    spans: Vec<f64>,
}

impl<'a> Mondrian<'a> {
    /// Prepares Mondrian for `dimensions`, checking parts with `checker`'s models
    /// (its criteria's sensitive attribute j is column `sensitive_columns[j]`).
    pub fn new(
        table: &'a Table,
        dimensions: Vec<Dimension<'a>>,
        checker: &'a Checker,
        sensitive_columns: &'a [usize],
    ) -> Self {
        let ranks: Vec<Option<Ranks>> = dimensions
            .iter()
            .map(|d| match d {
                Dimension::Numeric { values, .. } => Some(Ranks::numeric(values)),
                Dimension::Categorical { .. } => None,
            })
            .collect();
        let spans = dimensions
            .iter()
            .zip(&ranks)
            .map(|(d, r)| match (d, r) {
                (_, Some(ranks)) => ranks.span(),
                (Dimension::Categorical { hierarchy, .. }, None) => hierarchy.domain_size() as f64,
                _ => unreachable!("numeric dimensions have ranks"),
            })
            .collect();
        Mondrian { table, dimensions, checker, sensitive_columns, ranks, spans }
    }

    fn codes(&self, d: usize) -> &'a [u32] {
        self.table.column(self.dimensions[d].column()).codes()
    }

    /// The tightest extent of `rows` on dimension `d`, starting from `current`.
    fn extent(&self, d: usize, rows: &[u32], current: Extent) -> Extent {
        let codes = self.codes(d);
        match (&self.dimensions[d], current) {
            (Dimension::Categorical { hierarchy, .. }, Extent::Node { level, code }) => {
                // Descend while every row shares one child label.
                let (mut level, mut code) = (level, code);
                while level > 0 {
                    let below = hierarchy.levels()[level - 1].of_value();
                    let first = below[codes[rows[0] as usize] as usize];
                    if rows.iter().all(|&r| below[codes[r as usize] as usize] == first) {
                        level -= 1;
                        code = first;
                    } else {
                        break;
                    }
                }
                Extent::Node { level, code }
            }
            (Dimension::Categorical { .. }, Extent::Range { .. }) => unreachable!("categorical extents are nodes"),
            _ => {
                let ranks = self.ranks[d].as_ref().expect("numeric dimensions have ranks");
                let (low, high) = rows
                    .iter()
                    .map(|&r| ranks.of_code[codes[r as usize] as usize])
                    .fold((u32::MAX, 0), |(a, b), v| if v == ranks.null { (a, b) } else { (a.min(v), b.max(v)) });
                Extent::Range { low, high }
            }
        }
    }

    /// The NCP of one extent on dimension `d` (0 when not generalized).
    fn penalty(&self, d: usize, extent: Extent) -> f64 {
        match (&self.dimensions[d], extent) {
            (_, Extent::Range { low, high }) if high > low => {
                self.ranks[d].as_ref().expect("numeric dimensions have ranks").width(low, high) / self.spans[d]
            }
            (Dimension::Categorical { hierarchy, .. }, Extent::Node { level, code }) if level > 0 => {
                hierarchy.levels()[level].leaves()[code as usize] as f64 / self.spans[d]
            }
            _ => 0.0,
        }
    }

    /// True when `rows` as one class satisfies every model.
    fn acceptable(&self, rows: &[u32]) -> bool {
        super::class_acceptable(self.checker, self.table, self.sensitive_columns, rows)
    }

    /// Splits `rows` (one partition's range, reordered in place) on dimension
    /// `d` at `extent`; on success `scratch.bounds` holds the parts' ends.
    fn split(&self, d: usize, extent: Extent, rows: &mut [u32], scratch: &mut Scratch) -> bool {
        let codes = self.codes(d);
        scratch.bounds.clear();
        match (&self.dimensions[d], extent) {
            (Dimension::Categorical { hierarchy, .. }, Extent::Node { level, .. }) => {
                if level == 0 {
                    return false;
                }
                let below = hierarchy.levels()[level - 1].of_value();
                scratch.keyed.clear();
                scratch
                    .keyed
                    .extend(rows.iter().map(|&r| u64::from(below[codes[r as usize] as usize]) << 32 | u64::from(r)));
                scratch.keyed.sort_unstable();
                for (i, (slot, &key)) in rows.iter_mut().zip(&scratch.keyed).enumerate() {
                    *slot = key as u32;
                    if i > 0 && key >> 32 != scratch.keyed[i - 1] >> 32 {
                        scratch.bounds.push(i);
                    }
                }
                scratch.bounds.push(rows.len());
                if scratch.bounds.len() < 2 {
                    return false;
                }
                let mut start = 0;
                scratch.bounds.iter().all(|&end| {
                    let ok = self.acceptable(&rows[start..end]);
                    start = end;
                    ok
                })
            }
            (_, Extent::Node { .. }) | (Dimension::Categorical { .. }, Extent::Range { .. }) => {
                unreachable!("categorical extents are nodes, others ranges")
            }
            (_, Extent::Range { low, high }) => {
                if low > high {
                    return false; // only NULLs
                }
                let of_code = &self.ranks[d].as_ref().expect("numeric dimensions have ranks").of_code;
                let rank = |r: u32| of_code[codes[r as usize] as usize];
                scratch.ranks.clear();
                scratch.ranks.extend(rows.iter().map(|&r| rank(r)));
                let middle = (rows.len() - 1) / 2;
                let median = *scratch.ranks.select_nth_unstable(middle).1;
                let mut cut = 0;
                for i in 0..rows.len() {
                    if rank(rows[i]) <= median {
                        rows.swap(i, cut);
                        cut += 1;
                    }
                }
                if cut == 0 || cut == rows.len() {
                    return false;
                }
                scratch.bounds.extend([cut, rows.len()]);
                self.acceptable(&rows[..cut]) && self.acceptable(&rows[cut..])
            }
        }
    }

    /// Runs Mondrian; `None` when even all records together fail the models.
    pub fn run(&self) -> Option<MondrianResult> {
        let mut order: Vec<u32> = (0..self.table.rows() as u32).collect();
        if !self.acceptable(&order) {
            return None;
        }
        let roots: Vec<Extent> = self
            .dimensions
            .iter()
            .zip(&self.ranks)
            .map(|(d, r)| match (d, r) {
                (_, Some(ranks)) => Extent::Range { low: 0, high: ranks.null.saturating_sub(1) },
                (Dimension::Categorical { hierarchy, .. }, None) => {
                    Extent::Node { level: hierarchy.max_level(), code: 0 }
                }
                _ => unreachable!("numeric dimensions have ranks"),
            })
            .collect();
        let extents = (0..self.dimensions.len()).map(|d| self.extent(d, &order, roots[d])).collect();
        let mut work = vec![Work { start: 0, end: order.len(), extents }];
        let mut done = Vec::new();
        let mut scratch = Scratch::default();
        let mut dims: Vec<usize> = Vec::with_capacity(self.dimensions.len());
        while let Some(w) = work.pop() {
            dims.clear();
            dims.extend(0..self.dimensions.len());
            dims.sort_by(|&a, &b| {
                self.penalty(b, w.extents[b]).total_cmp(&self.penalty(a, w.extents[a])).then(a.cmp(&b))
            });
            let rows = &mut order[w.start..w.end];
            if dims.iter().any(|&d| self.split(d, w.extents[d], rows, &mut scratch)) {
                let mut start = 0;
                for &end in &scratch.bounds {
                    let part = &rows[start..end];
                    let extents = (0..self.dimensions.len()).map(|d| self.extent(d, part, w.extents[d])).collect();
                    work.push(Work { start: w.start + start, end: w.start + end, extents });
                    start = end;
                }
            } else {
                done.push(w);
            }
        }
        let partitions: Vec<Partition> =
            done.into_iter().map(|w| Partition { rows: order[w.start..w.end].to_vec(), extents: w.extents }).collect();
        let records = self.table.rows() as f64;
        let per_attribute: Vec<f64> = (0..self.dimensions.len())
            .map(|d| {
                partitions.iter().map(|p| self.penalty(d, p.extents[d]) * p.rows.len() as f64).sum::<f64>() / records
            })
            .collect();
        let ncp = per_attribute.iter().sum::<f64>() / self.dimensions.len() as f64;
        Some(MondrianResult { partitions, ncp, per_attribute })
    }

    /// The label partition `p` shows on dimension `d`: `lo-hi` (or the value)
    /// for numbers (empty when the class holds only NULLs), the hierarchy
    /// label for categories.
    pub fn label(&self, p: &Partition, d: usize) -> String {
        match (&self.dimensions[d], p.extents[d]) {
            (Dimension::Categorical { hierarchy, .. }, Extent::Node { level, code }) => {
                hierarchy.levels()[level].labels()[code as usize].clone()
            }
            (_, Extent::Range { low, high }) if low > high => String::new(),
            (Dimension::Numeric { .. }, Extent::Range { low, high }) => {
                let values = &self.ranks[d].as_ref().expect("numeric dimensions have ranks").values;
                let (low, high) = (values[low as usize], values[high as usize]);
                if low == high { format!("{low}") } else { format!("{low}-{high}") }
            }
            _ => unreachable!("numeric extents are ranges, categorical ones nodes"),
        }
    }
}

#[cfg(test)]
mod tests {
    use anonlab_table::hierarchy::Hierarchy;
    use anonlab_table::io::csv::{CsvOptions, read_csv};

    use super::*;
    use crate::models::{KAnonymity, PrivacyModel};
    use crate::plan::{AnonymizationSpec, QuasiIdentifierSpec};

    /// The usual Mondrian setting on adult: eight quasi-identifiers, income (salary-class) not among them.
    const QIS: [&str; 8] =
        ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation"];

    fn adult() -> (Table, std::path::PathBuf) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/adult");
        (read_csv(&dir.join("adult.csv"), &CsvOptions { delimiter: Some(b';') }).unwrap(), dir)
    }

    /// Mondrian on adult: age numeric, the rest along ARX's hierarchies. Every
    /// class satisfies k; every row's values lie inside its class's extent.
    #[test]
    fn partitions_adult_into_valid_fine_classes() {
        let (table, dir) = adult();
        for k in [10u64, 5] {
            let spec = AnonymizationSpec {
                quasi_identifiers: QIS
                    .iter()
                    .map(|q| QuasiIdentifierSpec {
                        column: q.to_string(),
                        hierarchy: Hierarchy::from_arx_csv(&dir.join(format!("adult_hierarchy_{q}.csv")), b';')
                            .unwrap(),
                    })
                    .collect(),
                models: vec![PrivacyModel::KAnonymity(KAnonymity { k })],
                ..Default::default()
            };
            let plan = spec.plan(&table).unwrap();
            let dimensions: Vec<Dimension<'_>> = plan
                .qis
                .iter()
                .map(|q| {
                    let column = table.column(q.column);
                    if q.name == "age" {
                        let values = column.dictionary().iter().map(|v| v.parse::<f64>().unwrap_or(f64::NAN)).collect();
                        Dimension::Numeric { column: q.column, values }
                    } else {
                        Dimension::Categorical { column: q.column, hierarchy: &q.generalization }
                    }
                })
                .collect();
            let started = std::time::Instant::now();
            let mondrian = Mondrian::new(&table, dimensions, &plan.checker, &plan.sensitive_columns);
            let result = mondrian.run().unwrap();
            let elapsed = started.elapsed();
            let rows: usize = result.partitions.iter().map(|p| p.rows.len()).sum();
            assert_eq!(rows, table.rows(), "every record is in exactly one class");
            for p in &result.partitions {
                assert!(p.rows.len() as u64 >= k);
                let age = table.column_index("age").unwrap();
                let label = mondrian.label(p, 1);
                for &r in &p.rows {
                    let v: f64 = table.column(age).value(r as usize).parse().unwrap();
                    let (lo, hi) =
                        label.split_once('-').map_or((v, v), |(a, b)| (a.parse().unwrap(), b.parse().unwrap()));
                    assert!(lo <= v && v <= hi, "age {v} outside {label}");
                }
            }
            println!(
                "mondrian adult k={k}: {} classes, NCP {:.2} %, {:.0} ms",
                result.partitions.len(),
                result.ncp * 100.0,
                elapsed.as_secs_f64() * 1e3
            );
            assert!(result.ncp > 0.0 && result.ncp < 0.5);
        }
    }
}
