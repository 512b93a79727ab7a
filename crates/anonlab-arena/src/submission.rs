//! Submissions: anonymizers and attacks, of one of three kinds.
//!
//! Only built-in submissions run today. Remote HTTP services (the AnoMed
//! protocol) and uploaded WebAssembly modules have their variants here so the
//! store, the API and the queue already carry them; the evaluator refuses them
//! with a clear "not supported yet" until their runners land (issue #7 and the
//! sandbox), instead of the data model having to change then.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a submission does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SubmissionRole {
    /// Turns a table into a release.
    Anonymizer,
    /// Measures what a release leaks.
    Attack,
}

/// Who may see a submission besides its owner and admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Visibility {
    /// Everyone, including its settings.
    #[default]
    Public,
    /// Its leaderboard rows are shown, its settings only to its owner and admins.
    Private,
}

/// How a submission runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
pub enum Implementation {
    /// A built-in anonymizer with its settings.
    BuiltinAnonymizer(BuiltinAnonymizer),
    /// A built-in attack with its settings.
    BuiltinAttack(BuiltinAttack),
    /// A service speaking the AnoMed protocol (not run yet).
    Remote {
        /// The service's base URL.
        url: String,
    },
    /// An uploaded WebAssembly module (not run yet).
    Wasm {
        /// SHA-256 of the module in the vault.
        module_sha256: String,
    },
}

/// The built-in anonymizers and their settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", tag = "algorithm", deny_unknown_fields)]
pub enum BuiltinAnonymizer {
    /// Globally optimal full-domain generalization to k-anonymity (Flash-class search).
    OptimalKAnonymity {
        /// Smallest class size.
        k: u32,
        /// Largest share of records that may be suppressed (0..1).
        #[serde(default = "default_suppression")]
        suppression_limit: f64,
    },
    /// Mondrian strict multidimensional partitioning.
    Mondrian {
        /// Smallest partition size.
        k: u32,
    },
    /// MDAV microaggregation of the numeric quasi-identifiers (others generalized optimally).
    Microaggregation {
        /// Smallest group size.
        k: u32,
    },
    /// The training part unchanged: the reference point with no protection.
    Identity,
}

fn default_suppression() -> f64 {
    0.05
}

/// The built-in attacks (anonlab-attacks) as arena submissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", tag = "attack", deny_unknown_fields)]
pub enum BuiltinAttack {
    /// Multivariate singling out on the threat model's known columns.
    SinglingOut,
    /// Linkability between two halves of the known columns.
    Linkability,
    /// Attribute inference of the threat model's secret.
    Inference,
    /// Re-identification of targets in a generalized release.
    Linkage,
    /// Membership inference by distance to the closest record.
    Membership,
}

impl BuiltinAttack {
    /// Every built-in attack, in the order leaderboards show them.
    pub const ALL: [BuiltinAttack; 5] = [
        BuiltinAttack::SinglingOut,
        BuiltinAttack::Linkability,
        BuiltinAttack::Inference,
        BuiltinAttack::Linkage,
        BuiltinAttack::Membership,
    ];

    /// The kebab-case name used in challenge specs and the API.
    pub fn name(self) -> &'static str {
        match self {
            BuiltinAttack::SinglingOut => "singling-out",
            BuiltinAttack::Linkability => "linkability",
            BuiltinAttack::Inference => "inference",
            BuiltinAttack::Linkage => "linkage",
            BuiltinAttack::Membership => "membership",
        }
    }

    /// Looks an attack up by its name.
    pub fn from_name(name: &str) -> Option<BuiltinAttack> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl BuiltinAnonymizer {
    /// Rejects settings no run could honour.
    pub fn validate(&self) -> crate::Result<()> {
        let k = match self {
            BuiltinAnonymizer::OptimalKAnonymity { k, suppression_limit } => {
                if !(0.0..1.0).contains(suppression_limit) {
                    return Err(crate::Error::invalid(format!(
                        "suppression_limit must be at least 0 and below 1 (got {suppression_limit})"
                    )));
                }
                *k
            }
            BuiltinAnonymizer::Mondrian { k } | BuiltinAnonymizer::Microaggregation { k } => *k,
            BuiltinAnonymizer::Identity => return Ok(()),
        };
        if !(2..=10_000).contains(&k) {
            return Err(crate::Error::invalid(format!("k must be between 2 and 10000 (got {k})")));
        }
        Ok(())
    }
}
