//! Population uniqueness: a threshold on the estimated fraction of the
//! population that is unique on the quasi-identifiers.

use serde::{Deserialize, Serialize};

use super::sample::Distribution;
use crate::risk::Estimator;
use crate::risk::population::criterion_fraction;

/// At most `threshold` of the population is estimated to be unique.
///
/// # Definition
/// From the class sizes of the release's retained records (the sample of n
/// records drawn from a population of N people), a statistical model estimates
/// the number U of population uniques; the model holds when U / N ≤ `threshold`.
///
/// # Citations
/// F. Dankar et al., "Estimating the re-identification risk of clinical data
/// sets", BMC Medical Informatics and Decision Making 12:66, 2012;
/// ARX 3.9.2 `criteria/PopulationUniqueness`.
///
/// # ARX semantics
/// A sample-based model enforced like the average risk (smallest classes
/// suppressed first, binary search, within the limit), with the estimators of
/// `anonlab risk` on the retained classes (records fully generalized to `*`
/// left out). Passes when 0 < U/N ≤ threshold, or when U/N = 0 and no class has
/// a single record; a model whose solver fails (0) with sample uniques present
/// therefore fails. Dankar's rule runs without the Zayatz fallback. Monotonic
/// with generalization only for Zayatz's model, never with suppression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationUniqueness {
    /// Which estimate is held to the threshold.
    pub estimator: Estimator,
    /// Largest fraction of population uniques, in (0, 1].
    pub threshold: f64,
    /// Population size N (at least the number of records).
    pub population: u64,
}

/// Prepared population-uniqueness check.
#[derive(Debug, Clone)]
pub struct Check {
    estimator: Estimator,
    threshold: f64,
    population: u64,
}

impl PopulationUniqueness {
    /// Human description.
    pub fn describe(&self) -> String {
        format!("population-uniqueness({}) ≤ {} of {}", self.estimator.name(), self.threshold, self.population)
    }

    /// Validates the parameters against the sample size and prepares the check.
    pub fn prepare(&self, records: u64) -> Result<Check, String> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(format!("threshold must be in (0, 1], got {}", self.threshold));
        }
        if self.population < records {
            return Err(format!("the population ({}) is smaller than the sample ({records} records)", self.population));
        }
        Ok(Check { estimator: self.estimator, threshold: self.threshold, population: self.population })
    }

    /// True when the model's check is the same at every generalization (ARX:
    /// monotonic with generalization for Zayatz's estimator only).
    pub fn monotonic_with_generalization(&self) -> bool {
        self.estimator == Estimator::Zayatz
    }
}

impl Check {
    /// True when the retained classes `d` meet the threshold (an empty release does).
    pub fn fulfilled(&self, d: &Distribution) -> bool {
        if d.records == 0 {
            return true;
        }
        let uniques = criterion_fraction(self.estimator, d, self.population);
        if uniques > 0.0 { uniques <= self.threshold } else { uniques == 0.0 && d.of_size(1) == 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(estimator: Estimator, threshold: f64) -> Check {
        PopulationUniqueness { estimator, threshold, population: 1_000_000 }.prepare(1_000).unwrap()
    }

    #[test]
    fn no_sample_uniques_means_no_population_uniques() {
        let d = Distribution::from_sizes([2, 3, 5]);
        for e in [Estimator::Pitman, Estimator::Zayatz, Estimator::Snb, Estimator::Dankar] {
            assert!(check(e, 1e-9).fulfilled(&d));
        }
    }

    #[test]
    fn threshold_separates_low_and_high_uniqueness() {
        // 100 singletons among 1,000 records: Zayatz estimates a positive share of uniques.
        let d = Distribution::from_sizes(std::iter::repeat_n(1, 100).chain(std::iter::repeat_n(10, 90)));
        let figure = criterion_fraction(Estimator::Zayatz, &d, 1_000_000);
        assert!(figure > 0.0);
        assert!(check(Estimator::Zayatz, figure).fulfilled(&d));
        assert!(!check(Estimator::Zayatz, figure * 0.999).fulfilled(&d));
    }

    #[test]
    fn rejects_impossible_settings() {
        let model =
            |threshold, population| PopulationUniqueness { estimator: Estimator::Dankar, threshold, population };
        assert!(model(0.0, 10).prepare(5).is_err());
        assert!(model(1.01, 10).prepare(5).is_err());
        assert!(model(0.1, 4).prepare(5).unwrap_err().contains("smaller than the sample"));
    }
}
