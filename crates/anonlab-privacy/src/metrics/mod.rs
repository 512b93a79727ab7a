//! Quality metrics: how much information a transformation loses, with ARX's
//! exact definitions so values can be compared with ARX to the last digit.
//!
//! Every metric gives, per transformation, a cheap *bound* computed from the
//! level vector alone where one exists (never above the true value, and never
//! decreasing under generalization), which the search uses to prune, and an
//! exact *value* from the node's class summary.

mod aecs;
mod discernibility;
mod entropy;
mod height;
mod loss;
mod precision;

use serde::{Deserialize, Serialize};

use anonlab_table::hierarchy::Generalization;

/// The metrics anonlab implements, by their config names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MetricKind {
    /// ARX's default Loss (`createLossMetric()`): gs-factor 0.5, geometric mean, 0–1.
    #[default]
    Loss,
    /// ARX's precomputed non-uniform entropy, monotonic (suppression ignored).
    Entropy,
    /// Non-uniform entropy where suppressed records count as fully generalized.
    EntropyNonmonotonic,
    /// ARX's monotonic discernibility DM*: Σ |class|², suppressed records forming classes as grouped.
    Discernibility,
    /// Discernibility where every suppressed record costs |table|.
    DiscernibilityNonmonotonic,
    /// Average equivalence class size; all suppressed records form one class.
    Aecs,
    /// Sum of generalization levels.
    Height,
    /// Precision (Sweeney): mean relative generalization height, suppressed = 1.
    Precision,
}

/// Every metric with a one-line description (CLI help, reports).
pub const CATALOGUE: &[(MetricKind, &str, &str)] = &[
    (MetricKind::Loss, "loss", "ARX Loss (gs 0.5, geometric mean over attributes), 0–1"),
    (MetricKind::Entropy, "entropy", "non-uniform entropy, monotonic (suppression ignored)"),
    (
        MetricKind::EntropyNonmonotonic,
        "entropy-nonmonotonic",
        "non-uniform entropy, suppressed records fully generalized",
    ),
    (MetricKind::Discernibility, "discernibility", "DM*: sum of squared class sizes"),
    (MetricKind::DiscernibilityNonmonotonic, "discernibility-nonmonotonic", "DM: suppressed records cost |table| each"),
    (MetricKind::Aecs, "aecs", "average equivalence class size"),
    (MetricKind::Height, "height", "sum of generalization levels"),
    (MetricKind::Precision, "precision", "mean relative generalization height, suppressed = 1"),
];

impl MetricKind {
    /// The config name.
    pub fn name(self) -> &'static str {
        CATALOGUE.iter().find(|(k, ..)| *k == self).map_or("?", |(_, n, _)| n)
    }
}

/// What the search knows about a checked node, enough for every metric.
#[derive(Debug, Clone, Default)]
pub struct NodeSummary {
    /// Records in the table (ARX's N).
    pub rows: u64,
    /// Records in suppressed classes.
    pub outliers: u64,
    /// Classes, suppressed ones included.
    pub classes: u64,
    /// Classes that are not suppressed.
    pub kept_classes: u64,
    /// Smallest non-suppressed class.
    pub min_class_size: Option<u64>,
    /// Σ |class|² over all classes.
    pub squares_all: u128,
    /// Σ |class|² over non-suppressed classes.
    pub squares_kept: u128,
    /// Per quasi-identifier, suppressed records per generalized value (label code
    /// at the node's level); filled only for metrics that need it.
    pub outliers_by_value: Vec<Vec<(u32, u64)>>,
}

/// A metric's value for one transformation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Loss {
    /// The aggregated value (ARX's reported information loss).
    pub value: f64,
    /// Per quasi-identifier, where the metric is per attribute.
    pub per_attribute: Vec<f64>,
}

/// ARX's default generalization/suppression factor: a suppressed record costs
/// as much as a fully generalized one.
pub const DEFAULT_GS_FACTOR: f64 = 0.5;

/// Floors to 10 decimals, as ARX rounds per-attribute Loss and entropy values.
pub(crate) fn floor_10(v: f64) -> f64 {
    (v * 1e10).floor() / 1e10
}

/// A metric prepared against the data: per quasi-identifier precomputations.
#[derive(Debug, Clone)]
pub enum QualityMetric {
    /// See [`MetricKind::Loss`].
    Loss(loss::Loss),
    /// See [`MetricKind::Entropy`] and [`MetricKind::EntropyNonmonotonic`].
    Entropy(entropy::Entropy),
    /// See [`MetricKind::Discernibility`] and [`MetricKind::DiscernibilityNonmonotonic`].
    Discernibility(discernibility::Discernibility),
    /// See [`MetricKind::Aecs`].
    Aecs(aecs::Aecs),
    /// See [`MetricKind::Height`].
    Height(height::Height),
    /// See [`MetricKind::Precision`].
    Precision(precision::Precision),
}

impl QualityMetric {
    /// Prepares `kind` for quasi-identifiers with the given hierarchies and
    /// level-0 value frequencies over `rows` records, with ARX's default
    /// generalization/suppression factor.
    pub fn prepare(kind: MetricKind, hierarchies: &[&Generalization], frequencies: &[Vec<u64>], rows: u64) -> Self {
        Self::prepare_with_gs_factor(kind, hierarchies, frequencies, rows, DEFAULT_GS_FACTOR)
    }

    /// As [`QualityMetric::prepare`], with the generalization/suppression
    /// factor in [0, 1] that weighs suppression against generalization (Loss only).
    pub fn prepare_with_gs_factor(
        kind: MetricKind,
        hierarchies: &[&Generalization],
        frequencies: &[Vec<u64>],
        rows: u64,
        gs_factor: f64,
    ) -> Self {
        match kind {
            MetricKind::Loss => QualityMetric::Loss(loss::Loss::new(hierarchies, frequencies, rows, gs_factor)),
            MetricKind::Entropy | MetricKind::EntropyNonmonotonic => {
                QualityMetric::Entropy(entropy::Entropy::new(hierarchies, frequencies, kind == MetricKind::Entropy))
            }
            MetricKind::Discernibility | MetricKind::DiscernibilityNonmonotonic => {
                QualityMetric::Discernibility(discernibility::Discernibility::new(kind == MetricKind::Discernibility))
            }
            MetricKind::Aecs => QualityMetric::Aecs(aecs::Aecs),
            MetricKind::Height => QualityMetric::Height(height::Height),
            MetricKind::Precision => QualityMetric::Precision(precision::Precision::new(hierarchies)),
        }
    }

    /// The generalization/suppression factor (Loss; the default for the others).
    pub fn gs_factor(&self) -> f64 {
        match self {
            QualityMetric::Loss(m) => m.gs_factor(),
            _ => DEFAULT_GS_FACTOR,
        }
    }

    /// The metric's kind.
    pub fn kind(&self) -> MetricKind {
        match self {
            QualityMetric::Loss(_) => MetricKind::Loss,
            QualityMetric::Entropy(e) if e.monotonic() => MetricKind::Entropy,
            QualityMetric::Entropy(_) => MetricKind::EntropyNonmonotonic,
            QualityMetric::Discernibility(d) if d.monotonic() => MetricKind::Discernibility,
            QualityMetric::Discernibility(_) => MetricKind::DiscernibilityNonmonotonic,
            QualityMetric::Aecs(_) => MetricKind::Aecs,
            QualityMetric::Height(_) => MetricKind::Height,
            QualityMetric::Precision(_) => MetricKind::Precision,
        }
    }

    /// True when no generalization of a transformation has a lower value
    /// (ARX's `isMonotonic(suppressionLimit)`: with generalization only when the
    /// limit is 0, with suppression otherwise).
    pub fn is_monotonic(&self, suppression_allowed: bool) -> bool {
        let with_suppression = match self {
            QualityMetric::Entropy(e) => e.monotonic(),
            QualityMetric::Discernibility(d) => d.monotonic(),
            QualityMetric::Height(_) => true,
            QualityMetric::Loss(_) | QualityMetric::Aecs(_) | QualityMetric::Precision(_) => false,
        };
        !suppression_allowed || with_suppression
    }

    /// True when the summary must carry suppressed records per generalized value.
    pub fn needs_outliers_by_value(&self) -> bool {
        match self {
            QualityMetric::Loss(_) => true,
            QualityMetric::Entropy(e) => !e.monotonic(),
            _ => false,
        }
    }

    /// A bound from the level vector alone: at most the value of this node and of
    /// every generalization of it. `None` when the metric has no cheap bound.
    pub fn bound(&self, levels: &[u8]) -> Option<f64> {
        match self {
            QualityMetric::Loss(m) => Some(m.bound(levels)),
            QualityMetric::Entropy(m) => Some(m.bound(levels)),
            QualityMetric::Height(m) => Some(m.value(levels).value),
            QualityMetric::Precision(m) => Some(m.bound(levels)),
            QualityMetric::Discernibility(_) | QualityMetric::Aecs(_) => None,
        }
    }

    /// The exact value when the node suppresses nothing, if the level vector alone
    /// determines it (then the search needs no class table for the value).
    pub fn value_without_outliers(&self, levels: &[u8]) -> Option<Loss> {
        match self {
            QualityMetric::Loss(m) => Some(m.value_without_outliers(levels)),
            QualityMetric::Entropy(m) => Some(m.value_without_outliers(levels)),
            QualityMetric::Height(m) => Some(m.value(levels)),
            QualityMetric::Precision(m) => Some(m.value_without_outliers(levels)),
            QualityMetric::Discernibility(_) | QualityMetric::Aecs(_) => None,
        }
    }

    /// True when the value never depends on suppression (ARX's independent metrics).
    pub fn is_independent(&self) -> bool {
        match self {
            QualityMetric::Entropy(e) => e.monotonic(),
            QualityMetric::Height(_) => true,
            _ => false,
        }
    }

    /// True when ARX orders equally small classes by their own loss when a
    /// sample-based model picks classes to suppress (`HashGroupifyDistribution`:
    /// every metric here but Loss is on its list of metrics ordered by size alone).
    pub fn orders_classes(&self) -> bool {
        matches!(self, QualityMetric::Loss(_))
    }

    /// The loss of one class of `count` records whose label on quasi-identifier
    /// d is `label(d)`, at `levels` (for ordering classes; see [`QualityMetric::orders_classes`]).
    pub fn class_value(&self, levels: &[u8], label: impl Fn(usize) -> u32, count: u64) -> Option<f64> {
        match self {
            QualityMetric::Loss(m) => Some(m.class_value(levels, label, count)),
            _ => None,
        }
    }

    /// The exact value of a checked node.
    pub fn value(&self, levels: &[u8], summary: &NodeSummary) -> Loss {
        match self {
            QualityMetric::Loss(m) => m.value(levels, summary),
            QualityMetric::Entropy(m) => m.value(levels, summary),
            QualityMetric::Discernibility(m) => m.value(summary),
            QualityMetric::Aecs(m) => m.value(summary),
            QualityMetric::Height(m) => m.value(levels),
            QualityMetric::Precision(m) => m.value(levels, summary),
        }
    }
}
