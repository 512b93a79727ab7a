//! Checking one transformation: which classes fail, how many records that
//! suppresses, and whether the transformation is anonymous.
//!
//! Three kinds of model meet here, in ARX's order: the minimal class size
//! (k, ⌈l⌉, an estimated k-map), per-class models (δ-presence first, then
//! k-map with a population table, l-diversity, t-closeness), and sample-based
//! models (average risk, population uniqueness), which hold for the release as
//! a whole and are enforced by suppressing the smallest remaining classes.
//!
//! With a research subset the class table groups the whole population; a
//! hidden 0/1 "in the subset" attribute rides along as one more histogram, so a
//! class's sample count is its count of 1s and the hot loop of the plain k/l/t
//! path is untouched.

use crate::classes::{ClassTable, Histograms, SizeFloor};
use crate::key::{KeyLayout, PackedKey};
use crate::metrics::{NodeSummary, QualityMetric};
use crate::models::{Criterion, Enforcement, SampleCheck};

/// The outcome of checking one node.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Suppressed records are within the limit.
    pub anonymous: bool,
    /// Records in classes below the minimal class size are within the limit
    /// (ARX's "k-anonymous" sub-property, monotonic even where the models are not).
    pub k_anonymous: bool,
    /// Statistics for the metric (complete only when `anonymous`).
    pub summary: NodeSummary,
}

/// Checks class tables against the prepared privacy models.
#[derive(Debug, Clone)]
pub struct Checker {
    criteria: Vec<Criterion>,
    /// The criteria beyond the minimal class size (k-anonymity needs no per-class check).
    class_checks: Vec<Criterion>,
    min_class_size: u64,
    max_outliers: u64,
    rows: u64,
    outliers_by_value: bool,
    /// Classes below this size fail: the minimal class size, or 0 where no model defines one.
    size_floor: u64,
    /// Sample-based models, in configuration order.
    sample_checks: Vec<SampleCheck>,
    /// What sample-based enforcement needs beyond the class table.
    sample_context: SampleContext,
    /// The research subset, when the table is the population.
    subset: Option<ResearchSubset>,
}

/// A research subset: the sample to publish, drawn from the table (the population).
#[derive(Debug, Clone)]
pub struct ResearchSubset {
    /// Sorted row indices of the subset's records in the table.
    pub rows: Vec<u32>,
    /// Per table row, 1 when it is in the subset, else 0 (the hidden attribute).
    pub codes: Vec<u32>,
    /// Index of the hidden attribute among the class table's histograms.
    pub histogram: usize,
}

impl ResearchSubset {
    /// The subset of `table_rows` rows given by sorted, distinct `rows`; its
    /// histogram comes after the `sensitive` attributes' ones.
    pub fn new(rows: Vec<u32>, table_rows: usize, sensitive: usize) -> Self {
        let mut codes = vec![0u32; table_rows];
        for &r in &rows {
            codes[r as usize] = 1;
        }
        ResearchSubset { rows, codes, histogram: sensitive }
    }

    /// Records of each class that are in the subset.
    fn counts(&self, histograms: &Histograms, classes: usize) -> Vec<u64> {
        (0..classes)
            .map(|c| {
                let h = histograms.class(c);
                h.codes.iter().zip(h.counts).find(|&(&code, _)| code == 1).map_or(0, |(_, &n)| n)
            })
            .collect()
    }
}

/// For sample-based models: which label is `*` on each quasi-identifier and
/// level (ARX leaves classes generalized to `*` everywhere out of the risk
/// distribution), and the metric that breaks ties between equally small classes
/// when choosing which to suppress.
#[derive(Debug, Clone, Default)]
struct SampleContext {
    stars: Vec<Vec<Option<u32>>>,
    tie_break: Option<QualityMetric>,
}

impl Checker {
    /// A checker for `rows` records, suppressing at most `max_outliers`.
    pub fn new(criteria: Vec<Criterion>, max_outliers: u64, rows: u64, outliers_by_value: bool) -> Self {
        let min_class_size = criteria.iter().map(Criterion::minimal_class_size).max().unwrap_or(1).max(1);
        // ARX checks δ-presence first: a class without subset records that fails it fails the node.
        let mut class_checks: Vec<Criterion> = criteria.iter().filter(|c| c.is_per_class()).cloned().collect();
        class_checks.sort_by_key(|c| !matches!(c, Criterion::DeltaPresence(_)));
        let sample_checks = criteria
            .iter()
            .filter_map(|c| match c {
                Criterion::Sample(check, _) => Some(check.clone()),
                _ => None,
            })
            .collect();
        let size_floor = if criteria.iter().any(Criterion::defines_minimal_class_size) { min_class_size } else { 0 };
        Checker {
            criteria,
            class_checks,
            min_class_size,
            max_outliers,
            rows,
            outliers_by_value,
            size_floor,
            sample_checks,
            sample_context: SampleContext::default(),
            subset: None,
        }
    }

    /// Counts only the records of `subset` (the table is then the population).
    pub fn with_subset(mut self, subset: ResearchSubset) -> Self {
        self.subset = Some(subset);
        self
    }

    /// Sets what sample-based models need: `stars[qi][level]`, the label code of
    /// `*` on each quasi-identifier and level, and the quality metric, which
    /// orders equally small classes for suppression where ARX does (Loss).
    pub fn with_sample_context(mut self, stars: Vec<Vec<Option<u32>>>, metric: &QualityMetric) -> Self {
        self.sample_context = SampleContext { stars, tie_break: metric.orders_classes().then(|| metric.clone()) };
        self
    }

    /// The research subset, if the models define one.
    pub fn subset(&self) -> Option<&ResearchSubset> {
        self.subset.as_ref()
    }

    /// True when [`Checker::check_at`] needs the node's levels (sample-based models).
    pub fn needs_levels(&self) -> bool {
        !self.sample_checks.is_empty()
    }

    /// True when the order of classes matters: sample-based models suppress
    /// equally small classes in order of first row, as ARX does.
    pub fn needs_first_row_order(&self) -> bool {
        !self.sample_checks.is_empty()
    }

    /// True when class tables must carry histograms (sensitive attributes or the subset).
    pub fn needs_histograms(&self) -> bool {
        self.subset.is_some() || self.criteria.iter().any(|c| c.sensitive().is_some())
    }

    /// What proves a node fails before its classes are complete: more records
    /// in classes below the minimal class size than may be suppressed (every
    /// model fails then). `None` without a minimal class size, or with a
    /// research subset, where class sizes count only the subset's records.
    pub fn size_floor(&self) -> Option<SizeFloor> {
        (self.size_floor > 1 && self.subset.is_none()).then_some(SizeFloor {
            size: self.size_floor,
            max_outliers: self.max_outliers,
            records: self.rows,
        })
    }

    /// The largest number of records that may be suppressed.
    pub fn max_outliers(&self) -> u64 {
        self.max_outliers
    }

    /// ARX's minimal class size (max of k and ⌈l⌉).
    pub fn min_class_size(&self) -> u64 {
        self.min_class_size
    }

    /// The prepared criteria.
    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    /// True when the combined models keep failing-record sets shrinking under
    /// generalization for this suppression setting (ARX's FULL monotonicity).
    pub fn is_monotonic(&self) -> bool {
        let generalization = self.criteria.iter().all(Criterion::monotonic_with_generalization);
        generalization && (self.max_outliers == 0 || self.criteria.iter().all(Criterion::monotonic_with_suppression))
    }

    /// True when a node can satisfy the models only if the top node does: the
    /// models pass under merging of classes. δ-presence (a suppressed class's
    /// records change the top's ratio) and population uniqueness (estimates are
    /// not monotonic) break this, so a search must not stop at a failing top.
    pub fn top_is_decisive(&self) -> bool {
        self.criteria.iter().all(|c| c.monotonic_with_generalization() && !matches!(c, Criterion::DeltaPresence(_)))
    }

    /// Marks failing classes in `suppressed` (one flag per class) and returns
    /// the node's outcome. Without the node's levels, no class counts as
    /// generalized to `*` for sample-based models; see [`Checker::check_at`].
    pub fn check<K: PackedKey>(
        &self,
        table: &ClassTable<K>,
        layout: &KeyLayout,
        suppressed: &mut Vec<bool>,
    ) -> Checked {
        self.check_at(table, layout, None, suppressed)
    }

    /// [`Checker::check`] for the node at `levels`.
    pub fn check_at<K: PackedKey>(
        &self,
        table: &ClassTable<K>,
        layout: &KeyLayout,
        levels: Option<&[u8]>,
        suppressed: &mut Vec<bool>,
    ) -> Checked {
        let population = table.counts();
        let subset_counts = self.subset.as_ref().map(|s| s.counts(table.histograms(s.histogram), table.len()));
        let counts = subset_counts.as_deref().unwrap_or(population);
        suppressed.clear();
        suppressed.resize(counts.len(), false);
        let mut outliers = 0u64;
        for (c, &n) in counts.iter().enumerate() {
            if n < self.size_floor {
                // A class without subset records has nothing to suppress (ARX keeps its flag clear).
                suppressed[c] = n > 0;
                outliers += n;
            }
        }
        let k_anonymous = outliers <= self.max_outliers;
        let mut anonymous = k_anonymous;
        // k alone needs no second pass (measured: the empty pass cost ~5 % of a check).
        if anonymous && !self.class_checks.is_empty() {
            'classes: for (c, &n) in counts.iter().enumerate() {
                if suppressed[c] || n < self.size_floor {
                    continue;
                }
                for criterion in &self.class_checks {
                    let histogram = criterion.sensitive().map(|j| table.histograms(j).class(c));
                    if !criterion.passes_in_population(n, population[c], histogram) {
                        if n == 0 {
                            // Public records without a subset record cannot be suppressed:
                            // failing δ-presence there fails the node (ARX's `dpresent`).
                            if matches!(criterion, Criterion::DeltaPresence(_)) {
                                anonymous = false;
                                break 'classes;
                            }
                            break;
                        }
                        suppressed[c] = true;
                        outliers += n;
                        if outliers > self.max_outliers {
                            anonymous = false;
                            break 'classes;
                        }
                        break;
                    }
                }
            }
        }
        if anonymous && !self.sample_checks.is_empty() {
            let arx_outliers = self.enforce_samples(table, layout, levels, counts, suppressed);
            anonymous = arx_outliers <= self.max_outliers;
            // Metrics see every flagged record as suppressed, `*`-classes included.
            outliers = counts.iter().zip(suppressed.iter()).filter(|&(_, &s)| s).map(|(&n, _)| n).sum();
        }
        let summary = if anonymous {
            self.summarize(table, layout, counts, suppressed, outliers)
        } else {
            NodeSummary::default()
        };
        Checked { anonymous, k_anonymous, summary }
    }

    /// Suppresses classes until every sample-based model holds (ARX's
    /// `analyzeSampleBasedCriteria`), returning ARX's count of suppressed records,
    /// which leaves out classes generalized to `*` everywhere, or `u64::MAX`
    /// when a model still fails after enforcement.
    fn enforce_samples<K: PackedKey>(
        &self,
        table: &ClassTable<K>,
        layout: &KeyLayout,
        levels: Option<&[u8]>,
        counts: &[u64],
        suppressed: &mut [bool],
    ) -> u64 {
        let stars = &self.sample_context.stars;
        let complete = |c: usize| {
            levels.is_some_and(|levels| {
                levels
                    .iter()
                    .enumerate()
                    .all(|(d, &l)| stars.get(d).and_then(|s| s[l as usize]) == Some(layout.get(table.keys()[c], d)))
            })
        };
        let mut entries: Vec<(usize, u64)> = Vec::new();
        let mut outliers = 0u64;
        for (c, &n) in counts.iter().enumerate() {
            if complete(c) {
                continue;
            }
            if suppressed[c] {
                outliers += n;
            } else if n > 0 {
                entries.push((c, n));
            }
        }
        // ARX's order: size, then (for Loss) the class's own loss, then the representative (first row).
        match (&self.sample_context.tie_break, levels) {
            (Some(metric), Some(levels)) => {
                let loss = |(c, n): (usize, u64)| {
                    metric.class_value(levels, |d| layout.get(table.keys()[c], d), n).unwrap_or(0.0)
                };
                entries.sort_by(|&a, &b| a.1.cmp(&b.1).then(loss(a).total_cmp(&loss(b))).then(a.0.cmp(&b.0)));
            }
            _ => entries.sort_by_key(|&(c, n)| (n, c)),
        }
        for check in &self.sample_checks {
            let mut enforcement = Enforcement::new(std::mem::take(&mut entries), outliers);
            let fulfilled = enforcement.enforce(check, self.max_outliers);
            for c in enforcement.suppressed_classes() {
                suppressed[c] = true;
            }
            outliers = enforcement.suppressed_records;
            if !fulfilled {
                return u64::MAX;
            }
            if outliers > self.max_outliers {
                break;
            }
            entries = enforcement.retained().collect();
        }
        outliers
    }

    fn summarize<K: PackedKey>(
        &self,
        table: &ClassTable<K>,
        layout: &KeyLayout,
        counts: &[u64],
        suppressed: &[bool],
        outliers: u64,
    ) -> NodeSummary {
        // Classes without subset records exist only with a subset; every metric skips them.
        let classes = if self.subset.is_some() { counts.iter().filter(|&&n| n > 0).count() } else { counts.len() };
        let mut s = NodeSummary { rows: self.rows, outliers, classes: classes as u64, ..NodeSummary::default() };
        // Suppressed records per generalized value, counted densely per attribute.
        let mut by_value: Vec<Vec<u64>> = if self.outliers_by_value && outliers > 0 {
            (0..layout.dimensions()).map(|d| vec![0; layout.mask(d) as usize + 1]).collect()
        } else {
            Vec::new()
        };
        for (c, &n) in counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let sq = n as u128 * n as u128;
            s.squares_all += sq;
            if suppressed[c] {
                for (d, values) in by_value.iter_mut().enumerate() {
                    values[layout.get(table.keys()[c], d) as usize] += n;
                }
            } else {
                s.kept_classes += 1;
                s.squares_kept += sq;
                s.min_class_size = Some(s.min_class_size.map_or(n, |m| m.min(n)));
            }
        }
        if self.outliers_by_value {
            s.outliers_by_value = (0..layout.dimensions())
                .map(|d| {
                    by_value.get(d).map_or_else(Vec::new, |values| {
                        values.iter().enumerate().filter(|&(_, &n)| n > 0).map(|(g, &n)| (g as u32, n)).collect()
                    })
                })
                .collect();
        }
        s
    }
}
