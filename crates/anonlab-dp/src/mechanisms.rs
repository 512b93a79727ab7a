//! The mechanisms anonlab releases through, each a thin wrapper over an
//! OpenDP measurement: OpenDP samples the noise (exact discrete samplers on
//! integers, and on floats after rounding to a 2^k grid) and computes the
//! privacy cost with its proven privacy map. We never sample noise
//! ourselves; every function returns the released value together with the
//! ρ (zCDP) or ε (pure DP) OpenDP charges for it.
//!
//! Neighbouring datasets differ by one person's records added or removed
//! (OpenDP's symmetric distance); the sensitivities passed here are the most
//! one person can change the input vector.

use std::collections::HashMap;

use opendp::accuracy::discrete_gaussian_scale_to_accuracy;
use opendp::domains::{AtomDomain, MapDomain, VectorDomain};
use opendp::measurements::{make_gaussian, make_gaussian_threshold, make_laplace, make_noisy_max};
use opendp::measures::{Approximate, MaxDivergence, ZeroConcentratedDivergence};
use opendp::metrics::{AbsoluteDistance, L0PInfDistance, L1Distance, L2Distance, LInfDistance};

use crate::budget::check_delta;
use crate::error::{Error, Result};

/// A released vector and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Noisy<T> {
    /// The noisy values.
    pub values: Vec<T>,
    /// The noise scale (standard deviation for Gaussian noise).
    pub scale: f64,
    /// ρ (zCDP) for Gaussian noise, ε (pure DP) for Laplace noise.
    pub cost: f64,
}

fn check_scale(scale: f64) -> Result<()> {
    if scale.is_finite() && scale > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(format!("noise scale must be a positive number; got {scale}")))
    }
}

/// The Gaussian scale that spends `rho` on a query of L2 sensitivity `sensitivity`: `Δ / √(2ρ)`.
pub fn gaussian_scale(rho: f64, sensitivity: f64) -> Result<f64> {
    if !(rho > 0.0 && rho.is_finite()) {
        return Err(Error::invalid(format!("rho must be a positive number; got {rho}")));
    }
    Ok(sensitivity / (2.0 * rho).sqrt())
}

/// Counts with discrete Gaussian noise of standard deviation `scale`; one
/// person changes the vector by at most `sensitivity` in L2 norm (1 for a
/// histogram where each person is one row).
pub fn gaussian_counts(counts: &[i64], sensitivity: i64, scale: f64) -> Result<Noisy<i64>> {
    check_scale(scale)?;
    let m = make_gaussian::<_, _, ZeroConcentratedDivergence>(
        VectorDomain::new(AtomDomain::<i64>::default()),
        L2Distance::<i64>::default(),
        scale,
        None,
    )?;
    let cost = m.map(&sensitivity)?;
    Ok(Noisy { values: m.invoke(&counts.to_vec())?, scale, cost })
}

/// Real values (sums, clamped statistics) with Gaussian noise of standard
/// deviation `scale` (OpenDP rounds to a 2^k grid and samples exactly there,
/// which defeats the floating-point attacks on naive samplers).
pub fn gaussian_values(values: &[f64], sensitivity: f64, scale: f64) -> Result<Noisy<f64>> {
    check_scale(scale)?;
    if values.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid("values to release must be finite"));
    }
    let m = make_gaussian::<_, _, ZeroConcentratedDivergence>(
        VectorDomain::new(AtomDomain::<f64>::new_non_nan()),
        L2Distance::<f64>::default(),
        scale,
        None,
    )?;
    let cost = m.map(&sensitivity)?;
    Ok(Noisy { values: m.invoke(&values.to_vec())?, scale, cost })
}

/// Counts with discrete Laplace noise of scale `scale` (pure ε-DP); `sensitivity` in L1 norm.
pub fn laplace_counts(counts: &[i64], sensitivity: i64, scale: f64) -> Result<Noisy<i64>> {
    check_scale(scale)?;
    let m = make_laplace::<_, _, MaxDivergence>(
        VectorDomain::new(AtomDomain::<i64>::default()),
        L1Distance::<i64>::default(),
        scale,
        None,
    )?;
    let cost = m.map(&sensitivity)?;
    Ok(Noisy { values: m.invoke(&counts.to_vec())?, scale, cost })
}

/// The index of the (noisily) highest score: the exponential mechanism as
/// report-noisy-max with Gumbel noise of scale `scale`, accounted in zCDP
/// (OpenDP: ρ = (range sensitivity / scale)² / 8, Cesar & Rogers 2021). One
/// person changes each score by at most `sensitivity`, in any direction.
pub fn noisy_max(scores: &[f64], sensitivity: f64, scale: f64) -> Result<(usize, f64)> {
    check_scale(scale)?;
    if scores.is_empty() || scores.iter().any(|s| !s.is_finite()) {
        return Err(Error::invalid("noisy max needs at least one finite score"));
    }
    let m = make_noisy_max(
        VectorDomain::new(AtomDomain::<f64>::new_non_nan()),
        LInfDistance::<f64>::default(),
        ZeroConcentratedDivergence,
        scale,
        false,
    )?;
    let cost = m.map(&sensitivity)?;
    Ok((m.invoke(&scores.to_vec())?, cost))
}

/// The Gumbel scale that spends `rho` on one noisy max with score sensitivity
/// `sensitivity` (the inverse of [`noisy_max`]'s cost: scores may move in
/// opposite directions, so the range sensitivity is twice `sensitivity`).
pub fn noisy_max_scale(rho: f64, sensitivity: f64) -> Result<f64> {
    if !(rho > 0.0 && rho.is_finite()) {
        return Err(Error::invalid(format!("rho must be a positive number; got {rho}")));
    }
    Ok(2.0 * sensitivity / (8.0 * rho).sqrt())
}

/// Keys found in the data whose noisy count cleared a threshold, and the cost.
#[derive(Debug, Clone)]
pub struct Selected {
    /// Kept keys with their noisy counts, sorted by key.
    pub kept: Vec<(String, i64)>,
    /// The threshold a noisy count had to reach.
    pub threshold: i64,
    /// ρ charged.
    pub rho: f64,
    /// δ charged (the chance that a key held by one person is released).
    pub delta: f64,
}

/// Thresholded partition selection through OpenDP's `make_gaussian_threshold`
/// (Rogers 2023): discrete Gaussian noise of standard deviation `scale` on
/// the count of every key found in the data, releasing the keys whose noisy
/// count reaches the smallest threshold that keeps δ ≤ `delta`. Keys only a
/// handful of people hold are thus never published, which makes the key
/// list itself private. One person adds up to `contributions` rows, to at
/// most as many keys (L0 = L2 = L∞ = `contributions`, a bound that holds
/// however they spread).
pub fn gaussian_threshold(
    counts: HashMap<String, i64>,
    contributions: u32,
    scale: f64,
    delta: f64,
) -> Result<Selected> {
    check_scale(scale)?;
    check_delta(delta)?;
    let c = f64::from(contributions);
    let build = |threshold: i64| {
        make_gaussian_threshold::<_, _, Approximate<ZeroConcentratedDivergence>>(
            MapDomain::new(AtomDomain::<String>::default(), AtomDomain::<i64>::default()),
            L0PInfDistance(AbsoluteDistance::<f64>::default()),
            scale,
            threshold,
            None,
        )
    };
    let cost = |threshold: i64| -> Result<(f64, f64)> { Ok(build(threshold)?.map(&(contributions, c, c))?) };
    // The smallest threshold meeting δ: δ falls as the threshold grows.
    let (mut low, mut high) = (1i64, 2i64);
    while cost(high)?.1 > delta {
        low = high;
        high = high.checked_mul(2).ok_or_else(|| Error::invalid("no threshold meets the requested delta"))?;
    }
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if cost(mid)?.1 > delta { low = mid } else { high = mid }
    }
    let measurement = build(high)?;
    let (rho, spent_delta) = measurement.map(&(contributions, c, c))?;
    let mut kept: Vec<(String, i64)> = measurement.invoke(&counts)?.into_iter().collect();
    kept.sort();
    Ok(Selected { kept, threshold: high, rho, delta: spent_delta })
}

/// Half-width of the interval that holds a discrete-Gaussian-noised count
/// with probability `confidence` (OpenDP's accuracy function).
pub fn gaussian_count_accuracy(scale: f64, confidence: f64) -> Result<f64> {
    check_scale(scale)?;
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::invalid(format!("confidence must lie strictly between 0 and 1; got {confidence}")));
    }
    Ok(discrete_gaussian_scale_to_accuracy(scale, 1.0 - confidence)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_opendp_privacy_maps() {
        let g = gaussian_counts(&[10, 20], 1, 3.0).unwrap();
        assert!((g.cost - 1.0 / 18.0).abs() < 1e-12, "{}", g.cost);
        assert!((gaussian_scale(1.0 / 18.0, 1.0).unwrap() - 3.0).abs() < 1e-12);
        let l = laplace_counts(&[5], 1, 2.0).unwrap();
        assert!((l.cost - 0.5).abs() < 1e-12);
        let scale = noisy_max_scale(0.01, 1.0).unwrap();
        let (_, rho) = noisy_max(&[1.0, 5.0, 3.0], 1.0, scale).unwrap();
        assert!((rho - 0.01).abs() < 1e-9, "{rho}");
    }

    #[test]
    fn noisy_max_prefers_the_clear_winner() {
        let (i, _) = noisy_max(&[0.0, 1000.0, 0.0], 1.0, 1.0).unwrap();
        assert_eq!(i, 1);
    }

    #[test]
    fn bad_settings_are_errors() {
        assert!(gaussian_counts(&[1], 1, 0.0).is_err());
        assert!(gaussian_values(&[f64::NAN], 1.0, 1.0).is_err());
        assert!(noisy_max(&[], 1.0, 1.0).is_err());
        assert!(gaussian_count_accuracy(1.0, 1.0).is_err());
    }

    /// χ² goodness of fit of 10^5 draws against the discrete Gaussian's
    /// probabilities (∝ exp(−x²/2σ²)), cells |x| ≤ 8 plus the two tails.
    #[test]
    fn discrete_gaussian_draws_fit_their_distribution() {
        let sigma = 3.0;
        let draws = gaussian_counts(&vec![0; 100_000], 1, sigma).unwrap().values;
        let weight = |x: i64| (-(x * x) as f64 / (2.0 * sigma * sigma)).exp();
        let norm: f64 = (-60..=60).map(weight).sum();
        let mut chi2 = 0.0;
        let mut cells = 0;
        let mut observe = |lo: i64, hi: i64| {
            let p: f64 = (lo..=hi).map(weight).sum::<f64>() / norm;
            let o = draws.iter().filter(|&&d| d >= lo && d <= hi).count() as f64;
            let e = p * draws.len() as f64;
            chi2 += (o - e).powi(2) / e;
            cells += 1;
        };
        observe(-60, -9);
        for x in -8..=8 {
            observe(x, x);
        }
        observe(9, 60);
        // 18 degrees of freedom: the 99.9 % quantile of χ² is 42.3.
        assert!(chi2 < 42.3, "χ² = {chi2} over {cells} cells");
        // Laplace: Kolmogorov–Smirnov against the discrete Laplace CDF.
        let b = 2.0;
        let draws = laplace_counts(&vec![0; 100_000], 1, b).unwrap().values;
        let q = (-1.0f64 / b).exp();
        let pmf = |x: i64| (1.0 - q) / (1.0 + q) * q.powi(x.abs() as i32);
        let mut sorted = draws.clone();
        sorted.sort_unstable();
        let n = sorted.len() as f64;
        let mut worst = 0.0f64;
        let mut cdf = (-200..-40).map(pmf).sum::<f64>();
        for x in -40..=40 {
            cdf += pmf(x);
            let empirical = sorted.partition_point(|&d| d <= x) as f64 / n;
            worst = worst.max((empirical - cdf).abs());
        }
        // KS critical value at 99.9 %: 1.95 / √n.
        assert!(worst < 1.95 / n.sqrt(), "KS distance {worst}");
    }
}
