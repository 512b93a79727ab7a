//! Average re-identification risk: a threshold on the prosecutor risk of the
//! whole release rather than of each class.

use serde::{Deserialize, Serialize};

use super::sample::Distribution;

/// Average re-identification risk below a threshold.
///
/// # Definition
/// The average prosecutor risk of a release with u retained classes and n
/// retained records is u / n (each record's risk is 1/|its class|; averaged
/// over records). The release satisfies the model when u / n ≤ `threshold`;
/// optionally also at most `records_at_risk` of the retained records may sit in
/// classes whose risk exceeds `highest_risk`.
///
/// # Citations
/// K. El Emam, "Guide to the De-Identification of Personal Health Information", 2013;
/// ARX 3.9.2 `criteria/AverageReidentificationRisk`.
///
/// # ARX semantics
/// A sample-based model: it holds for the release as a whole, and is enforced
/// by suppressing whole classes, smallest first, within the suppression limit
/// (`RiskBasedCriterion.enforce`). ARX tests `1 / (n / u) ≤ threshold` and
/// turns `highest_risk` into a class size with
/// `ParameterTranslation.getSizeThreshold`: s = ⌊1/r⌋, plus one when
/// 1/⌊1/r⌋ − r ≥ 0.01·r. Monotonic with generalization and with suppression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AverageRisk {
    /// Largest average re-identification risk, in (0, 1].
    pub threshold: f64,
    /// Risk above which a record is "at risk", in (0, 1]; with `records_at_risk`.
    #[serde(default)]
    pub highest_risk: Option<f64>,
    /// Largest fraction of records at risk, in [0, 1]; with `highest_risk`.
    #[serde(default)]
    pub records_at_risk: Option<f64>,
}

/// Prepared average-risk check.
#[derive(Debug, Clone)]
pub struct Check {
    threshold: f64,
    /// Classes smaller than this are at risk, and at most `records_at_risk` of the records may be in them.
    at_risk: Option<(u64, f64)>,
}

/// ARX's `ParameterTranslation.getSizeThreshold`: the smallest class size whose
/// risk 1/size is at most `risk`, with a 1 % relative tolerance.
pub(crate) fn size_threshold(risk: f64) -> u64 {
    let size = 1.0 / risk;
    let mut floor = size.floor();
    if (1.0 / floor) - (1.0 / size) >= 0.01 * risk {
        floor += 1.0;
    }
    floor as u64
}

impl AverageRisk {
    /// Human description.
    pub fn describe(&self) -> String {
        match (self.highest_risk, self.records_at_risk) {
            (Some(h), Some(r)) => format!("average-risk ≤ {} (≤ {r} of records above risk {h})", self.threshold),
            _ => format!("average-risk ≤ {}", self.threshold),
        }
    }

    /// Validates the parameters and prepares the check.
    pub fn prepare(&self) -> Result<Check, String> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(format!("threshold must be in (0, 1], got {}", self.threshold));
        }
        let at_risk = match (self.highest_risk, self.records_at_risk) {
            (None, None) => None,
            (Some(h), Some(r)) => {
                if !(h > 0.0 && h <= 1.0) {
                    return Err(format!("highest_risk must be in (0, 1], got {h}"));
                }
                if !(0.0..=1.0).contains(&r) {
                    return Err(format!("records_at_risk must be a fraction in [0, 1], got {r}"));
                }
                Some((size_threshold(h), r))
            }
            _ => return Err("highest_risk and records_at_risk are given together or not at all".into()),
        };
        Ok(Check { threshold: self.threshold, at_risk })
    }
}

impl Check {
    /// True when the retained classes `d` meet the thresholds (an empty release does).
    pub fn fulfilled(&self, d: &Distribution) -> bool {
        if d.records == 0 {
            return true;
        }
        let average_size = d.records as f64 / d.classes as f64;
        if 1.0 / average_size > self.threshold {
            return false;
        }
        let Some((smallest, allowed)) = self.at_risk else { return true };
        // ARX sums fractions size by size in ascending order; sizes without classes add 0.
        let fraction: f64 = d
            .histogram
            .range(..smallest)
            .map(|(&size, &classes)| classes as f64 * size as f64 / d.records as f64)
            .fold(0.0, |acc, f| acc + f);
        fraction <= allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_threshold_follows_arx_tolerance() {
        assert_eq!(size_threshold(0.2), 5);
        assert_eq!(size_threshold(0.1), 10);
        // 1/3 = 0.333…: ⌊3.0000…⌋ = 3 within tolerance.
        assert_eq!(size_threshold(1.0 / 3.0), 3);
        // 0.15 → 6.67 → 6, and 1/6 − 0.15 = 0.0167 ≥ 0.0015, so 7.
        assert_eq!(size_threshold(0.15), 7);
        assert_eq!(size_threshold(1.0), 1);
    }

    #[test]
    fn average_risk_is_classes_over_records() {
        let check = AverageRisk { threshold: 0.5, highest_risk: None, records_at_risk: None }.prepare().unwrap();
        // Classes of 1 and 3 records: 2 / 4 = 0.5 passes; 1, 1, 2: 3 / 4 fails.
        assert!(check.fulfilled(&Distribution::from_sizes([1, 3])));
        assert!(!check.fulfilled(&Distribution::from_sizes([1, 1, 2])));
        assert!(check.fulfilled(&Distribution::default()));
    }

    #[test]
    fn records_at_risk_count_records_in_small_classes() {
        let model = AverageRisk { threshold: 1.0, highest_risk: Some(0.5), records_at_risk: Some(0.25) };
        let check = model.prepare().unwrap();
        // Classes below size 2 are at risk: 1 of 5 records (0.2) passes, 2 of 6 (0.33) fails.
        assert!(check.fulfilled(&Distribution::from_sizes([1, 4])));
        assert!(!check.fulfilled(&Distribution::from_sizes([1, 1, 4])));
    }

    #[test]
    fn rejects_impossible_settings() {
        for (t, h, r) in [(0.0, None, None), (1.5, None, None), (0.1, Some(0.0), Some(0.1)), (0.1, Some(0.2), None)] {
            assert!(AverageRisk { threshold: t, highest_risk: h, records_at_risk: r }.prepare().is_err());
        }
    }
}
