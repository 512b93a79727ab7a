//! Submissions: anonymizers and attacks, of one of three kinds.
//!
//! Built-in submissions run inside the worker. AnoMed submissions are
//! unmodified `anomed-anonymizer` / `anomed-deanonymizer` web apps the worker
//! drives over HTTP (see [`crate::anomed`]). Uploaded WebAssembly modules have
//! their variant here so the store, the API and the queue already carry them;
//! they are refused with a clear "not supported yet" until the sandbox lands,
//! instead of the data model having to change then.

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
    /// A machine-learning model served by an unmodified AnoMed anonymizer app
    /// (`anomed-anonymizer`), built for one challenge.
    AnomedAnonymizer(AnomedService),
    /// A membership-inference attack served by an unmodified AnoMed
    /// deanonymizer app (`anomed-deanonymizer`), aimed at one AnoMed anonymizer.
    AnomedDeanonymizer(AnomedService),
    /// A table anonymizer served by an unmodified AnoMed tabular anonymizer app
    /// (`tabular_data_anonymizer_server_factory`): its release is scored and
    /// attacked like a built-in anonymizer's.
    AnomedTabularAnonymizer(AnomedService),
    /// An uploaded WebAssembly module (not run yet).
    Wasm {
        /// SHA-256 of the module in the vault.
        module_sha256: String,
    },
}

/// Where an AnoMed app runs and what it was built for.
///
/// An AnoMed app is wired at start-up through environment variables
/// (`CHALLENGE_HOST`, `ATTACK_TARGET_HOST`), so it serves exactly one
/// challenge and, for a deanonymizer, attacks exactly one anonymizer: both are
/// part of the registration, not chosen per evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnomedService {
    /// The app's base URL, e.g. `http://127.0.0.1:8102` (plain HTTP, as AnoMed's containers speak).
    pub url: String,
    /// The slug of the challenge the app pulls its data from.
    pub challenge: String,
    /// For a deanonymizer: the id of the AnoMed anonymizer submission it attacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl Implementation {
    /// The AnoMed app behind this submission, if it is one.
    pub fn anomed_service(&self) -> Option<&AnomedService> {
        match self {
            Implementation::AnomedAnonymizer(s)
            | Implementation::AnomedDeanonymizer(s)
            | Implementation::AnomedTabularAnonymizer(s) => Some(s),
            _ => None,
        }
    }
}

impl AnomedService {
    /// Rejects URLs the worker could not call and a target where none belongs.
    pub fn validate(&self, deanonymizer: bool) -> crate::Result<()> {
        let rest = self.url.strip_prefix("http://").ok_or_else(|| {
            crate::Error::invalid(format!(
                "an AnoMed app's url must start with http:// (got '{}'); AnoMed apps speak plain HTTP",
                self.url
            ))
        })?;
        if rest.trim_end_matches('/').is_empty() || rest.contains(char::is_whitespace) || rest.contains(['?', '#']) {
            return Err(crate::Error::invalid(format!("'{}' is not a base URL like http://host:port", self.url)));
        }
        match (&self.target, deanonymizer) {
            (None, true) => Err(crate::Error::invalid(
                "an AnoMed deanonymizer needs a target: the id of the AnoMed anonymizer it attacks",
            )),
            (Some(_), false) => Err(crate::Error::invalid("an AnoMed anonymizer takes no target")),
            _ => Ok(()),
        }
    }

    /// The base URL without a trailing slash.
    pub fn base(&self) -> &str {
        self.url.trim_end_matches('/')
    }
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
    /// Against a model: a record is a member when the model labels it correctly.
    LabelOnlyGap,
    /// Against a model: members keep their label under noise more often.
    LabelOnlyNoise,
    /// Against a model: an attack model learnt on shadow models the attacker trains.
    ShadowModel,
}

impl BuiltinAttack {
    /// Every built-in attack on releases (tables), in the order leaderboards show them.
    pub const ALL: [BuiltinAttack; 5] = [
        BuiltinAttack::SinglingOut,
        BuiltinAttack::Linkability,
        BuiltinAttack::Inference,
        BuiltinAttack::Linkage,
        BuiltinAttack::Membership,
    ];

    /// The built-in attacks on trained models (AnoMed anonymizers), queried
    /// for labels through their `/predict` route.
    pub const ON_MODELS: [BuiltinAttack; 3] =
        [BuiltinAttack::LabelOnlyGap, BuiltinAttack::LabelOnlyNoise, BuiltinAttack::ShadowModel];

    /// Both lists: what the demo seeds and the catalog lists.
    pub fn every() -> impl Iterator<Item = BuiltinAttack> {
        Self::ALL.into_iter().chain(Self::ON_MODELS)
    }

    /// Whether the attack targets a trained model rather than a released table.
    pub fn targets_models(self) -> bool {
        Self::ON_MODELS.contains(&self)
    }

    /// The kebab-case name used in challenge specs and the API.
    pub fn name(self) -> &'static str {
        match self {
            BuiltinAttack::SinglingOut => "singling-out",
            BuiltinAttack::Linkability => "linkability",
            BuiltinAttack::Inference => "inference",
            BuiltinAttack::Linkage => "linkage",
            BuiltinAttack::Membership => "membership",
            BuiltinAttack::LabelOnlyGap => "label-only-gap",
            BuiltinAttack::LabelOnlyNoise => "label-only-noise",
            BuiltinAttack::ShadowModel => "shadow-model",
        }
    }

    /// Looks an attack up by its name.
    pub fn from_name(name: &str) -> Option<BuiltinAttack> {
        Self::every().find(|a| a.name() == name)
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
