//! The machine-readable report of an anonymization (`report.json`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::anonymize::Anonymization;
use crate::local::RecodingStep;
use crate::metrics::MetricKind;
use crate::plan::{Plan, Strategy};

/// One quasi-identifier's part of the transformation.
#[derive(Debug, Clone, Serialize)]
pub struct AttributeReport {
    /// Column name.
    pub name: String,
    /// Chosen generalization level (none for local recoding).
    pub level: Option<u8>,
    /// Highest level of its hierarchy.
    pub max_level: usize,
    /// Distinct values in the input.
    pub distinct_before: usize,
    /// Distinct labels at the chosen level (none for local recoding).
    pub distinct_after: Option<usize>,
    /// This attribute's share of the metric, where the metric is per attribute.
    pub loss: Option<f64>,
}

/// What changed and what it cost.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Level per quasi-identifier, in input column order (empty for local recoding).
    pub transformation: Vec<u8>,
    /// The metric's value (ARX's definition and scale; NCP for Mondrian).
    pub information_loss: f64,
    /// The metric's config name.
    pub metric: String,
    /// Per-attribute loss, by column name.
    pub per_attribute_loss: BTreeMap<String, f64>,
    /// Rows shown as `*` in every quasi-identifier.
    pub suppressed_rows: u64,
    /// Equivalence classes of the release, the suppressed records not counted.
    pub equivalence_classes: u64,
    /// Smallest equivalence class of the release.
    pub min_class_size: Option<u64>,
    /// Equivalence classes in the input (over the quasi-identifiers).
    pub input_classes: usize,
    /// Transformations whose classes were built and checked.
    pub transformations_checked: u64,
    /// Transformations in the lattice.
    pub lattice_size: u64,
    /// `optimal` or `heuristic`.
    pub strategy: Strategy,
    /// True when the result is proven globally optimal.
    pub optimal: bool,
    /// Privacy models, described.
    pub models: Vec<String>,
    /// Suppression limit as given (fraction of rows).
    pub suppression_limit: f64,
    /// Suppression limit in records.
    pub max_suppressed_rows: u64,
    /// Rows in the input.
    pub rows: u64,
    /// With δ-presence or k-map on a population table: the research subset's
    /// records, the only rows released (the input is the population).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub research_subset_rows: Option<u64>,
    /// Per quasi-identifier details.
    pub attributes: Vec<AttributeReport>,
    /// Search and release time in milliseconds.
    pub elapsed_ms: f64,
    /// Peak resident memory of the whole process, where the caller can tell.
    pub peak_rss_bytes: Option<u64>,
    /// Iterative local recoding: the transformation of each step and the records it placed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recoding_steps: Vec<RecodingStep>,
}

impl Report {
    /// Builds the report of `result` produced by `plan`.
    pub fn new(plan: &Plan<'_>, result: &Anonymization<'_>) -> Self {
        let loss = &result.found.loss;
        let attributes: Vec<AttributeReport> = plan
            .quasi_identifiers()
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let level = result.found.levels.get(i).copied();
                AttributeReport {
                    name: q.name.clone(),
                    level,
                    max_level: q.generalization.max_level(),
                    distinct_before: plan.table().column(q.column).distinct(),
                    distinct_after: level.map(|l| q.generalization.levels()[l as usize].labels().len()),
                    loss: loss.per_attribute.get(i).copied(),
                }
            })
            .collect();
        Report {
            transformation: result.found.levels.clone(),
            information_loss: loss.value,
            metric: match plan.strategy() {
                Strategy::Mondrian => "ncp".into(),
                Strategy::Microaggregation => "sse-sst".into(),
                // Every step minimizes the configured metric; the release as a whole is measured by Loss.
                Strategy::Iterative => MetricKind::Loss.name().to_string(),
                Strategy::Optimal | Strategy::Heuristic => plan.metric_kind().name().to_string(),
            },
            per_attribute_loss: attributes.iter().filter_map(|a| a.loss.map(|l| (a.name.clone(), l))).collect(),
            suppressed_rows: result.release.suppressed_rows(),
            equivalence_classes: result.summary.kept_classes,
            min_class_size: result.summary.min_class_size,
            input_classes: result.input_classes,
            transformations_checked: result.found.checked,
            lattice_size: plan.lattice().size(),
            strategy: plan.strategy(),
            optimal: result.found.optimal,
            models: plan.models().iter().map(|m| m.describe()).collect(),
            suppression_limit: plan.suppression_limit(),
            max_suppressed_rows: plan.max_outliers(),
            rows: plan.table().row_count(),
            research_subset_rows: plan.research_subset_rows(),
            attributes,
            elapsed_ms: result.elapsed.as_secs_f64() * 1e3,
            peak_rss_bytes: None,
            recoding_steps: result.steps.clone(),
        }
    }
}
