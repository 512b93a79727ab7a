//! What an evaluation records: the utility of one release, the privacy one attack measured.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A figure with its confidence interval (95 %).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Estimate {
    /// The point estimate.
    pub value: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

/// Records per re-identification risk band, as ARX reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RiskBand {
    /// The band, e.g. `]10%, 20%]`.
    pub band: String,
    /// Share of records in it.
    pub share: f64,
}

/// The utility of one anonymizer's release on one challenge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UtilityMetrics {
    /// Normalized certainty penalty over the quasi-identifiers, 0 (none lost) to 1.
    pub information_loss: f64,
    /// Share of released records suppressed in every quasi-identifier.
    pub suppressed_share: f64,
    /// Equivalence classes in the release.
    pub classes: u64,
    /// Mean total variation distance of the 1-way marginals, release against the
    /// real training part, generalized values spread uniformly over what they cover.
    pub marginal_tvd_1way: f64,
    /// The same for all 2-way marginals of quasi-identifiers, sensitive and target columns.
    pub marginal_tvd_2way: f64,
    /// Accuracy on the real test part of a classifier trained on the release
    /// (`None` when the challenge names no target).
    pub classification_accuracy: Option<f64>,
    /// The same classifier trained on the real training part: the best a release can do.
    pub baseline_accuracy: Option<f64>,
    /// Highest prosecutor re-identification risk in the release.
    pub prosecutor_risk: f64,
    /// Average prosecutor re-identification risk.
    pub average_risk: f64,
    /// Records per risk band.
    pub risk_bands: Vec<RiskBand>,
    /// Wall time of the anonymization and the scoring, in seconds.
    pub seconds: f64,
    /// For a release made by an AnoMed app: the calls made to it, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protocol_calls: Vec<String>,
}

/// What one attack learned from one release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PrivacyMetrics {
    /// The attack's name.
    pub attack: String,
    /// Residual risk `(attack − control)/(1 − control)`.
    pub risk: Estimate,
    /// Success rate on members.
    pub attack_rate: Estimate,
    /// Success rate of random guessing.
    pub baseline_rate: Estimate,
    /// Success rate on held-out control records.
    pub control_rate: Estimate,
    /// Attempts made.
    pub trials: u64,
    /// Area under the ROC curve, for attacks that score targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auc: Option<f64>,
    /// True positive rate at 0.1 % false positives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpr_at_0_1_fpr: Option<f64>,
    /// True positive rate at 1 % false positives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpr_at_1_fpr: Option<f64>,
    /// ROC curve points `[fpr, tpr]`, from (0,0) to (1,1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roc: Vec<[f64; 2]>,
    /// Membership attacks on models: the hard decisions' confusion counts and
    /// rates (with AnoMed's FPR beside the right one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decisions: Option<crate::anomed::score::MembershipDecisions>,
    /// What the attack could not do as asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Wall time in seconds.
    pub seconds: f64,
}
