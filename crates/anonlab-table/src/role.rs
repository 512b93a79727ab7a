//! Attribute roles: what a column means for privacy.

use serde::{Deserialize, Serialize};

/// The role of a column, as in ARX's attribute types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttributeRole {
    /// Directly identifies a person (name, record number): removed from releases.
    Identifying,
    /// Identifies in combination with other columns (age, sex, ZIP): generalized.
    #[serde(alias = "quasi-identifying", alias = "qi")]
    QuasiIdentifier,
    /// What must not be learned about a person (diagnosis): protected by l-diversity / t-closeness.
    Sensitive,
    /// Neither: released as is.
    Insensitive,
}

impl AttributeRole {
    /// The name used in configs and reports.
    pub fn name(self) -> &'static str {
        match self {
            AttributeRole::Identifying => "identifying",
            AttributeRole::QuasiIdentifier => "quasi-identifier",
            AttributeRole::Sensitive => "sensitive",
            AttributeRole::Insensitive => "insensitive",
        }
    }
}
