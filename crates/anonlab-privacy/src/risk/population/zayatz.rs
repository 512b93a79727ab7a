//! Zayatz's model (ARX's ModelZayatz).
//!
//! # Definition
//! With P_s the hypergeometric probability that exactly one of a class's s
//! population members lands in a sample of n out of N:
//! cond = (c1/u · P_1) / Σ_s (c_s/u · P_s), U = c1 · cond / f.
//!
//! # Citations
//! L. Zayatz, "Estimation of the percent of unique population elements on a
//! microdata file using the sample", US Census Bureau, 1991.

use super::super::ClassSizes;
use super::euler_maclaurin::{LogOneMinus, sums};

/// ln P(X = 1) for X ~ Hypergeometric(N, s, n): ln(s·n/(N−n+1)) + Σ_{i<n−1} ln(1 − s/(N−i)).
/// Summing log1p terms keeps about 1e-14 relative accuracy at N ≈ 10^9, where
/// differences of log-gamma values would lose seven digits. ARX adds the n − 1
/// terms one by one, for every distinct class size (10 M records: 0.2 s per
/// size); the Euler–Maclaurin formula gives the sum over population sizes
/// j = N − n + 2 … N to 1e-14 in constant time (all terms have one sign, so
/// there is no decision that a last-digit difference could flip).
fn ln_p_one(s: f64, n: f64, big_n: f64) -> f64 {
    let first = big_n - n + 2.0;
    if first <= s {
        return f64::NEG_INFINITY; // some term is ln(0) or undefined: ARX returns −∞
    }
    let [sum] = sums([LogOneMinus { s }], s, first, big_n);
    (s * n / (big_n - n + 1.0)).ln() + sum
}

/// The estimated number of population uniques.
pub fn unique(sizes: &ClassSizes, big_n: f64) -> f64 {
    let (n, u, c1) = (sizes.records as f64, sizes.classes as f64, sizes.of_size(1) as f64);
    let f = n / big_n;
    let temp: f64 = sizes.histogram.iter().map(|(&s, &c)| c as f64 / u * ln_p_one(s as f64, n, big_n).exp()).sum();
    let cond = (c1 / u * ln_p_one(1.0, n, big_n).exp()) / temp;
    c1 * cond / f
}
