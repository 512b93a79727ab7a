//! The TOML configuration file, and its translation into an [`AnonymizationSpec`].
//!
//! The file and the command-line flags both fill a [`Config`]; one function
//! turns it into the privacy layer's spec, so the two can never disagree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anonlab_privacy::identifiers::{DateShift, IdentifierAction, IdentifierSpec, PseudonymKey, shift_dates};
use anonlab_privacy::metrics::MetricKind;
use anonlab_privacy::models::{
    AverageRisk, CellSizeEstimator, DeltaPresence, KAnonymity, KMap, KMapEstimate, LDiversity, PopulationUniqueness,
    PrivacyModel, TCloseness,
};
use anonlab_privacy::risk::{Estimator, PopulationModel, Region};
use anonlab_privacy::search::SearchOptions;
use anonlab_privacy::{AnonymizationSpec, QuasiIdentifierSpec, SensitiveSpec};
use anonlab_table::hierarchy::{Builder, Hierarchy};
use anonlab_table::io::csv::{Columns, CsvOptions, parse_delimiter};
use anonlab_table::io::read_table_columns;
use anonlab_table::{AttributeRole, DataType, Table};
use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

/// A whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[input]`
    #[serde(default)]
    pub input: InputConfig,
    /// `[columns.NAME]`, one per column that is not insensitive.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnConfig>,
    /// `[privacy]`
    #[serde(default)]
    pub privacy: PrivacyConfig,
    /// `[quality]`
    #[serde(default)]
    pub quality: QualityConfig,
    /// `[search]`
    #[serde(default)]
    pub search: SearchOptions,
    /// `[identifiers]`
    #[serde(default)]
    pub identifiers: IdentifiersConfig,
    /// `[risk]`
    #[serde(default)]
    pub risk: RiskConfig,
    /// `[output]`
    #[serde(default)]
    pub output: OutputConfig,
    /// Directory that relative paths are relative to.
    #[serde(skip)]
    pub base: PathBuf,
}

/// `[input]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// The table (CSV or Parquet).
    pub path: Option<PathBuf>,
    /// CSV delimiter; detected when absent.
    pub delimiter: Option<String>,
}

/// `[risk]`: the population the data was sampled from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    /// A number of people, or a region preset name.
    pub population: Option<Population>,
}

/// A population size or an ARX region preset.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Population {
    /// A number of people.
    Size(u64),
    /// A preset such as "usa" or "germany".
    Region(Region),
}

impl Population {
    /// Parses a command-line value: a number or a preset name.
    pub fn parse(text: &str) -> Result<Self> {
        if let Ok(n) = text.replace('_', "").parse::<u64>() {
            return Ok(Population::Size(n));
        }
        serde_json::from_value(serde_json::Value::String(text.to_ascii_lowercase())).map(Population::Region).map_err(
            |_| {
                anyhow!(
                    "population '{text}' is neither a number nor a region (africa, australia, europe, north-america, \
                 south-america, european-union, brasil, canada, china, france, germany, india, uk, usa)"
                )
            },
        )
    }

    /// The population model of a risk analysis: the `--population` flag's, else
    /// the config's `[risk] population`, else the USA (ARX's default).
    pub fn choose(flag: Option<&str>, configured: Option<&Population>) -> Result<PopulationModel> {
        Ok(match (flag, configured) {
            (Some(text), _) => Population::parse(text)?.model(),
            (None, Some(p)) => p.model(),
            (None, None) => PopulationModel::region(Region::Usa),
        })
    }

    /// The model for the risk analysis.
    pub fn model(&self) -> PopulationModel {
        match self {
            Population::Size(n) => PopulationModel::of_size(*n),
            Population::Region(r) => PopulationModel::region(*r),
        }
    }
}

/// `[identifiers]`: the secret key for pseudonyms and date shifts, and date shifting.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentifiersConfig {
    /// A file holding the key (at least 32 bytes).
    pub key_file: Option<PathBuf>,
    /// An environment variable holding the key.
    pub key_env: Option<String>,
    /// Shift each patient's dates by a secret, consistent offset.
    pub date_shift: Option<DateShift>,
}

/// `[columns.NAME]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnConfig {
    /// identifying | quasi-identifier | sensitive | insensitive
    pub role: AttributeRole,
    /// An ARX-format hierarchy file.
    pub hierarchy: Option<PathBuf>,
    /// Delimiter of the hierarchy file (default `;`, as ARX writes them).
    pub hierarchy_delimiter: Option<String>,
    /// A hierarchy builder, when no file is given.
    pub builder: Option<Builder>,
    /// string | ordered-string | integer | decimal | date
    #[serde(rename = "type")]
    pub data_type: Option<String>,
    /// Date format (strftime), for `type = "date"`.
    pub format: Option<String>,
    /// Value order, for `type = "ordered-string"`.
    pub order: Option<Vec<String>>,
    /// For identifying columns: remove (default), pseudonym or mask.
    pub identifier: Option<IdentifierAction>,
}

/// One model or several (for several sensitive attributes).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// `key = { ... }`
    One(T),
    /// `key = [{ ... }, { ... }]`
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    fn to_vec(&self) -> Vec<T> {
        self.clone().into_vec()
    }

    /// All entries as a list.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

/// `[privacy]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyConfig {
    /// k of k-anonymity.
    pub k: Option<u64>,
    /// Fraction of rows that may be suppressed (ARX semantics).
    pub suppression_limit: Option<f64>,
    /// l-diversity on one or more sensitive attributes.
    pub l_diversity: Option<OneOrMany<LDiversity>>,
    /// t-closeness on one or more sensitive attributes.
    pub t_closeness: Option<OneOrMany<TCloseness>>,
    /// Average re-identification risk: a threshold, or a table with highest risk and records at risk.
    pub average_risk: Option<AverageRiskConfig>,
    /// Population uniqueness under a statistical model.
    pub population_uniqueness: Option<PopulationUniquenessConfig>,
    /// k-map, estimated from the population size or counted in the input (the population) for a subset.
    pub k_map: Option<KMapConfig>,
    /// δ-presence of a research subset of the input.
    pub delta_presence: Option<DeltaPresenceConfig>,
}

/// `average_risk = 0.05` or `average_risk = { threshold = 0.05, highest_risk = 0.2, records_at_risk = 0.01 }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AverageRiskConfig {
    /// The average risk threshold alone.
    Threshold(f64),
    /// With highest risk and records at risk.
    Full(AverageRisk),
}

/// `population_uniqueness = { model = "dankar", threshold = 0.01 }` (population from `[risk]` or `population`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationUniquenessConfig {
    /// pitman | zayatz | snb | dankar
    pub model: Estimator,
    /// Largest fraction of population uniques.
    pub threshold: f64,
    /// Overrides `[risk] population`.
    pub population: Option<Population>,
}

/// `k_map = { k = 5, estimator = "poisson", significance = 0.01 }` or `k_map = { k = 5, subset = "FILE" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KMapConfig {
    /// Population records each class must reach.
    pub k: u64,
    /// poisson | zero-truncated-poisson: estimate from the population size.
    pub estimator: Option<CellSizeEstimator>,
    /// Accepted probability of a class below k people (default 0.01).
    pub significance: Option<f64>,
    /// Overrides `[risk] population` (with an estimator).
    pub population: Option<Population>,
    /// The research subset: the input is then the population table.
    pub subset: Option<PathBuf>,
}

/// `delta_presence = { subset = "FILE", min = 0.0, max = 0.5 }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeltaPresenceConfig {
    /// The research subset: rows of the input (the population) to publish.
    pub subset: PathBuf,
    /// δmin.
    #[serde(default)]
    pub min: f64,
    /// δmax.
    pub max: f64,
}

/// `[quality]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityConfig {
    /// The metric to minimize (default `loss`).
    pub metric: Option<MetricKind>,
    /// Loss: ARX's generalization/suppression factor in [0, 1] (default 0.5).
    pub gs_factor: Option<f64>,
}

/// `[output]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// The anonymized table (CSV or Parquet by extension).
    pub path: Option<PathBuf>,
    /// The JSON report.
    pub report: Option<PathBuf>,
    /// CSV delimiter of the output (default: the input's).
    pub delimiter: Option<String>,
}

impl Config {
    /// Reads and parses a config file; errors name the file, line and column.
    pub fn load(path: &Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
        let mut config: Config = parse_toml(path, &text)?;
        config.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(config)
    }

    /// Resolves `path` relative to the config file (`a/b/../c` shown as `a/c`).
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() { path.to_path_buf() } else { lexically_normal(&self.base.join(path)) }
    }

    /// The input path, resolved.
    pub fn input_path(&self) -> Result<PathBuf> {
        let path = self.input.path.as_ref().ok_or_else(|| anyhow!("no input table: set [input] path or --input"))?;
        Ok(self.resolve(path))
    }

    /// The input delimiter, if given.
    pub fn input_delimiter(&self) -> Result<Option<u8>> {
        self.input.delimiter.as_deref().map(parse_delimiter).transpose().map_err(Into::into)
    }

    /// The pseudonym key from `[identifiers]`: a key file or an environment variable, exactly one.
    pub fn pseudonym_key(&self) -> Result<PseudonymKey> {
        match (&self.identifiers.key_file, &self.identifiers.key_env) {
            (Some(_), Some(_)) => bail!("[identifiers] sets both key_file and key_env; give one"),
            (Some(path), None) => Ok(PseudonymKey::from_file(&self.resolve(path))?),
            (None, Some(name)) => Ok(PseudonymKey::from_env(name)?),
            (None, None) => bail!(
                "a pseudonym key is required: set [identifiers] key_file or key_env \
                 (keys are never taken from the command line)"
            ),
        }
    }

    /// Shifts the patients' dates when `[identifiers] date_shift` asks for it.
    pub fn shift_dates(&self, table: &mut Table) -> Result<()> {
        if let Some(shift) = &self.identifiers.date_shift {
            shift_dates(table, &self.pseudonym_key()?, shift)?;
        }
        Ok(())
    }

    /// Direct identifiers that the release drops and nothing else reads (no
    /// type, not a date-shift column, no research subset to match rows by):
    /// they need not be read at all, so they never sit in memory. On 10 M
    /// stays, one patient number per row was a fifth of the peak memory.
    pub fn unread_identifiers(&self) -> Result<Vec<String>> {
        if self.subset_path()?.is_some() {
            return Ok(Vec::new());
        }
        let shift = self.identifiers.date_shift.as_ref();
        Ok(self
            .columns
            .iter()
            .filter(|(name, c)| {
                c.role == AttributeRole::Identifying
                    && matches!(c.identifier, None | Some(IdentifierAction::Remove))
                    && c.data_type.is_none()
                    && shift.is_none_or(|s| s.patient != **name && !s.columns.contains(name))
            })
            .map(|(name, _)| name.clone())
            .collect())
    }

    /// Declares each configured column's data type on the table.
    pub fn apply_types(&self, table: &mut Table) -> Result<()> {
        for (name, column) in &self.columns {
            let Some(data_type) = column.parsed_type(name)? else { continue };
            let index = table.column_index(name)?;
            table.column_mut(index).set_data_type(data_type)?;
        }
        Ok(())
    }

    /// Reads the input table, typed; direct identifiers the release drops are
    /// left unread (see [`Config::unread_identifiers`]).
    pub fn read_input(&self) -> Result<Table> {
        let unread = self.unread_identifiers()?;
        let options = CsvOptions { delimiter: self.input_delimiter()? };
        let mut table = read_table_columns(&self.input_path()?, &options, Columns::Except(&unread))?;
        self.apply_types(&mut table)?;
        Ok(table)
    }

    /// The anonymization spec for `table` as [`Config::read_input`] gives it:
    /// the research subset is matched first, since it lists records as the
    /// input has them, then the dates are shifted.
    pub fn prepare(&self, table: &mut Table) -> Result<AnonymizationSpec> {
        let research_subset = self.research_subset(table)?;
        self.shift_dates(table)?;
        let mut spec = self.to_spec(table)?;
        spec.research_subset = research_subset;
        Ok(spec)
    }

    /// Builds the privacy layer's spec, loading or building every hierarchy.
    pub fn to_spec(&self, table: &Table) -> Result<AnonymizationSpec> {
        let mut spec = AnonymizationSpec {
            suppression_limit: self.privacy.suppression_limit.unwrap_or(0.0),
            metric: self.quality.metric.unwrap_or_default(),
            gs_factor: self.quality.gs_factor,
            search: self.search.clone(),
            ..Default::default()
        };
        for (name, column) in &self.columns {
            if table.is_unread(name) {
                continue; // a removed identifier, left unread (see `unread_identifiers`)
            }
            table.column_index(name)?; // an unknown column is an error listing the real ones
            match column.role {
                AttributeRole::QuasiIdentifier => {
                    let hierarchy = self
                        .hierarchy(name, column, table, true)?
                        .expect("a hierarchy is required for quasi-identifiers");
                    spec.quasi_identifiers.push(QuasiIdentifierSpec { column: name.clone(), hierarchy });
                }
                AttributeRole::Sensitive => spec.sensitive.push(SensitiveSpec {
                    column: name.clone(),
                    hierarchy: self.hierarchy(name, column, table, false)?,
                }),
                AttributeRole::Identifying => spec.identifying.push(IdentifierSpec {
                    column: name.clone(),
                    action: column.identifier.clone().unwrap_or_default(),
                }),
                AttributeRole::Insensitive => {}
            }
        }
        for (name, column) in &self.columns {
            if column.identifier.is_some() && column.role != AttributeRole::Identifying {
                bail!("column '{name}' has an identifier action but its role is {}", column.role.name());
            }
        }
        let needs_key = spec.identifying.iter().any(|i| matches!(i.action, IdentifierAction::Pseudonym(_)));
        if needs_key {
            spec.pseudonym_key = Some(self.pseudonym_key()?);
        }
        if let Some(k) = self.privacy.k {
            spec.models.push(PrivacyModel::KAnonymity(KAnonymity { k }));
        }
        for l in self.privacy.l_diversity.iter().flat_map(OneOrMany::to_vec) {
            spec.models.push(PrivacyModel::LDiversity(l));
        }
        for t in self.privacy.t_closeness.iter().flat_map(OneOrMany::to_vec) {
            spec.models.push(PrivacyModel::TCloseness(t));
        }
        self.risk_models(&mut spec)?;
        Ok(spec)
    }

    /// Adds the risk-based and population models of `[privacy]` to `spec`.
    fn risk_models(&self, spec: &mut AnonymizationSpec) -> Result<()> {
        let population = |own: &Option<Population>, key: &str| -> Result<u64> {
            own.as_ref().or(self.risk.population.as_ref()).map(|p| p.model().size()).ok_or_else(|| {
                anyhow!("[privacy] {key} needs a population: set [risk] population = N or a region (e.g. \"usa\"), or population in {key}")
            })
        };
        match &self.privacy.average_risk {
            Some(AverageRiskConfig::Threshold(threshold)) => spec.models.push(PrivacyModel::AverageRisk(AverageRisk {
                threshold: *threshold,
                highest_risk: None,
                records_at_risk: None,
            })),
            Some(AverageRiskConfig::Full(m)) => spec.models.push(PrivacyModel::AverageRisk(m.clone())),
            None => {}
        }
        if let Some(p) = &self.privacy.population_uniqueness {
            spec.models.push(PrivacyModel::PopulationUniqueness(PopulationUniqueness {
                estimator: p.model,
                threshold: p.threshold,
                population: population(&p.population, "population_uniqueness")?,
            }));
        }
        if let Some(m) = &self.privacy.k_map {
            let estimate = match (m.estimator, &m.subset) {
                (Some(_), Some(_)) => bail!("[privacy] k_map: give an estimator or a subset, not both"),
                (None, None) => bail!(
                    "[privacy] k_map needs an estimator (\"poisson\" or \"zero-truncated-poisson\") or a subset file"
                ),
                (Some(estimator), None) => Some(KMapEstimate {
                    estimator,
                    significance: m.significance.unwrap_or(0.01),
                    population: population(&m.population, "k_map")?,
                }),
                (None, Some(_)) => {
                    if m.significance.is_some() || m.population.is_some() {
                        bail!(
                            "[privacy] k_map with a subset counts the input; significance and population apply to an estimator"
                        );
                    }
                    None
                }
            };
            spec.models.push(PrivacyModel::KMap(KMap { k: m.k, estimate }));
        }
        if let Some(d) = &self.privacy.delta_presence {
            spec.models.push(PrivacyModel::DeltaPresence(DeltaPresence { min: d.min, max: d.max }));
        }
        Ok(())
    }

    /// The research subset file named by `delta_presence` or `k_map`, resolved;
    /// both must name the same file.
    pub fn subset_path(&self) -> Result<Option<PathBuf>> {
        let delta = self.privacy.delta_presence.as_ref().map(|d| self.resolve(&d.subset));
        let k_map = self.privacy.k_map.as_ref().and_then(|m| m.subset.as_ref()).map(|p| self.resolve(p));
        match (delta, k_map) {
            (Some(a), Some(b)) if a != b => bail!(
                "[privacy] delta_presence and k_map name different subsets ({} and {}); ARX allows one research subset",
                a.display(),
                b.display()
            ),
            (a, b) => Ok(a.or(b)),
        }
    }

    /// Reads the research subset, if any, and finds its rows in `table` (the population).
    pub fn research_subset(&self, table: &Table) -> Result<Option<Vec<u32>>> {
        let Some(path) = self.subset_path()? else { return Ok(None) };
        let delimiter = self.input_delimiter()?.or(Some(table.delimiter()));
        let subset = anonlab_table::io::read_table(&path, &anonlab_table::io::csv::CsvOptions { delimiter })?;
        Ok(Some(anonlab_privacy::subset::match_rows(table, &subset)?))
    }

    /// The hierarchy of every quasi-identifier, loaded or built from `table`
    /// (an attacker matching a generalized release needs to know what each label covers).
    pub fn quasi_identifier_hierarchies(&self, table: &Table) -> Result<Vec<(String, Hierarchy)>> {
        self.columns
            .iter()
            .filter(|(_, c)| c.role == AttributeRole::QuasiIdentifier)
            .map(|(name, c)| Ok((name.clone(), self.hierarchy(name, c, table, true)?.expect("required"))))
            .collect()
    }

    fn hierarchy(&self, name: &str, column: &ColumnConfig, table: &Table, required: bool) -> Result<Option<Hierarchy>> {
        match (&column.hierarchy, &column.builder) {
            (Some(_), Some(_)) => bail!("column '{name}': give either a hierarchy file or a builder, not both"),
            (Some(path), None) => {
                let delimiter = column.hierarchy_delimiter.as_deref().map(parse_delimiter).transpose()?.unwrap_or(b';');
                Ok(Some(Hierarchy::from_arx_csv(&self.resolve(path), delimiter).map_err(|e| e.in_column(name))?))
            }
            (None, Some(builder)) => {
                let index = table.column_index(name)?;
                Ok(Some(builder.build(table.column(index))?))
            }
            (None, None) if required => bail!(
                "column '{name}' is a quasi-identifier but has no hierarchy: set hierarchy = \"FILE\" or a [columns.{name}.builder]"
            ),
            (None, None) => Ok(None),
        }
    }
}

/// Parses a TOML file's text; an error is one line naming the file, line and column.
pub fn parse_toml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let place = e
            .span()
            .map(|s| {
                let line = text[..s.start].matches('\n').count() + 1;
                let col = s.start - text[..s.start].rfind('\n').map_or(0, |p| p + 1) + 1;
                format!(", line {line}, column {col}")
            })
            .unwrap_or_default();
        anyhow!("{}{place}: {}", path.display(), e.message())
    })
}

/// Removes `.` and `name/..` pairs without touching the file system, so paths
/// in messages read as the user would write them.
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() { PathBuf::from(".") } else { out.iter().collect() }
}

impl ColumnConfig {
    /// A column with only a role.
    pub fn with_role(role: AttributeRole) -> Self {
        ColumnConfig {
            role,
            hierarchy: None,
            hierarchy_delimiter: None,
            builder: None,
            data_type: None,
            format: None,
            order: None,
            identifier: None,
        }
    }

    fn parsed_type(&self, name: &str) -> Result<Option<DataType>> {
        let Some(t) = self.data_type.as_deref() else {
            if matches!(self.builder, Some(Builder::Dates { .. })) {
                bail!("column '{name}': the dates builder needs type = \"date\" (and a format if not %Y-%m-%d)");
            }
            return Ok(None);
        };
        Ok(Some(match t {
            "string" => DataType::String,
            "integer" => DataType::Integer,
            "decimal" => DataType::Decimal,
            "date" => DataType::Date {
                format: self.format.clone().unwrap_or_else(|| DataType::DEFAULT_DATE_FORMAT.to_string()),
            },
            "ordered-string" => DataType::OrderedString {
                order: self.order.clone().ok_or_else(|| {
                    anyhow!("column '{name}': type ordered-string needs order = [\"lowest\", ..., \"highest\"]")
                })?,
            },
            other => {
                bail!("column '{name}': unknown type '{other}'; use string, ordered-string, integer, decimal or date")
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_parent_components() {
        assert_eq!(lexically_normal(Path::new("examples/adult/../../out/a.csv")), PathBuf::from("out/a.csv"));
        assert_eq!(lexically_normal(Path::new("./x/./y")), PathBuf::from("x/y"));
        assert_eq!(lexically_normal(Path::new("../shared/d.csv")), PathBuf::from("../shared/d.csv"));
        assert_eq!(lexically_normal(Path::new("a/..")), PathBuf::from("."));
    }

    #[test]
    fn rejects_unknown_keys_with_line_and_column() {
        let dir = std::env::temp_dir().join(format!("anonlab-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(&path, "[privacy]\nk = 5\nkk = 3\n").unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("line 3, column 1") && err.contains("kk"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
