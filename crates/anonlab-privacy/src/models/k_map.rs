//! k-map: every class of the release matches at least k people of the
//! population, counted in a population table or estimated from the sample.

use serde::{Deserialize, Serialize};

/// How the population size of a class is estimated when no population table is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellSizeEstimator {
    /// Population class sizes follow a Poisson law.
    Poisson,
    /// Zero-truncated Poisson (a class that occurs in the sample is not empty in the population).
    ZeroTruncatedPoisson,
}

/// The estimate's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KMapEstimate {
    /// The cell-size law.
    pub estimator: CellSizeEstimator,
    /// The accepted probability that a class matches fewer than k people (ARX's significance level).
    pub significance: f64,
    /// Population size N.
    pub population: u64,
}

/// k-map.
///
/// # Definition
/// A release satisfies k-map when each of its classes corresponds to at least
/// k individuals of the population. With a population table (the input) and a
/// research subset (the sample to publish), each class must hold at least k
/// population records. Without one, ARX derives from a cell-size law with mean
/// λ = k · n / N the smallest sample class size k' for which a class of the
/// population holds fewer than k people with probability at most the
/// significance level, and enforces k'-anonymity (k' ≤ k). n is every row of
/// the input, even with a research subset (as ARX: "TODO: consider subset").
///
/// # Citations
/// L. Sweeney, "Computational disclosure control", PhD thesis, MIT, 2001;
/// K. El Emam, F. Dankar, "Protecting privacy using k-anonymity", JAMIA 15(5), 2008;
/// ARX 3.9.2 `criteria/KMap`.
///
/// # ARX semantics
/// Population table: a per-class check, population count ≥ k, with no minimal
/// class size. Estimate: the minimal class size k' (`calculateKPoisson`,
/// `calculateKZeroPoisson`, then `min(k, k', n)`). Monotonic with
/// generalization and with suppression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMap {
    /// The population count each class must reach.
    pub k: u64,
    /// `None`: the input is the population and a research subset is the sample.
    pub estimate: Option<KMapEstimate>,
}

/// Prepared k-map.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Each class holds at least k population records (population table).
    Population(u64),
    /// k'-anonymity with the derived k'.
    Estimated(u64),
}

impl KMap {
    /// Human description.
    pub fn describe(&self) -> String {
        match &self.estimate {
            None => format!("{}-map", self.k),
            Some(e) => format!(
                "{}-map ({}, significance {}, population {})",
                self.k,
                match e.estimator {
                    CellSizeEstimator::Poisson => "Poisson",
                    CellSizeEstimator::ZeroTruncatedPoisson => "zero-truncated Poisson",
                },
                e.significance,
                e.population
            ),
        }
    }

    /// Validates the parameters for a sample of `records` and prepares the check.
    pub fn prepare(&self, records: u64) -> Result<Check, String> {
        if self.k == 0 {
            return Err("k must be at least 1".into());
        }
        let Some(e) = &self.estimate else { return Ok(Check::Population(self.k)) };
        if !(0.0..=1.0).contains(&e.significance) {
            return Err(format!("significance must be in [0, 1], got {}", e.significance));
        }
        if e.population < records {
            return Err(format!("the population ({}) is smaller than the sample ({records} records)", e.population));
        }
        let lambda = records as f64 / e.population as f64 * self.k as f64;
        let derived = match e.estimator {
            CellSizeEstimator::Poisson => derived_k_poisson(lambda, e.significance, self.k),
            CellSizeEstimator::ZeroTruncatedPoisson => derived_k_zero_truncated(lambda, e.significance, self.k),
        };
        Ok(Check::Estimated(derived.min(records).min(self.k)))
    }
}

impl Check {
    /// ARX's minimal class size: k' when estimated, none with a population table.
    pub fn minimal_class_size(&self) -> Option<u64> {
        match self {
            Check::Population(_) => None,
            Check::Estimated(k) => Some(*k),
        }
    }
}

/// Poisson probabilities P(X = i), i = 0, 1, …, for mean `lambda`, computed in
/// log space so that large means do not underflow.
fn poisson(lambda: f64) -> impl Iterator<Item = f64> {
    let ln_lambda = lambda.ln();
    let mut ln_factorial = 0.0;
    (0u64..).map(move |i| {
        if i > 0 {
            ln_factorial += (i as f64).ln();
        }
        if lambda == 0.0 {
            return if i == 0 { 1.0 } else { 0.0 };
        }
        (i as f64 * ln_lambda - lambda - ln_factorial).exp()
    })
}

/// ARX's `KMap.calculateKPoisson`: counts up the Poisson CDF until it reaches
/// 1 − significance (or k), returning the counter plus one.
fn derived_k_poisson(lambda: f64, significance: f64, k: u64) -> u64 {
    let threshold = 1.0 - significance;
    let mut pmf = poisson(lambda);
    let (mut counter, mut cdf, mut value) = (0u64, 0.0, 0.0);
    while value < threshold {
        cdf += pmf.next().expect("endless");
        value = cdf;
        counter += 1;
        if counter >= k {
            break;
        }
    }
    counter + 1
}

/// ARX's `KMap.calculateKZeroPoisson`: sums P(X = i) / (1 − P(X = 0)) from i = 1.
fn derived_k_zero_truncated(lambda: f64, significance: f64, k: u64) -> u64 {
    let threshold = 1.0 - significance;
    let mut pmf = poisson(lambda);
    let p0 = pmf.next().expect("endless");
    let v2 = 1.0 - p0;
    let (mut counter, mut value) = (1u64, 0.0);
    while value < threshold {
        value += pmf.next().expect("endless") / v2;
        counter += 1;
        if counter >= k {
            break;
        }
    }
    counter
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived(k: u64, estimator: CellSizeEstimator, records: u64, population: u64) -> u64 {
        let estimate = Some(KMapEstimate { estimator, significance: 0.01, population });
        match (KMap { k, estimate }).prepare(records).unwrap() {
            Check::Estimated(k) => k,
            Check::Population(_) => unreachable!("an estimate was given"),
        }
    }

    #[test]
    fn derives_arx_k_for_adult_in_the_usa() {
        // λ = 3 · 30162 / 317238626 ≈ 2.9e-4: P(1 | X > 0) ≈ 1 − λ/2 ≥ 0.99 at once.
        assert_eq!(derived(3, CellSizeEstimator::ZeroTruncatedPoisson, 30_162, 317_238_626), 2);
        // λ ≈ 0.095: P(1 | X > 0) ≈ 0.953, plus P(2 | X > 0) ≈ 0.045 reaches 0.99 at i = 2.
        assert_eq!(derived(1000, CellSizeEstimator::ZeroTruncatedPoisson, 30_162, 317_238_626), 3);
        // Poisson: P(0) ≈ 0.909 < 0.99, P(≤1) ≈ 0.9957 → counter 2, k' = 3.
        assert_eq!(derived(1000, CellSizeEstimator::Poisson, 30_162, 317_238_626), 3);
    }

    #[test]
    fn derived_k_never_exceeds_k() {
        // The whole population sampled: λ = k, so k' would exceed k without the cap.
        assert_eq!(derived(5, CellSizeEstimator::Poisson, 1_000, 1_000), 5);
        assert_eq!(derived(5, CellSizeEstimator::ZeroTruncatedPoisson, 1_000, 1_000), 5);
    }

    #[test]
    fn large_means_do_not_underflow() {
        let sum: f64 = poisson(800.0).take(2_000).sum();
        assert!((sum - 1.0).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn rejects_impossible_settings() {
        let estimate = |significance, population| {
            Some(KMapEstimate { estimator: CellSizeEstimator::Poisson, significance, population })
        };
        assert!(KMap { k: 0, estimate: None }.prepare(10).is_err());
        assert!(KMap { k: 3, estimate: estimate(1.5, 100) }.prepare(10).is_err());
        assert!(KMap { k: 3, estimate: estimate(0.01, 5) }.prepare(10).unwrap_err().contains("smaller"));
    }
}
