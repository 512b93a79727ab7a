//! Challenges: a stored dataset, how it is split, the roles and hierarchies of
//! its columns, the utility tasks and the threat model every attack works under.
//!
//! A challenge's [`ChallengeSpec`] is stored as JSON beside the challenge row, so
//! adding a field never needs a migration; unknown fields are rejected so a typo
//! in an uploaded spec is an error, not a silently ignored setting.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};

/// What a challenge asks of anonymizers and attacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeSpec {
    /// Every column of the dataset with its role; columns not listed are insensitive.
    pub columns: Vec<ColumnSpec>,
    /// How the dataset is divided into what anonymizers see and what stays held out.
    #[serde(default)]
    pub split: SplitSpec,
    /// The utility tasks releases are scored on.
    #[serde(default)]
    pub utility: UtilitySpec,
    /// What attackers are assumed to know.
    pub threat_model: ThreatModel,
    /// Built-in attack names run against every anonymizer; empty means all of them.
    #[serde(default)]
    pub attacks: Vec<String>,
}

/// One column's role and, for quasi-identifiers, its generalization hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// The column's name in the dataset's header.
    pub name: String,
    /// `identifying`, `quasi-identifier`, `sensitive` or `insensitive`.
    pub role: ColumnRole,
    /// How values of a quasi-identifier generalize.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hierarchy: Option<HierarchySpec>,
}

/// The role a column plays (ARX's attribute types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ColumnRole {
    /// Names, record numbers: removed from every release.
    Identifying,
    /// Attributes an adversary may know (age, sex, ZIP).
    QuasiIdentifier,
    /// The attribute to protect (diagnosis).
    Sensitive,
    /// Everything else, released as is.
    Insensitive,
}

/// A generalization hierarchy: given in full (ARX's CSV layout, one row per
/// value, most specific first) or built from the values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
pub enum HierarchySpec {
    /// Rows of ARX's hierarchy CSV: `[value, level 1, level 2, ...]`.
    Table {
        /// One row per value.
        rows: Vec<Vec<String>>,
    },
    /// Numeric intervals of these widths, each a multiple of the one before.
    Intervals {
        /// Interval width per level, smallest first.
        widths: Vec<f64>,
    },
    /// Characters masked from the right (ZIP codes, ICD codes).
    Masking,
    /// Each value or `*`.
    Flat,
}

/// The seeded division of a dataset's rows.
///
/// `train` is what anonymizers see (and what attacks call members); `control`
/// is held out as Anonymeter's control set and as membership non-members; the
/// rest is the `test` part utility tasks score classifiers on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    /// Seed of the shuffle; fixed at creation so the split never changes.
    pub seed: u64,
    /// Share of rows anonymizers see.
    pub train: f64,
    /// Share of rows held out as control records.
    pub control: f64,
}

impl Default for SplitSpec {
    fn default() -> Self {
        SplitSpec { seed: 20261202, train: 0.5, control: 0.25 }
    }
}

/// The utility tasks of a challenge.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UtilitySpec {
    /// Column a classifier trained on the release predicts on the real test part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The columns the classifier may use; every other released column when
    /// empty. Name them when a column would give the answer away (a cause of
    /// death predicts death perfectly), so the task measures what it should.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
}

/// What an attacker knows: the columns it can link on and the one it wants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreatModel {
    /// Columns the attacker knows about its targets.
    pub aux_cols: Vec<String>,
    /// The column attribute inference tries to learn.
    pub secret: String,
    /// Targets (or queries) per attack.
    #[serde(default = "default_attacks")]
    pub n_attacks: usize,
}

fn default_attacks() -> usize {
    500
}

impl ChallengeSpec {
    /// Checks the spec against the dataset's header: every named column exists,
    /// the threat model and target name real columns, shares are sensible.
    pub fn validate(&self, header: &[String]) -> Result<()> {
        let known = |name: &str, what: &str| -> Result<()> {
            if header.iter().any(|h| h == name) {
                Ok(())
            } else {
                Err(Error::invalid(format!(
                    "{what} '{name}' is not a column of the dataset (columns: {})",
                    header.join(", ")
                )))
            }
        };
        for c in &self.columns {
            known(&c.name, "column")?;
            if c.hierarchy.is_some() && c.role != ColumnRole::QuasiIdentifier {
                return Err(Error::invalid(format!(
                    "column '{}' has a hierarchy but is not a quasi-identifier",
                    c.name
                )));
            }
        }
        if !self.columns.iter().any(|c| c.role == ColumnRole::QuasiIdentifier) {
            return Err(Error::invalid("a challenge needs at least one quasi-identifier"));
        }
        for a in &self.threat_model.aux_cols {
            known(a, "threat model column")?;
        }
        if self.threat_model.aux_cols.is_empty() {
            return Err(Error::invalid("the threat model needs at least one known column (aux_cols)"));
        }
        known(&self.threat_model.secret, "threat model secret")?;
        if let Some(t) = &self.utility.target {
            known(t, "utility target")?;
        }
        for f in &self.utility.features {
            known(f, "utility feature")?;
            if self.utility.target.as_deref() == Some(f.as_str()) {
                return Err(Error::invalid(format!("the utility target '{f}' cannot also be a feature")));
            }
        }
        if !self.utility.features.is_empty() && self.utility.target.is_none() {
            return Err(Error::invalid("utility features need a utility target"));
        }
        let SplitSpec { train, control, .. } = self.split;
        if !(train > 0.0 && control > 0.0 && train + control < 1.0) {
            return Err(Error::invalid(format!(
                "split shares must be positive and leave a test part: train {train} + control {control} must be < 1"
            )));
        }
        if self.threat_model.n_attacks == 0 {
            return Err(Error::invalid("threat model n_attacks must be at least 1"));
        }
        Ok(())
    }

    /// The quasi-identifier columns, in spec order.
    pub fn quasi_identifiers(&self) -> impl Iterator<Item = &ColumnSpec> {
        self.columns.iter().filter(|c| c.role == ColumnRole::QuasiIdentifier)
    }
}
