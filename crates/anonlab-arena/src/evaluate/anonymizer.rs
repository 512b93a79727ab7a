//! Running a built-in anonymizer on a challenge's training part.

use std::time::Instant;

use anonlab_privacy::identifiers::IdentifierSpec;
use anonlab_privacy::local::mdav;
use anonlab_privacy::models::{KAnonymity, PrivacyModel};
use anonlab_privacy::search::{SearchMode, SearchOptions};
use anonlab_privacy::{AnonymizationSpec, QuasiIdentifierSpec, Release, SensitiveSpec};
use anonlab_table::datatype::{DataType, infer};
use anonlab_table::hierarchy::{Builder, Hierarchy};
use anonlab_table::io::csv::{CsvOptions, read_csv_bytes};
use anonlab_table::{Column, Table};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::metrics::UtilityMetrics;
use super::split::Split;
use super::utility;
use crate::challenge::{ChallengeSpec, ColumnRole, HierarchySpec};
use crate::error::{Error, Result};
use crate::submission::BuiltinAnonymizer;

/// The field delimiter of every release CSV the evaluator writes.
const RELEASE_DELIMITER: u8 = b',';

/// What a suppressed cell of a quasi-identifier shows (ARX's and the privacy crate's convention).
pub(crate) const SUPPRESSED: &str = anonlab_privacy::release::SUPPRESSED;

/// Suppression limit of microaggregation's first step, the global
/// generalization of the categorical quasi-identifiers: the platform's
/// default for optimal k-anonymity, so the two are comparable.
const MICROAGGREGATION_SUPPRESSION: f64 = 0.05;

/// An anonymizer's release and how useful it is.
#[derive(Debug, Clone)]
pub struct AnonymizerOutcome {
    /// The release as attacks will read it back from `release_csv`, so
    /// scoring and attacks see exactly the stored bytes.
    pub release: Table,
    /// The release as CSV (`,`-separated, RFC 4180 quoting), for the vault.
    pub release_csv: Vec<u8>,
    /// Utility of the release, and the time the anonymization and scoring took.
    pub utility: UtilityMetrics,
}

/// Anonymizes `split.train` with a built-in anonymizer under the challenge's
/// roles and hierarchies, and scores the release.
///
/// The release is row-aligned with `split.train` (row i of the release is
/// row i of the training part) for every built-in anonymizer: utility scoring
/// and the linkage attack rely on it. Identifying columns are removed, also by
/// [`BuiltinAnonymizer::Identity`], which releases everything else unchanged
/// as the reference point of no protection. Quasi-identifiers whose values are
/// all numbers and whose hierarchy is a table or intervals are treated as
/// numbers (Mondrian splits them at medians, microaggregation averages them).
///
/// `seed` is accepted so that a randomized anonymizer is reproducible; the
/// built-in ones are deterministic and ignore it.
///
/// # Errors
/// A spec that does not fit the dataset, a hierarchy that does not cover a
/// value, or settings no release can meet (k larger than the training part,
/// microaggregation without a numeric quasi-identifier).
pub fn run_anonymizer(
    spec: &ChallengeSpec,
    split: &Split,
    anonymizer: &BuiltinAnonymizer,
    seed: u64,
) -> Result<AnonymizerOutcome> {
    let started = Instant::now();
    let _ = seed;
    let header: Vec<String> = split.train.names().map(str::to_string).collect();
    spec.validate(&header)?;
    let release_csv = match anonymizer {
        BuiltinAnonymizer::Identity => identity(spec, &split.train),
        BuiltinAnonymizer::OptimalKAnonymity { k, suppression_limit } => {
            let prepared = Prepared::new(spec, &split.train)?;
            let all: Vec<&PreparedQi> = prepared.qis.iter().collect();
            let plan = privacy_spec(spec, &all, *k, *suppression_limit, SearchMode::Optimal);
            let result = plan.plan(&prepared.table)?.run(&|_| {})?;
            release_csv(&result.release)
        }
        BuiltinAnonymizer::Mondrian { k } => {
            let prepared = Prepared::new(spec, &split.train)?;
            let all: Vec<&PreparedQi> = prepared.qis.iter().collect();
            let plan = privacy_spec(spec, &all, *k, 0.0, SearchMode::Mondrian);
            let result = plan.plan(&prepared.table)?.run(&|_| {})?;
            release_csv(&result.release)
        }
        BuiltinAnonymizer::Microaggregation { k } => microaggregation(spec, &Prepared::new(spec, &split.train)?, *k)?,
    };
    let release = read_release(&release_csv)?;
    let mut utility = utility::score(spec, split, &release)?;
    utility.seconds = started.elapsed().as_secs_f64();
    Ok(AnonymizerOutcome { release, release_csv, utility })
}

/// Scores a release made outside anonlab (an AnoMed tabular anonymizer's
/// upload) exactly as a built-in's: kept as the same CSV (identifying columns
/// dropped), read back and scored, so the leaderboard compares like with like
/// and the attacks read it as they read any release.
///
/// # Errors
/// A release that does not keep the training part's rows in order (utility
/// scoring and linkage rely on row i being training row i; suppress with `*`
/// rather than dropping a row), or that lacks a column the challenge needs.
pub fn score_release(spec: &ChallengeSpec, split: &Split, release: &Table) -> Result<AnonymizerOutcome> {
    let started = Instant::now();
    if release.rows() != split.train.rows() {
        return Err(Error::invalid(format!(
            "the release has {} rows but the data it was made from has {}: keep every row, in order \
             (suppress values with '*' instead of dropping rows)",
            release.rows(),
            split.train.rows()
        )));
    }
    let threat = &spec.threat_model;
    let needed = spec
        .quasi_identifiers()
        .map(|c| c.name.as_str())
        .chain(threat.aux_cols.iter().map(String::as_str))
        .chain([threat.secret.as_str()])
        .chain(spec.utility.target.as_deref())
        .chain(spec.utility.features.iter().map(String::as_str));
    for name in needed {
        if release.column_index(name).is_err() {
            return Err(Error::invalid(format!("the release has no column '{name}', which the challenge scores")));
        }
    }
    let release_csv = identity(spec, release);
    let release = read_release(&release_csv)?;
    let mut utility = utility::score(spec, split, &release)?;
    utility.seconds = started.elapsed().as_secs_f64();
    Ok(AnonymizerOutcome { release, release_csv, utility })
}

/// Reads a release CSV the evaluator wrote (stored in the vault) back into
/// the table [`run_attack`](super::run_attack) takes.
///
/// The delimiter is fixed rather than detected: a release of one column, or
/// one whose labels contain other candidate delimiters, must read back exactly.
///
/// # Errors
/// Bytes that are not such a CSV.
pub fn read_release(csv: &[u8]) -> Result<Table> {
    Ok(read_csv_bytes(csv, "release", &CsvOptions { delimiter: Some(RELEASE_DELIMITER) })?)
}

/// The hierarchy of every quasi-identifier, in spec order, built against
/// `table`'s columns (whose dictionaries hold every value of the dataset, so a
/// hierarchy built on one part of a split covers the others).
///
/// A quasi-identifier without a hierarchy is generalized flat (its value or
/// `*`), the one generalization every column admits.
pub(crate) fn hierarchies(spec: &ChallengeSpec, table: &Table) -> Result<Vec<(String, Hierarchy)>> {
    spec.quasi_identifiers()
        .map(|c| {
            let column = table.column(table.column_index(&c.name)?);
            let hierarchy = match &c.hierarchy {
                Some(HierarchySpec::Table { rows }) => {
                    Hierarchy::try_new(rows.clone()).map_err(|e| e.in_column(&c.name))?
                }
                Some(HierarchySpec::Intervals { widths }) => {
                    Builder::Intervals { widths: widths.clone(), bottom: None, top: None }.build(column)?
                }
                Some(HierarchySpec::Masking) => Builder::Masking { levels: None, mask: '*' }.build(column)?,
                Some(HierarchySpec::Flat) | None => Builder::Suppression.build(column)?,
            };
            Ok((c.name.clone(), hierarchy))
        })
        .collect()
}

/// The numeric type of `column` when every value (NULLs aside) is a number.
pub(crate) fn numeric_type(column: &Column) -> Option<DataType> {
    let values = column.dictionary().iter().enumerate().filter(|&(code, _)| Some(code as u32) != column.null_code());
    Some(infer(values.map(|(_, v)| v.as_str()))).filter(|t| matches!(t, DataType::Integer | DataType::Decimal))
}

/// A quasi-identifier ready for the privacy crate.
struct PreparedQi {
    name: String,
    hierarchy: Hierarchy,
    /// Numbers: split at medians by Mondrian, averaged by microaggregation.
    numeric: bool,
}

/// The training part with its numeric quasi-identifiers typed, and the hierarchies.
struct Prepared {
    table: Table,
    qis: Vec<PreparedQi>,
}

impl Prepared {
    fn new(spec: &ChallengeSpec, train: &Table) -> Result<Self> {
        let mut table = train.clone();
        let mut qis = Vec::new();
        for ((name, hierarchy), column) in hierarchies(spec, train)?.into_iter().zip(spec.quasi_identifiers()) {
            let index = table.column_index(&name)?;
            let may_be_numeric =
                matches!(column.hierarchy, Some(HierarchySpec::Table { .. } | HierarchySpec::Intervals { .. }));
            let numeric = match numeric_type(table.column(index)).filter(|_| may_be_numeric) {
                Some(data_type) => {
                    table.column_mut(index).set_data_type(data_type)?;
                    true
                }
                None => false,
            };
            qis.push(PreparedQi { name, hierarchy, numeric });
        }
        Ok(Prepared { table, qis })
    }
}

/// The privacy crate's plan for k-anonymity over `qis`; sensitive columns
/// keep their role, identifying ones are removed.
fn privacy_spec(
    spec: &ChallengeSpec,
    qis: &[&PreparedQi],
    k: u32,
    suppression_limit: f64,
    mode: SearchMode,
) -> AnonymizationSpec {
    let with_role = |role: ColumnRole| spec.columns.iter().filter(move |c| c.role == role);
    AnonymizationSpec {
        quasi_identifiers: qis
            .iter()
            .map(|q| QuasiIdentifierSpec { column: q.name.clone(), hierarchy: q.hierarchy.clone() })
            .collect(),
        sensitive: with_role(ColumnRole::Sensitive)
            .map(|c| SensitiveSpec { column: c.name.clone(), hierarchy: None })
            .collect(),
        identifying: with_role(ColumnRole::Identifying).map(|c| IdentifierSpec::remove(c.name.clone())).collect(),
        models: vec![PrivacyModel::KAnonymity(KAnonymity { k: u64::from(k) })],
        suppression_limit,
        search: SearchOptions { mode, ..SearchOptions::default() },
        ..AnonymizationSpec::default()
    }
}

/// Microaggregation of the numeric quasi-identifiers, the others generalized
/// optimally: MDAV only averages numbers, so on a table with categorical
/// quasi-identifiers it cannot make classes by itself.
///
/// First the categorical quasi-identifiers are generalized to k-anonymity
/// (optimal full-domain search, at most [`MICROAGGREGATION_SUPPRESSION`]
/// suppressed); then MDAV runs inside each of the resulting classes on the
/// numeric ones, so each MDAV group of at least k records shares every
/// quasi-identifier and the release is k-anonymous. Without categorical
/// quasi-identifiers the privacy crate's microaggregation runs on the whole part.
fn microaggregation(spec: &ChallengeSpec, prepared: &Prepared, k: u32) -> Result<Vec<u8>> {
    let (numeric, categorical): (Vec<&PreparedQi>, Vec<&PreparedQi>) = prepared.qis.iter().partition(|q| q.numeric);
    if numeric.is_empty() {
        return Err(Error::invalid(
            "microaggregation needs a numeric quasi-identifier (all values numbers, with a table or intervals \
             hierarchy); this challenge has none",
        ));
    }
    if categorical.is_empty() {
        let plan = privacy_spec(spec, &numeric, k, 0.0, SearchMode::Microaggregation);
        return Ok(release_csv(&plan.plan(&prepared.table)?.run(&|_| {})?.release));
    }
    let plan = privacy_spec(spec, &categorical, k, MICROAGGREGATION_SUPPRESSION, SearchMode::Optimal);
    let result = plan.plan(&prepared.table)?.run(&|_| {})?;
    let release = &result.release;
    let position = |name: &str| {
        release
            .header()
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::internal(format!("column '{name}' is missing from the release")))
    };
    let categorical_at: Vec<usize> = categorical.iter().map(|q| position(&q.name)).collect::<Result<_>>()?;
    let numeric_at: Vec<usize> = numeric.iter().map(|q| position(&q.name)).collect::<Result<_>>()?;
    let values: Vec<Vec<f64>> = numeric
        .iter()
        .map(|q| {
            let column = prepared.table.column(prepared.table.column_index(&q.name)?);
            let numbers = column.numbers();
            let values: Vec<f64> = column.codes().iter().map(|&c| numbers[c as usize]).collect();
            if values.iter().any(|v| v.is_nan()) {
                return Err(Error::invalid(format!(
                    "microaggregation needs a number in every row; column '{}' has empty values",
                    q.name
                )));
            }
            Ok(values)
        })
        .collect::<Result<_>>()?;

    let rows: Vec<Vec<&str>> = release.iter_rows().collect();
    // The first step's classes, in order of first appearance.
    let mut class_of: FxHashMap<Vec<&str>, usize> = FxHashMap::default();
    let mut classes: Vec<Vec<u32>> = Vec::new();
    for (r, cells) in rows.iter().enumerate() {
        if release.is_suppressed(r) {
            continue;
        }
        let key: Vec<&str> = categorical_at.iter().map(|&p| cells[p]).collect();
        let id = *class_of.entry(key).or_insert_with(|| {
            classes.push(Vec::new());
            classes.len() - 1
        });
        classes[id].push(r as u32);
    }
    drop(class_of);
    let k = k as usize;
    if classes.iter().any(|c| c.len() < k) {
        return Err(Error::internal("the generalization step of microaggregation left a class smaller than k"));
    }
    let grouped: Vec<Vec<(u32, Vec<String>)>> = classes
        .par_iter()
        .map(|members| {
            let columns: Vec<Vec<f64>> =
                values.iter().map(|v| members.iter().map(|&r| v[r as usize]).collect()).collect();
            let m = mdav(&columns, k);
            m.groups
                .iter()
                .zip(&m.means)
                .flat_map(|(group, means)| {
                    let labels: Vec<String> = means.iter().map(|m| format!("{m:.2}")).collect();
                    group.iter().map(move |&i| (members[i as usize], labels.clone()))
                })
                .collect()
        })
        .collect();
    let mut means: Vec<Option<Vec<String>>> = vec![None; rows.len()];
    for (row, labels) in grouped.into_iter().flatten() {
        means[row as usize] = Some(labels);
    }
    let mut out = CsvWriter::default();
    out.row(release.header().iter().map(String::as_str));
    for (mut cells, means) in rows.into_iter().zip(&means) {
        for (j, &p) in numeric_at.iter().enumerate() {
            // Rows the first step suppressed show `*` in every quasi-identifier.
            cells[p] = means.as_ref().map_or(SUPPRESSED, |m| m[j].as_str());
        }
        out.row(cells);
    }
    Ok(out.bytes)
}

/// The training part as it is, without its identifying columns.
fn identity(spec: &ChallengeSpec, train: &Table) -> Vec<u8> {
    let identifying = |name: &str| spec.columns.iter().any(|c| c.name == name && c.role == ColumnRole::Identifying);
    let kept: Vec<&Column> = train.columns().iter().filter(|c| !identifying(c.name())).collect();
    let mut out = CsvWriter::default();
    out.row(kept.iter().map(|c| c.name()));
    for r in 0..train.rows() {
        out.row(kept.iter().map(|c| c.value(r)));
    }
    out.bytes
}

/// A privacy-crate release as CSV.
fn release_csv(release: &Release<'_>) -> Vec<u8> {
    let mut out = CsvWriter::default();
    out.row(release.header().iter().map(String::as_str));
    for row in release.iter_rows() {
        out.row(row);
    }
    out.bytes
}

/// CSV in memory (a release must never be written to disk in plaintext):
/// [`RELEASE_DELIMITER`]-separated, fields holding the delimiter, a quote or
/// a line break quoted with inner quotes doubled (RFC 4180), `\n` line ends.
#[derive(Default)]
struct CsvWriter {
    bytes: Vec<u8>,
}

impl CsvWriter {
    fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.bytes.push(RELEASE_DELIMITER);
            }
            if cell.bytes().any(|b| b == RELEASE_DELIMITER || matches!(b, b'"' | b'\n' | b'\r')) {
                self.bytes.push(b'"');
                for b in cell.bytes() {
                    if b == b'"' {
                        self.bytes.push(b'"');
                    }
                    self.bytes.push(b);
                }
                self.bytes.push(b'"');
            } else {
                self.bytes.extend_from_slice(cell.as_bytes());
            }
        }
        self.bytes.push(b'\n');
    }
}

#[cfg(test)]
pub(super) fn csv_for_test(rows: &[&[&str]]) -> Vec<u8> {
    let mut out = CsvWriter::default();
    for row in rows {
        out.row(row.iter().copied());
    }
    out.bytes
}
