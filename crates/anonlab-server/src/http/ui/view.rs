//! What templates are given: figures formatted for people, and form fields.
//!
//! Numbers are formatted here rather than in templates, so every page shows a
//! risk, a share or an interval the same way.

use std::collections::HashMap;

use anonlab_arena::anomed::driver::ModelUtilityMetrics;
use anonlab_arena::evaluate::metrics::{Estimate, PrivacyMetrics, UtilityMetrics};
use anonlab_arena::leaderboard::{Entry, PrivacyCell};
use anonlab_arena::submission::{BuiltinAnonymizer, BuiltinAttack, Implementation, Visibility};
use serde::Serialize;

/// A fraction with three decimals (risks, information loss, distances).
pub(super) fn fixed(value: f64) -> String {
    if value.is_finite() { format!("{value:.3}") } else { "–".to_string() }
}

/// A share in percent.
pub(super) fn percent(value: f64) -> String {
    if !value.is_finite() {
        "–".to_string()
    } else if value != 0.0 && value.abs() < 0.001 {
        format!("{:.3} %", value * 100.0)
    } else {
        format!("{:.1} %", value * 100.0)
    }
}

/// An estimate with its 95 % interval: `0.123 [0.101, 0.145]`.
pub(super) fn estimate(e: &Estimate) -> String {
    format!("{} [{}, {}]", fixed(e.value), fixed(e.low), fixed(e.high))
}

/// Seconds for people: `0.42 s`, `12 s`, `3 min 5 s`.
pub(super) fn seconds(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.2} s")
    } else if s < 120.0 {
        format!("{s:.0} s")
    } else {
        format!("{} min {} s", (s / 60.0).floor(), (s % 60.0).round())
    }
}

/// A Unix-ms time as `2026-12-02 10:15 UTC`.
pub(super) fn time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rest / 3600, rest % 3600 / 60)
}

/// Percent-encodes `text` for a query string value.
pub(super) fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where to go after signing in: a path on this site only (never `//host` or
/// a full URL, which would make the form an open redirect).
pub(super) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.contains("://") => {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The fields of a posted form, in order; repeated names (checkboxes) allowed.
#[derive(Debug, Default)]
pub(super) struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
    }

    /// The first value of `name`, untrimmed (passwords).
    pub fn raw(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).collect()
    }

    /// The fields as a map for re-filling a refused form, passwords and the token left out.
    pub fn echo(&self) -> HashMap<String, String> {
        self.0
            .iter()
            .filter(|(k, _)| !k.contains("password") && k != "csrf")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// A built-in anonymizer's settings in words.
pub(super) fn settings(implementation: &Implementation) -> String {
    match implementation {
        Implementation::BuiltinAnonymizer(a) => match a {
            BuiltinAnonymizer::OptimalKAnonymity { k, suppression_limit } => {
                format!("optimal {k}-anonymity, ≤ {} suppressed", percent(*suppression_limit))
            }
            BuiltinAnonymizer::Mondrian { k } => format!("Mondrian, k = {k}"),
            BuiltinAnonymizer::Microaggregation { k } => format!("MDAV microaggregation, k = {k}"),
            BuiltinAnonymizer::Identity => "identity (no protection; reference)".to_string(),
        },
        Implementation::BuiltinAttack(a) => format!("built-in attack: {}", a.name()),
        Implementation::AnomedAnonymizer(s) => format!("AnoMed anonymizer at {} on {}", s.url, s.challenge),
        Implementation::AnomedTabularAnonymizer(s) => {
            format!("AnoMed tabular anonymizer at {} on {}", s.url, s.challenge)
        }
        Implementation::AnomedDeanonymizer(s) => {
            format!("AnoMed deanonymizer at {} against {}", s.url, s.target.as_deref().unwrap_or("?"))
        }
        Implementation::Wasm { .. } => "WebAssembly module".to_string(),
    }
}

/// The name of a submission's kind.
pub(super) fn kind(implementation: &Implementation) -> &'static str {
    match implementation {
        Implementation::BuiltinAnonymizer(_) => "built-in anonymizer",
        Implementation::BuiltinAttack(_) => "built-in attack",
        Implementation::AnomedAnonymizer(_) => "AnoMed anonymizer",
        Implementation::AnomedTabularAnonymizer(_) => "AnoMed tabular anonymizer",
        Implementation::AnomedDeanonymizer(_) => "AnoMed deanonymizer",
        Implementation::Wasm { .. } => "WebAssembly",
    }
}

/// `public` or `private`.
pub(super) fn visibility(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::Private => "private",
    }
}

/// Whether an evaluation state is still to change.
pub(super) fn pending(state: &str) -> bool {
    matches!(state, "queued" | "running" | "waiting")
}

/// One attack's cell on a leaderboard row.
#[derive(Debug, Serialize)]
pub(super) struct CellView {
    pub state: String,
    pub risk: Option<String>,
    pub interval: Option<String>,
    pub error: Option<String>,
}

impl CellView {
    pub fn new(cell: &PrivacyCell) -> CellView {
        CellView {
            state: cell.state.clone(),
            risk: cell.metrics.as_ref().map(|m| fixed(m.risk.value)),
            interval: cell.metrics.as_ref().map(|m| format!("[{}, {}]", fixed(m.risk.low), fixed(m.risk.high))),
            error: cell.error.clone(),
        }
    }
}

/// One leaderboard row.
#[derive(Debug, Serialize)]
pub(super) struct EntryRow {
    pub rank: usize,
    pub id: String,
    pub name: String,
    pub owner: String,
    pub settings: Option<String>,
    pub visibility: &'static str,
    pub state: String,
    pub error: Option<String>,
    pub information_loss: Option<String>,
    pub tvd_1way: Option<String>,
    pub tvd_2way: Option<String>,
    pub accuracy: Option<String>,
    pub baseline: Option<String>,
    pub utility_score: Option<String>,
    /// A model's validation accuracy with its interval (AnoMed anonymizers).
    pub model_accuracy: Option<String>,
    pub model_majority: Option<String>,
    pub cells: Vec<CellView>,
    pub worst_risk: Option<String>,
    pub on_frontier: bool,
    pub pending: bool,
}

impl EntryRow {
    pub fn new(rank: usize, entry: &Entry, settings_visible: bool) -> EntryRow {
        let u = entry.utility.as_ref();
        EntryRow {
            rank,
            id: entry.submission.id.clone(),
            name: entry.submission.name.clone(),
            owner: entry.owner.clone(),
            settings: settings_visible.then(|| settings(&entry.submission.implementation)),
            visibility: visibility(entry.submission.visibility),
            state: entry.state.clone(),
            error: entry.error.clone(),
            information_loss: u.map(|u| fixed(u.information_loss)),
            tvd_1way: u.map(|u| fixed(u.marginal_tvd_1way)),
            tvd_2way: u.map(|u| fixed(u.marginal_tvd_2way)),
            accuracy: u.and_then(|u| u.classification_accuracy).map(fixed),
            baseline: u.and_then(|u| u.baseline_accuracy).map(fixed),
            utility_score: entry.utility_score.map(fixed),
            model_accuracy: entry.model_utility.as_ref().map(|m| estimate(&m.validation.accuracy)),
            model_majority: entry.model_utility.as_ref().map(|m| fixed(m.validation.majority_accuracy)),
            cells: entry.privacy.iter().map(CellView::new).collect(),
            worst_risk: entry.worst_risk.map(fixed),
            on_frontier: entry.on_frontier,
            pending: pending(&entry.state) || entry.privacy.iter().any(|c| pending(&c.state)),
        }
    }
}

/// A label and a value, for the detail page's tables.
#[derive(Debug, Serialize)]
pub(super) struct Figure {
    pub label: &'static str,
    pub value: String,
    pub note: &'static str,
}

/// The utility figures of a release, for the detail page.
pub(super) fn utility_figures(u: &UtilityMetrics) -> Vec<Figure> {
    let mut figures = vec![
        Figure {
            label: "Information loss",
            value: fixed(u.information_loss),
            note: "normalized certainty penalty over the quasi-identifiers, 0 = nothing lost",
        },
        Figure { label: "Utility score", value: fixed(1.0 - u.information_loss), note: "1 − information loss" },
        Figure { label: "Suppressed records", value: percent(u.suppressed_share), note: "" },
        Figure { label: "Equivalence classes", value: u.classes.to_string(), note: "" },
        Figure {
            label: "Marginal distance, 1-way",
            value: fixed(u.marginal_tvd_1way),
            note: "mean total variation distance to the real training part",
        },
        Figure {
            label: "Marginal distance, 2-way",
            value: fixed(u.marginal_tvd_2way),
            note: "mean total variation distance of the pairs",
        },
    ];
    if let Some(a) = u.classification_accuracy {
        figures.push(Figure {
            label: "Classification accuracy",
            value: fixed(a),
            note: "trained on the release, tested on real held-out records",
        });
    }
    if let Some(b) = u.baseline_accuracy {
        figures.push(Figure { label: "Baseline accuracy", value: fixed(b), note: "trained on the real training part" });
    }
    figures.extend([
        Figure { label: "Highest prosecutor risk", value: fixed(u.prosecutor_risk), note: "1 / smallest class" },
        Figure { label: "Average prosecutor risk", value: fixed(u.average_risk), note: "" },
        Figure { label: "Run time", value: seconds(u.seconds), note: "anonymization and scoring" },
    ]);
    figures
}

/// The utility figures of an AnoMed model, for the detail page.
pub(super) fn model_figures(m: &ModelUtilityMetrics) -> Vec<Figure> {
    let mut figures = vec![
        Figure {
            label: "Validation accuracy",
            value: estimate(&m.validation.accuracy),
            note: "scored once by the challenge route, 95 % Wilson interval",
        },
        Figure {
            label: "Majority-class accuracy",
            value: fixed(m.validation.majority_accuracy),
            note: "always answering the training part's most common class",
        },
        Figure { label: "Validation records", value: m.validation.records.to_string(), note: "" },
    ];
    if let Some(t) = &m.tuning {
        figures.push(Figure { label: "Tuning accuracy", value: estimate(&t.accuracy), note: "the last tuning round" });
    }
    figures.push(Figure { label: "Protocol calls", value: m.calls.join("; "), note: "" });
    figures.push(Figure { label: "Run time", value: seconds(m.seconds), note: "fit and both evaluation rounds" });
    figures
}

/// One attack's result on the detail page.
#[derive(Debug, Serialize)]
pub(super) struct AttackView {
    pub name: String,
    pub state: String,
    pub error: Option<String>,
    pub risk: Option<String>,
    pub attack_rate: Option<String>,
    pub baseline_rate: Option<String>,
    pub control_rate: Option<String>,
    pub trials: Option<u64>,
    pub auc: Option<String>,
    pub tpr_low_fpr: Option<String>,
    pub warnings: Vec<String>,
    pub seconds: Option<String>,
}

impl AttackView {
    pub fn new(name: &str, cell: &PrivacyCell) -> AttackView {
        let m: Option<&PrivacyMetrics> = cell.metrics.as_ref();
        AttackView {
            name: name.to_string(),
            state: cell.state.clone(),
            error: cell.error.clone(),
            risk: m.map(|m| estimate(&m.risk)),
            attack_rate: m.map(|m| estimate(&m.attack_rate)),
            baseline_rate: m.map(|m| estimate(&m.baseline_rate)),
            control_rate: m.map(|m| estimate(&m.control_rate)),
            trials: m.map(|m| m.trials),
            auc: m.and_then(|m| m.auc).map(fixed),
            tpr_low_fpr: m.and_then(|m| match (m.tpr_at_0_1_fpr, m.tpr_at_1_fpr) {
                (Some(a), Some(b)) => Some(format!("{} / {}", fixed(a), fixed(b))),
                _ => None,
            }),
            warnings: m.map(|m| m.warnings.clone()).unwrap_or_default(),
            seconds: m.map(|m| seconds(m.seconds)),
        }
    }
}

/// The names of the built-in attacks, for the challenge form.
pub(super) fn attack_names() -> Vec<&'static str> {
    BuiltinAttack::every().map(|a| a.name()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_in_utc() {
        assert_eq!(time(0), "1970-01-01 00:00 UTC");
        assert_eq!(time(1_796_212_800_000), "2026-12-02 12:00 UTC");
        assert_eq!(time(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn refuses_redirects_off_the_site() {
        assert_eq!(local_path(Some("/submit")), "/submit");
        for bad in ["//evil.example/x", "https://evil.example", "/\\evil", "", "x"] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn formats_figures() {
        assert_eq!(fixed(0.12345), "0.123");
        assert_eq!(percent(0.05), "5.0 %");
        assert_eq!(percent(0.00001), "0.001 %");
        assert_eq!(estimate(&Estimate { value: 0.1, low: 0.05, high: 0.2 }), "0.100 [0.050, 0.200]");
        assert_eq!(query_escape("/a b?c"), "/a%20b%3Fc");
    }
}
