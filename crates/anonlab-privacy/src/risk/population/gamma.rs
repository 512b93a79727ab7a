//! Digamma and trigamma as ARX computes them (Minka's lightspeed port).
//!
//! ARX's trigamma adds its asymptotic tail only from x ≥ 12 (it tests the
//! digamma cut-off), so for smaller x it lacks the tail. It feeds only the
//! Jacobian of Pitman's Newton iteration; we keep it so the iteration takes
//! the same path and reaches the same converge-or-fail decisions as ARX.

use std::f64::consts::PI;

const EULER: f64 = 0.577_215_664_901_532_9;
const ZETA3: f64 = 1.202_056_903_159_594_3;

/// ψ(x).
pub fn digamma(x: f64) -> f64 {
    if !x.is_finite() {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x < 0.0 {
        return digamma(1.0 - x) + PI / (-PI * x).tan();
    }
    if x <= 1e-6 {
        return -EULER - 1.0 / x + (PI * PI / 6.0) * x;
    }
    let (mut x, mut r) = (x, 0.0);
    while x < 12.0 {
        r -= 1.0 / x;
        x += 1.0;
    }
    r += x.ln() - 0.5 / x;
    let r2 = 1.0 / (x * x);
    r - r2 * (1.0 / 12.0 - r2 * (1.0 / 120.0 - r2 * (1.0 / 252.0 - r2 * (1.0 / 240.0 - r2 * (1.0 / 132.0)))))
}

/// ψ₁(x), with ARX's missing tail below 12.
pub fn trigamma(x: f64) -> f64 {
    if !x.is_finite() {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x < 0.0 {
        let s = PI / (-PI * x).sin();
        return -trigamma(1.0 - x) + s * s;
    }
    if x <= 1e-4 {
        return 1.0 / (x * x) + PI * PI / 6.0 - 2.0 * ZETA3 * x;
    }
    let (mut x, mut r) = (x, 0.0);
    while x < 8.0 {
        r += 1.0 / (x * x);
        x += 1.0;
    }
    if x >= 12.0 {
        let r2 = 1.0 / (x * x);
        r += 0.5 * r2
            + (1.0 + r2 * (1.0 / 6.0 + r2 * (-1.0 / 30.0 + r2 * (1.0 / 42.0 + r2 * (-1.0 / 30.0 + r2 * 5.0 / 66.0)))))
                / x;
    }
    r
}

/// `Math.pow` with Java's special cases (NaN exponent → NaN even for base 1;
/// ±1 to an infinite power → NaN), which ARX's SNB model can hit.
pub fn java_pow(x: f64, y: f64) -> f64 {
    if y.is_nan() || (x.abs() == 1.0 && y.is_infinite()) { f64::NAN } else { x.powf(y) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_is_accurate_and_trigamma_keeps_arx_quirk() {
        assert!((digamma(1.0) + EULER).abs() < 1e-12);
        assert!((digamma(100.0) - 4.600_161_852_738_087).abs() < 1e-12);
        // Full value would be π²/6 = 1.6449…; ARX's lacks the tail: Σ_{j=0}^{6} 1/(1+j)².
        let partial: f64 = (1..8).map(|j| 1.0 / (j * j) as f64).sum();
        assert!((trigamma(1.0) - partial).abs() < 1e-15);
        // Reference: the series Σ_k 1/(20+k)² summed directly.
        assert!((trigamma(20.0) - 0.051_270_822_935_202_85).abs() < 1e-12);
    }
}
