//! Success rates with Wilson score intervals, and the residual risk of an
//! attack over its control, exactly as Anonymeter defines them (Giomi et al.,
//! PoPETs 2023), so the two tools' numbers can be compared digit for digit.

use serde::Serialize;

use crate::error::{Error, Result};

/// A point estimate with its confidence interval, clamped to `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The best estimate.
    pub value: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

impl Estimate {
    /// An estimate `value ± error`, each end clamped to `[0, 1]` (Anonymeter's `bind_value`).
    pub fn bounded(value: f64, error: f64) -> Self {
        let clamp = |x: f64| x.clamp(0.0, 1.0);
        Estimate { value: clamp(value), low: clamp(value - error), high: clamp(value + error) }
    }
}

/// A success rate with the half-width of its interval, before clamping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SuccessRate {
    /// Wilson's centre, `(s + z²/2) / (n + z²)`.
    pub value: f64,
    /// Half-width of the Wilson interval.
    pub error: f64,
}

impl SuccessRate {
    /// The Wilson score estimate of `successes` out of `trials` at `confidence`.
    ///
    /// Wilson's interval stays sensible where the normal approximation fails
    /// (no successes, all successes, few trials) — the usual situation of an
    /// attack that mostly fails. `successes` may be fractional (a corrected count).
    pub fn wilson(trials: u64, successes: f64, confidence: f64) -> Result<Self> {
        if trials == 0 {
            return Err(Error::invalid("an attack needs at least one trial; got 0 attacks"));
        }
        let n = trials as f64;
        if !(0.0..=n).contains(&successes) {
            return Err(Error::internal(format!("{successes} successes out of {trials} trials")));
        }
        let z = probit(confidence)?;
        let z2 = z * z;
        let variance = successes * (n - successes) / n;
        let denominator = n + z2;
        Ok(SuccessRate {
            value: (successes + 0.5 * z2) / denominator,
            error: z / denominator * (variance + 0.25 * z2).sqrt(),
        })
    }

    /// The rate as a clamped estimate.
    pub fn estimate(self) -> Estimate {
        Estimate::bounded(self.value, self.error)
    }

    /// The excess of this (attack) rate over the control rate, normalized by
    /// the room the control leaves, `(a − c) / (1 − c)`, with the error
    /// propagated to first order. A control rate of 1 leaves no room: the
    /// residual is then reported as the whole range `[0, 1]`.
    pub fn residual_over(self, control: SuccessRate) -> Estimate {
        let room = 1.0 - control.value;
        if room <= 0.0 {
            return Estimate { value: 0.0, low: 0.0, high: 1.0 };
        }
        let residual = (self.value - control.value) / room;
        let d_attack = 1.0 / room.abs();
        let d_control = (self.value - 1.0) / (room * room);
        let error = ((self.error * d_attack).powi(2) + (control.error * d_control).powi(2)).sqrt();
        Estimate::bounded(residual, error)
    }
}

/// The two-sided standard-normal quantile for `confidence` (1.959964 for 0.95).
pub fn probit(confidence: f64) -> Result<f64> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::invalid(format!("confidence level must lie strictly between 0 and 1; got {confidence}")));
    }
    Ok(normal_quantile(0.5 * (1.0 + confidence)))
}

/// Standard-normal quantile: Acklam's rational approximation (relative error
/// 1.2e-9) refined by one Halley step on the exact CDF (erfc), which brings it
/// to double precision — one function, so no statistics crate for it.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] =
        [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    const LOW: f64 = 0.02425;
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let x = if p < LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let e = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_published_values() {
        // scipy.stats.norm.ppf
        assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-14);
        assert!((normal_quantile(0.995) - 2.5758293035489004).abs() < 1e-14);
        assert!((normal_quantile(0.01) + 2.3263478740408408).abs() < 1e-13);
        assert!((normal_quantile(0.5)).abs() < 1e-15);
    }

    #[test]
    fn wilson_matches_anonymeter() {
        // anonymeter.stats.confidence.success_rate(500, 100, 0.95)
        let r = SuccessRate::wilson(500, 100.0, 0.95).unwrap();
        assert!((r.value - 0.20228730213846569).abs() < 1e-15, "{}", r.value);
        assert!((r.error - 0.035001803166708256).abs() < 1e-15, "{}", r.error);
    }

    #[test]
    fn residual_is_clamped_and_handles_a_certain_control() {
        let a = SuccessRate { value: 0.3, error: 0.05 };
        let c = SuccessRate { value: 0.5, error: 0.05 };
        assert_eq!(a.residual_over(c).value, 0.0);
        let r = c.residual_over(a);
        assert!((r.value - 0.2 / 0.7).abs() < 1e-15);
        assert_eq!(
            a.residual_over(SuccessRate { value: 1.0, error: 0.0 }),
            Estimate { value: 0.0, low: 0.0, high: 1.0 }
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(SuccessRate::wilson(0, 0.0, 0.95).is_err());
        assert!(probit(1.0).is_err());
        assert!(probit(f64::NAN).is_err());
    }
}
