//! From a logical [`AnonymizationSpec`] to a validated physical [`Plan`].
//!
//! The spec says *what* to achieve (roles, hierarchies, models, suppression
//! limit, metric) and is built from a config file, flags or JSON alike. Planning
//! validates it against the table once (every user fault is reported here, before
//! any search) and decides *how*: key width, lattice size, optimal or heuristic search.

use std::fmt::Write;

use anonlab_table::hierarchy::{Generalization, Hierarchy};
use anonlab_table::{DataType, Table};
use serde::Serialize;

use crate::check::{Checker, ResearchSubset};
use crate::error::{Error, Result};
use crate::identifiers::{IdentifierAction, IdentifierSpec, PseudonymKey};
use crate::key::KeyLayout;
use crate::lattice::Lattice;
use crate::metrics::{MetricKind, QualityMetric};
use crate::models::{Criterion, Monotonicity, PrivacyModel, SampleCheck, t_closeness_reference};
use crate::search::{SearchMode, SearchOptions};

/// A quasi-identifier and its generalization hierarchy.
#[derive(Debug, Clone)]
pub struct QuasiIdentifierSpec {
    /// Column name.
    pub column: String,
    /// Its hierarchy (loaded or built).
    pub hierarchy: Hierarchy,
}

/// A sensitive attribute, with a hierarchy where hierarchical t-closeness needs one.
#[derive(Debug, Clone)]
pub struct SensitiveSpec {
    /// Column name.
    pub column: String,
    /// Its hierarchy, if any.
    pub hierarchy: Option<Hierarchy>,
}

/// What to achieve: the logical plan.
#[derive(Debug, Clone, Default)]
pub struct AnonymizationSpec {
    /// Columns generalized by the search.
    pub quasi_identifiers: Vec<QuasiIdentifierSpec>,
    /// Columns protected by l-diversity / t-closeness; released unchanged.
    pub sensitive: Vec<SensitiveSpec>,
    /// Direct identifiers and their treatment (removed by default).
    pub identifying: Vec<IdentifierSpec>,
    /// The key for pseudonyms (required when any identifier is pseudonymized).
    pub pseudonym_key: Option<PseudonymKey>,
    /// Privacy models, all of which must hold.
    pub models: Vec<PrivacyModel>,
    /// Largest fraction of records that may be suppressed (ARX semantics).
    pub suppression_limit: f64,
    /// Quality metric to minimize.
    pub metric: MetricKind,
    /// Loss only: ARX's generalization/suppression factor in [0, 1] (0.5 when
    /// unset; lower values make suppression cheaper than generalization).
    pub gs_factor: Option<f64>,
    /// How to search.
    pub search: SearchOptions,
    /// Sorted row indices of the research subset (the sample to publish) when
    /// δ-presence or k-map with a population table make the input the population
    /// (see [`crate::subset::match_rows`]).
    pub research_subset: Option<Vec<u32>>,
}

/// A prepared quasi-identifier.
#[derive(Debug, Clone)]
pub struct PlannedQuasiIdentifier {
    /// Column index in the table.
    pub column: usize,
    /// Column name.
    pub name: String,
    /// The validated hierarchy.
    pub generalization: Generalization,
}

/// How the plan will search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Exhaustive in effect: the globally optimal transformation.
    Optimal,
    /// Best-first with a budget; the best transformation found.
    Heuristic,
    /// Mondrian local recoding: each class generalized on its own.
    Mondrian,
    /// MDAV microaggregation: numeric quasi-identifiers replaced by group means.
    Microaggregation,
    /// Iterative local recoding: lattice searches on the records still suppressed.
    Iterative,
}

/// A validated, executable plan over one table.
#[derive(Debug)]
pub struct Plan<'t> {
    pub(crate) table: &'t Table,
    pub(crate) qis: Vec<PlannedQuasiIdentifier>,
    pub(crate) sensitive_columns: Vec<usize>,
    pub(crate) identifying: Vec<(usize, IdentifierAction)>,
    pub(crate) pseudonym_key: Option<PseudonymKey>,
    pub(crate) models: Vec<PrivacyModel>,
    pub(crate) checker: Checker,
    pub(crate) metric: QualityMetric,
    pub(crate) lattice: Lattice,
    pub(crate) layout: KeyLayout,
    pub(crate) strategy: Strategy,
    pub(crate) options: SearchOptions,
    pub(crate) suppression_limit: f64,
    /// Optimal search resolves anonymity during evaluation instead of in a
    /// border phase first (see `search::optimal`); set for iterative local recoding.
    pub(crate) check_lazily: bool,
}

fn unique_role(seen: &mut Vec<String>, column: &str) -> Result<()> {
    if seen.iter().any(|c| c == column) {
        return Err(Error::spec(format!("column '{column}' is given more than one role")));
    }
    seen.push(column.to_string());
    Ok(())
}

impl AnonymizationSpec {
    /// Validates the spec against `table` and plans the search.
    pub fn plan<'t>(&self, table: &'t Table) -> Result<Plan<'t>> {
        let rows = table.row_count();
        if rows == 0 {
            return Err(Error::spec(format!(
                "{}the table has no data rows",
                table.source().map(|p| format!("{}: ", p.display())).unwrap_or_default()
            )));
        }
        if self.quasi_identifiers.is_empty() {
            return Err(Error::spec("no quasi-identifier: give at least one column the role quasi-identifier"));
        }
        if self.models.is_empty() {
            return Err(Error::spec("no privacy model: set k, l-diversity or t-closeness"));
        }
        if !(0.0..=1.0).contains(&self.suppression_limit) {
            return Err(Error::spec(format!(
                "suppression_limit must be a fraction in [0, 1], got {}",
                self.suppression_limit
            )));
        }
        let mut seen = Vec::new();
        for c in self.quasi_identifiers.iter().map(|q| &q.column).chain(self.sensitive.iter().map(|s| &s.column)) {
            unique_role(&mut seen, c)?;
        }
        for c in &self.identifying {
            unique_role(&mut seen, &c.column)?;
        }

        // Quasi-identifiers in input column order, as ARX orders transformation vectors.
        let mut qis = Vec::with_capacity(self.quasi_identifiers.len());
        for q in &self.quasi_identifiers {
            let column = table.column_index(&q.column)?;
            let generalization = Generalization::try_new(table.column(column), &q.hierarchy)?;
            if generalization.max_level() > u8::MAX as usize {
                return Err(Error::spec(format!("hierarchy of '{}' has more than 255 levels", q.column)));
            }
            qis.push(PlannedQuasiIdentifier { column, name: q.column.clone(), generalization });
        }
        qis.sort_by_key(|q| q.column);

        let mut sensitive_columns = Vec::new();
        let mut sensitive_hierarchies = Vec::new();
        for s in &self.sensitive {
            let column = table.column_index(&s.column)?;
            let generalization = match &s.hierarchy {
                Some(h) => Some(Generalization::try_new(table.column(column), h)?),
                None => None,
            };
            sensitive_columns.push(column);
            sensitive_hierarchies.push(generalization);
        }
        let mut identifying = Vec::with_capacity(self.identifying.len());
        for id in &self.identifying {
            if matches!(id.action, IdentifierAction::Pseudonym(_)) && self.pseudonym_key.is_none() {
                return Err(Error::spec(format!(
                    "column '{}' is to be pseudonymized but no key is configured: set [identifiers] key_file \
                     or key_env (keys are never taken from the command line)",
                    id.column
                )));
            }
            identifying.push((table.column_index(&id.column)?, id.action.clone()));
        }

        let subset = self.research_subset(table, sensitive_columns.len())?;
        // ARX's N: the research subset's size when there is one, else every row.
        let records = subset.as_ref().map_or(rows, |s| s.rows.len() as u64);
        let criteria = self.prepare_models(table, records, &sensitive_columns, &sensitive_hierarchies)?;
        let max_outliers = (self.suppression_limit * records as f64).floor() as u64;
        let hierarchies: Vec<&Generalization> = qis.iter().map(|q| &q.generalization).collect();
        let frequencies: Vec<Vec<u64>> = qis
            .iter()
            .map(|q| {
                let column = table.column(q.column);
                match &subset {
                    None => column.frequencies(),
                    Some(s) => {
                        let mut f = vec![0u64; column.distinct()];
                        s.rows.iter().for_each(|&r| f[column.codes()[r as usize] as usize] += 1);
                        f
                    }
                }
            })
            .collect();
        let gs_factor = self.gs_factor.unwrap_or(match self.search.mode {
            SearchMode::Iterative => crate::local::ITERATIVE_GS_FACTOR,
            _ => crate::metrics::DEFAULT_GS_FACTOR,
        });
        if !(0.0..=1.0).contains(&gs_factor) {
            return Err(Error::spec(format!("[quality] gs_factor must be in [0, 1], got {gs_factor}")));
        }
        let metric = QualityMetric::prepare_with_gs_factor(self.metric, &hierarchies, &frequencies, records, gs_factor);
        let stars = qis
            .iter()
            .map(|q| {
                let levels = q.generalization.levels();
                levels.iter().map(|l| l.labels().iter().position(|v| v == "*").map(|p| p as u32)).collect()
            })
            .collect();
        let mut checker = Checker::new(criteria, max_outliers, records, metric.needs_outliers_by_value())
            .with_sample_context(stars, &metric);
        if let Some(subset) = subset {
            checker = checker.with_subset(subset);
        }

        let lattice = Lattice::new(qis.iter().map(|q| q.generalization.max_level() as u8).collect())
            .ok_or_else(|| Error::spec("the generalization lattice has more than 2^64 transformations"))?;
        let layout = KeyLayout::new(&qis.iter().map(|q| table.column(q.column).distinct()).collect::<Vec<_>>());
        if layout.bits() > 128 {
            return Err(Error::spec(format!(
                "the quasi-identifiers have too many distinct values to group ({} bits needed, at most 128): \
                 use fewer quasi-identifiers or coarser input values",
                layout.bits()
            )));
        }
        let strategy = match self.search.mode {
            SearchMode::Optimal => Strategy::Optimal,
            SearchMode::Heuristic => Strategy::Heuristic,
            SearchMode::Mondrian => Strategy::Mondrian,
            SearchMode::Microaggregation => Strategy::Microaggregation,
            SearchMode::Iterative => Strategy::Iterative,
            SearchMode::Auto if lattice.size() > self.search.heuristic_threshold => Strategy::Heuristic,
            SearchMode::Auto => Strategy::Optimal,
        };
        if strategy == Strategy::Microaggregation {
            if let Some(other) = self.models.iter().find(|m| !matches!(m, PrivacyModel::KAnonymity(_))) {
                return Err(Error::spec(format!(
                    "microaggregation guarantees k-anonymity only; {} needs generalization (use mode \"mondrian\" or a lattice search)",
                    other.describe()
                )));
            }
            for q in &qis {
                let column = table.column(q.column);
                if !matches!(column.data_type(), DataType::Integer | DataType::Decimal) {
                    return Err(Error::spec(format!(
                        "microaggregation needs numeric quasi-identifiers; declare column '{}' type = \"integer\" or \"decimal\" (it is {})",
                        q.name,
                        column.data_type().name()
                    )));
                }
                if let Some(row) = column.null_code().and_then(|null| column.codes().iter().position(|&c| c == null)) {
                    return Err(Error::spec(format!(
                        "microaggregation needs a value in every row; column '{}' is empty on data row {}",
                        q.name,
                        row + 1
                    )));
                }
            }
        }
        if strategy == Strategy::Iterative && self.search.iterations == 0 {
            return Err(Error::spec("[search] iterations must be at least 1 for iterative local recoding"));
        }
        // Local recodings form classes row set by row set (iterative recoding also
        // merges classes of different steps that read the same); only per-class
        // models are known to hold there, and they are checked on those classes.
        let local = match strategy {
            Strategy::Mondrian => Some("Mondrian"),
            Strategy::Iterative => Some("iterative local recoding"),
            _ => None,
        };
        if let Some(local) = local
            && let Some(other) = self.models.iter().find(|m| {
                !matches!(m, PrivacyModel::KAnonymity(_) | PrivacyModel::LDiversity(_) | PrivacyModel::TCloseness(_))
            })
        {
            return Err(Error::spec(format!(
                "{local} supports k-anonymity, l-diversity and t-closeness; {} needs a global transformation \
                 (use mode \"auto\")",
                other.describe()
            )));
        }
        if strategy == Strategy::Optimal && lattice.size() > crate::search::MAX_OPTIMAL_LATTICE {
            return Err(Error::spec(format!(
                "the lattice has {} transformations, too many for optimal search (at most {}): use the heuristic mode",
                lattice.size(),
                crate::search::MAX_OPTIMAL_LATTICE
            )));
        }
        Ok(Plan {
            table,
            qis,
            sensitive_columns,
            identifying,
            pseudonym_key: self.pseudonym_key.clone(),
            models: self.models.clone(),
            checker,
            metric,
            lattice,
            layout,
            strategy,
            options: self.search.clone(),
            suppression_limit: self.suppression_limit,
            check_lazily: false,
        })
    }

    /// The research subset, validated: given exactly when a model needs one,
    /// and not combined with models on sensitive attributes.
    fn research_subset(&self, table: &Table, sensitive: usize) -> Result<Option<ResearchSubset>> {
        let needs = self.models.iter().find(|m| m.needs_subset());
        let Some(rows) = &self.research_subset else {
            return match needs {
                Some(m) => Err(Error::spec(format!(
                    "{} needs a research subset: the rows of the input to publish (subset = \"FILE\")",
                    m.describe()
                ))),
                None => Ok(None),
            };
        };
        if needs.is_none() {
            return Err(Error::spec(
                "a research subset is given but no model uses it (delta_presence, k_map with subset)",
            ));
        }
        if let Some(m) = self.models.iter().find(|m| m.attribute().is_some()) {
            return Err(Error::spec(format!(
                "{} cannot be combined with a research subset: l-diversity and t-closeness are checked on the whole \
                 table, while a subset publishes only its own records",
                m.describe()
            )));
        }
        if rows.is_empty() {
            return Err(Error::spec("the research subset is empty"));
        }
        if rows.windows(2).any(|w| w[0] >= w[1]) || rows.last().is_some_and(|&r| r as usize >= table.rows()) {
            return Err(Error::spec("research subset rows must be sorted, distinct row indices of the input"));
        }
        Ok(Some(ResearchSubset::new(rows.clone(), table.rows(), sensitive)))
    }

    fn prepare_models(
        &self,
        table: &Table,
        rows: u64,
        sensitive_columns: &[usize],
        sensitive_hierarchies: &[Option<Generalization>],
    ) -> Result<Vec<Criterion>> {
        let mut criteria = Vec::new();
        for model in &self.models {
            let attribute = match model.attribute() {
                None => None,
                Some(name) => {
                    let j = self.sensitive.iter().position(|s| s.column == name).ok_or_else(|| {
                        Error::spec(format!(
                            "{} protects '{name}', which is not a sensitive attribute: give it role = \"sensitive\"",
                            model.describe()
                        ))
                    })?;
                    Some(j)
                }
            };
            let criterion = match (model, attribute) {
                (PrivacyModel::KAnonymity(m), _) => {
                    if m.k == 0 {
                        return Err(Error::spec("k must be at least 1"));
                    }
                    if m.k > rows {
                        return Err(Error::spec(format!(
                            "k = {} is larger than the table ({rows} rows): no release can be {}-anonymous",
                            m.k, m.k
                        )));
                    }
                    Criterion::KAnonymity(m.k)
                }
                (PrivacyModel::LDiversity(m), Some(j)) => {
                    let column = table.column(sensitive_columns[j]);
                    let check =
                        m.prepare(column.distinct()).map_err(|e| Error::spec(format!("{}: {e}", m.describe())))?;
                    Criterion::LDiversity(j, check)
                }
                (PrivacyModel::TCloseness(m), Some(j)) => {
                    let column = table.column(sensitive_columns[j]);
                    let frequencies = column.frequencies();
                    let order = type_order(column);
                    let ups: Option<Vec<&[u32]>> = sensitive_hierarchies[j]
                        .as_ref()
                        .map(|g| g.levels()[..g.max_level()].iter().map(|l| l.up()).collect());
                    let check = m
                        .prepare(t_closeness_reference(&frequencies, &order, ups.as_deref()))
                        .map_err(|e| Error::spec(format!("{}: {e}", m.describe())))?;
                    Criterion::TCloseness(j, check)
                }
                (PrivacyModel::AverageRisk(m), _) => {
                    let check = m.prepare().map_err(|e| Error::spec(format!("average_risk: {e}")))?;
                    // ARX flags the model monotonic throughout; with a bound on records
                    // at risk, enforcing it by suppressing the smallest classes is not
                    // (the brute-force oracle found a node passing below a failing one).
                    let with_suppression = m.records_at_risk.is_none();
                    let monotonic = Monotonicity { with_generalization: true, with_suppression };
                    Criterion::Sample(SampleCheck::AverageRisk(check), monotonic)
                }
                (PrivacyModel::PopulationUniqueness(m), _) => {
                    let check = m.prepare(rows).map_err(|e| Error::spec(format!("population_uniqueness: {e}")))?;
                    let monotonic = Monotonicity {
                        with_generalization: m.monotonic_with_generalization(),
                        with_suppression: false,
                    };
                    Criterion::Sample(SampleCheck::PopulationUniqueness(check), monotonic)
                }
                // ARX derives k' from all input rows even with a subset ("TODO: consider subset").
                (PrivacyModel::KMap(m), _) => {
                    Criterion::KMap(m.prepare(table.row_count()).map_err(|e| Error::spec(format!("k_map: {e}")))?)
                }
                (PrivacyModel::DeltaPresence(m), _) => {
                    Criterion::DeltaPresence(m.prepare().map_err(|e| Error::spec(format!("delta_presence: {e}")))?)
                }
                _ => return Err(Error::internal("model without attribute")),
            };
            criteria.push(criterion);
        }
        Ok(criteria)
    }
}

/// Codes of a column in its type's order, NULL last (string columns by text).
fn type_order(column: &anonlab_table::Column) -> Vec<u32> {
    let mut order: Vec<u32> = (0..column.distinct() as u32).filter(|&c| Some(c) != column.null_code()).collect();
    if *column.data_type() == DataType::String {
        let dict = column.dictionary();
        order.sort_by(|&a, &b| dict[a as usize].cmp(&dict[b as usize]));
    }
    order.extend(column.null_code());
    order
}

impl Plan<'_> {
    /// The lattice being searched.
    pub fn lattice(&self) -> &Lattice {
        &self.lattice
    }

    /// The chosen strategy.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// Quasi-identifiers in input column order (the order of transformation vectors).
    pub fn quasi_identifiers(&self) -> &[PlannedQuasiIdentifier] {
        &self.qis
    }

    /// The table being anonymized.
    pub fn table(&self) -> &Table {
        self.table
    }

    /// The configured models.
    pub fn models(&self) -> &[PrivacyModel] {
        &self.models
    }

    /// The metric being minimized.
    pub fn metric_kind(&self) -> MetricKind {
        self.metric.kind()
    }

    /// The absolute suppression limit (records).
    pub fn max_outliers(&self) -> u64 {
        self.checker.max_outliers()
    }

    /// The suppression limit as given (fraction).
    pub fn suppression_limit(&self) -> f64 {
        self.suppression_limit
    }

    /// Records in the research subset, when the models define one.
    pub fn research_subset_rows(&self) -> Option<u64> {
        self.checker.subset().map(|s| s.rows.len() as u64)
    }

    /// A human description of how the plan will run (`--explain`).
    pub fn explain(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "rows: {}", self.table.row_count());
        let _ = writeln!(
            s,
            "quasi-identifiers (in column order): {}",
            self.qis
                .iter()
                .map(|q| format!(
                    "{} (levels 0..={}, {} values)",
                    q.name,
                    q.generalization.max_level(),
                    self.table.column(q.column).distinct()
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ =
            writeln!(s, "models: {}", self.models.iter().map(PrivacyModel::describe).collect::<Vec<_>>().join(" + "));
        if let Some(n) = self.research_subset_rows() {
            let _ = writeln!(
                s,
                "research subset: {n} of the {} rows (the input is the population)",
                self.table.row_count()
            );
        }
        let _ = writeln!(
            s,
            "suppression: at most {} records ({}), minimal class size {}",
            self.checker.max_outliers(),
            self.suppression_limit,
            self.checker.min_class_size()
        );
        let _ = writeln!(
            s,
            "metric: {} ({}monotonic here)",
            self.metric.kind().name(),
            if self.metric.is_monotonic(self.checker.max_outliers() > 0 || self.suppression_limit > 0.0) {
                ""
            } else {
                "not "
            }
        );
        let _ = writeln!(
            s,
            "privacy models monotonic here: {}",
            if self.checker.is_monotonic() {
                "yes (anonymity predicted up and down the lattice)"
            } else {
                "no (k-anonymity sub-property predicted, the rest checked)"
            }
        );
        let _ = writeln!(s, "lattice: {} transformations, height {}", self.lattice.size(), self.lattice.height());
        let key = match self.layout.bits() {
            0..=32 => "u32",
            33..=64 => "u64",
            _ => "u128",
        };
        let _ = writeln!(s, "class keys: {} bits ({key})", self.layout.bits());
        let _ = writeln!(
            s,
            "strategy: {:?}{}",
            self.strategy,
            match self.strategy {
                Strategy::Optimal =>
                    " (Flash-style binary search for the anonymity border, then exact evaluation in bound order)"
                        .to_string(),
                Strategy::Microaggregation => " (MDAV on standardized numeric quasi-identifiers)".to_string(),
                Strategy::Mondrian => {
                    " (strict multidimensional partitioning; integer and decimal columns split at the median)"
                        .to_string()
                }
                Strategy::Heuristic => format!(
                    " (best-first; step limit {:?}, time limit {:?})",
                    self.options.step_limit, self.options.time_limit_ms
                ),
                Strategy::Iterative => format!(
                    " (ARX-style: lattice search, then again on the suppressed records; each step places at least \
                     1/{} of all records)",
                    self.options.iterations
                ),
            }
        );
        let _ = writeln!(s, "threads: {}", rayon::current_num_threads());
        s
    }
}
