//! Mondrian multidimensional partitioning (strict).
//!
//! # Definition
//! Start with one partition of all records; repeatedly split a partition on
//! the quasi-identifier with the largest normalized width — numeric attributes
//! at the median (values ≤ median left, > median right), categorical ones into
//! the children of their current hierarchy node — as long as every part still
//! satisfies the privacy models; a partition that cannot be split on any
//! attribute becomes an equivalence class. Quality is the normalized certainty
//! penalty (NCP): per record and attribute, (max − min) / range for numbers and
//! leaves(node) / |domain| for categories (0 when not generalized), averaged.
//!
//! # Citations
//! K. LeFevre, D. DeWitt, R. Ramakrishnan, "Mondrian multidimensional
//! k-anonymity", ICDE 2006; J. Xu et al., "Utility-based anonymization using
//! local recoding", KDD 2006 (NCP).

use anonlab_table::Table;
use anonlab_table::hierarchy::Generalization;

use crate::check::Checker;
use crate::classes::Histogram;

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
    /// Numbers from `low` to `high`.
    Range { low: f64, high: f64 },
    /// A hierarchy node: label `code` at `level`.
    Node { level: usize, code: u32 },
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

/// Mondrian over a table.
pub struct Mondrian<'a> {
    table: &'a Table,
    dimensions: Vec<Dimension<'a>>,
    checker: &'a Checker,
    sensitive_columns: &'a [usize],
    /// Per numeric dimension: the domain's range; per categorical: leaves in the hierarchy.
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
        let spans = dimensions
            .iter()
            .map(|d| match d {
                Dimension::Numeric { values, .. } => {
                    let finite = values.iter().copied().filter(|v| v.is_finite());
                    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
                    if hi > lo { hi - lo } else { 1.0 }
                }
                Dimension::Categorical { hierarchy, .. } => hierarchy.domain_size() as f64,
            })
            .collect();
        Mondrian { table, dimensions, checker, sensitive_columns, spans }
    }

    fn code(&self, d: usize, row: u32) -> u32 {
        self.table.column(self.dimensions[d].column()).codes()[row as usize]
    }

    /// The tightest extent of `rows` on dimension `d`, starting from `current`.
    fn extent(&self, d: usize, rows: &[u32], current: Extent) -> Extent {
        match (&self.dimensions[d], current) {
            (Dimension::Numeric { values, .. }, _) => {
                let (low, high) = rows.iter().map(|&r| values[self.code(d, r) as usize]).fold(
                    (f64::INFINITY, f64::NEG_INFINITY),
                    |(a, b), v| {
                        if v.is_nan() { (a, b) } else { (a.min(v), b.max(v)) }
                    },
                );
                Extent::Range { low, high }
            }
            (Dimension::Categorical { hierarchy, .. }, Extent::Node { level, code }) => {
                // Descend while every row shares one child label.
                let (mut level, mut code) = (level, code);
                while level > 0 {
                    let below = &hierarchy.levels()[level - 1];
                    let first = below.of_value()[self.code(d, rows[0]) as usize];
                    if rows.iter().all(|&r| below.of_value()[self.code(d, r) as usize] == first) {
                        level -= 1;
                        code = first;
                    } else {
                        break;
                    }
                }
                Extent::Node { level, code }
            }
            (Dimension::Categorical { .. }, Extent::Range { .. }) => unreachable!("categorical extents are nodes"),
        }
    }

    /// The NCP of one extent on dimension `d` (0 when not generalized).
    fn penalty(&self, d: usize, extent: Extent) -> f64 {
        match (&self.dimensions[d], extent) {
            (_, Extent::Range { low, high }) if high > low => (high - low) / self.spans[d],
            (Dimension::Categorical { hierarchy, .. }, Extent::Node { level, code }) if level > 0 => {
                hierarchy.levels()[level].leaves()[code as usize] as f64 / self.spans[d]
            }
            _ => 0.0,
        }
    }

    /// True when `rows` as one class satisfies every model.
    fn acceptable(&self, rows: &[u32]) -> bool {
        let n = rows.len() as u64;
        if n < self.checker.min_class_size() {
            return false;
        }
        self.checker.criteria().iter().all(|criterion| {
            let histogram = criterion.sensitive().map(|j| {
                let codes = self.table.column(self.sensitive_columns[j]).codes();
                let mut counts: Vec<(u32, u64)> = Vec::new();
                let mut sorted: Vec<u32> = rows.iter().map(|&r| codes[r as usize]).collect();
                sorted.sort_unstable();
                for c in sorted {
                    match counts.last_mut() {
                        Some((last, n)) if *last == c => *n += 1,
                        _ => counts.push((c, 1)),
                    }
                }
                counts
            });
            let owned = histogram
                .as_ref()
                .map(|h| (h.iter().map(|p| p.0).collect::<Vec<_>>(), h.iter().map(|p| p.1).collect::<Vec<_>>()));
            criterion.passes(n, owned.as_ref().map(|(codes, counts)| Histogram { codes, counts }))
        })
    }

    /// Splits `partition` on dimension `d`, if every part is acceptable.
    fn split(&self, d: usize, partition: &Partition) -> Option<Vec<Vec<u32>>> {
        match (&self.dimensions[d], partition.extents[d]) {
            (Dimension::Numeric { values, .. }, _) => {
                let mut rows = partition.rows.clone();
                let key = |r: u32| values[self.code(d, r) as usize];
                rows.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
                let median = key(rows[(rows.len() - 1) / 2]);
                let cut = rows.partition_point(|&r| key(r).total_cmp(&median).is_le());
                if cut == 0 || cut == rows.len() {
                    return None;
                }
                let right = rows.split_off(cut);
                (self.acceptable(&rows) && self.acceptable(&right)).then(|| vec![rows, right])
            }
            (Dimension::Categorical { hierarchy, .. }, Extent::Node { level, .. }) => {
                if level == 0 {
                    return None;
                }
                let below = &hierarchy.levels()[level - 1];
                let mut groups: Vec<(u32, Vec<u32>)> = Vec::new();
                for &r in &partition.rows {
                    let child = below.of_value()[self.code(d, r) as usize];
                    match groups.iter_mut().find(|g| g.0 == child) {
                        Some(g) => g.1.push(r),
                        None => groups.push((child, vec![r])),
                    }
                }
                if groups.len() < 2 || !groups.iter().all(|g| self.acceptable(&g.1)) {
                    return None;
                }
                Some(groups.into_iter().map(|g| g.1).collect())
            }
            _ => None,
        }
    }

    /// Runs Mondrian; `None` when even all records together fail the models.
    pub fn run(&self) -> Option<MondrianResult> {
        let all: Vec<u32> = (0..self.table.rows() as u32).collect();
        if !self.acceptable(&all) {
            return None;
        }
        let roots: Vec<Extent> = self
            .dimensions
            .iter()
            .map(|d| match d {
                Dimension::Numeric { .. } => Extent::Range { low: f64::NEG_INFINITY, high: f64::INFINITY },
                Dimension::Categorical { hierarchy, .. } => Extent::Node { level: hierarchy.max_level(), code: 0 },
            })
            .collect();
        let mut first = Partition { rows: all, extents: roots };
        first.extents = (0..self.dimensions.len()).map(|d| self.extent(d, &first.rows, first.extents[d])).collect();
        let mut work = vec![first];
        let mut done = Vec::new();
        while let Some(partition) = work.pop() {
            let mut order: Vec<usize> = (0..self.dimensions.len()).collect();
            order.sort_by(|&a, &b| {
                self.penalty(b, partition.extents[b]).total_cmp(&self.penalty(a, partition.extents[a])).then(a.cmp(&b))
            });
            match order.iter().find_map(|&d| self.split(d, &partition).map(|parts| (d, parts))) {
                Some((_, parts)) => {
                    for rows in parts {
                        let extents =
                            (0..self.dimensions.len()).map(|d| self.extent(d, &rows, partition.extents[d])).collect();
                        work.push(Partition { rows, extents });
                    }
                }
                None => done.push(partition),
            }
        }
        let records = self.table.rows() as f64;
        let per_attribute: Vec<f64> = (0..self.dimensions.len())
            .map(|d| done.iter().map(|p| self.penalty(d, p.extents[d]) * p.rows.len() as f64).sum::<f64>() / records)
            .collect();
        let ncp = per_attribute.iter().sum::<f64>() / self.dimensions.len() as f64;
        Some(MondrianResult { partitions: done, ncp, per_attribute })
    }

    /// The label partition `p` shows on dimension `d`: `lo-hi` (or the value) for
    /// numbers, the hierarchy label for categories.
    pub fn label(&self, p: &Partition, d: usize) -> String {
        match (&self.dimensions[d], p.extents[d]) {
            (_, Extent::Range { low, high }) if low == high => format!("{low}"),
            (_, Extent::Range { low, high }) if low.is_finite() => format!("{low}-{high}"),
            (_, Extent::Range { .. }) => String::new(),
            (Dimension::Categorical { hierarchy, .. }, Extent::Node { level, code }) => {
                hierarchy.levels()[level].labels()[code as usize].clone()
            }
            _ => unreachable!("numeric extents are ranges"),
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
