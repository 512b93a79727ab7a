//! The sums of Pitman's likelihood equations in constant time, for samples of
//! millions of records.
//!
//! Each sum runs over i = 1, 2, … while i < end of one of five smooth
//! functions of w = θ + α·i (1/w, 1/w², i/w, i/w², i²/w²). ARX adds every
//! term, millions per evaluation and a hundred evaluations per fit. Here the
//! first [`HEAD`] terms are added one by one and the rest comes from the
//! Euler–Maclaurin formula: the integral (Gauss–Legendre quadrature on pieces
//! over which w at most doubles, so each piece is integrated to machine
//! precision), half the end terms, and four Bernoulli corrections from the
//! functions' odd derivatives. Past the head the derivatives shrink like
//! (α/w)^k ≤ 1/i^k, so the remainder is below 10⁻²⁰ of the sum.
//!
//! Every term is positive when θ ≥ 0 and α > 0, so nothing cancels; outside
//! that region (or for sums of few terms) the caller adds the terms itself.

use std::sync::LazyLock;

/// Terms added one by one before the formula takes over.
const HEAD: f64 = 256.0;

/// Sums with fewer terms past the head than this are added one by one.
const MIN_TAIL: f64 = 4096.0;

/// Quadrature nodes per piece: on a piece over which w doubles the pole of
/// the integrands lies 1.5 piece lengths from its centre, so 16 nodes leave
/// an error near 10⁻²⁴.
const NODES: usize = 16;

/// B₂ₖ/(2k)! for k = 1..4: the Euler–Maclaurin correction coefficients.
const BERNOULLI: [f64; 4] = [1.0 / 12.0, -1.0 / 720.0, 1.0 / 30_240.0, -1.0 / 1_209_600.0];

/// One function of i summed by the likelihood equations, with w = θ + α·i.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Term {
    /// 1/w
    Reciprocal,
    /// 1/w²
    ReciprocalSquare,
    /// i/w
    Ratio,
    /// i/w²
    RatioOverW,
    /// i²/w²
    RatioSquare,
}

impl Term {
    /// The function at `x`, computed as ARX computes a term.
    fn at(self, x: f64, t: f64, a: f64) -> f64 {
        let w = t + x * a;
        match self {
            Term::Reciprocal => 1.0 / w,
            Term::ReciprocalSquare => 1.0 / (w * w),
            Term::Ratio => x / w,
            Term::RatioOverW => x / (w * w),
            Term::RatioSquare => x * x / (w * w),
        }
    }

    /// The `k`-th derivative at `x` (k ≥ 1, α > 0). Written from
    /// i = (w − θ)/α so that no difference of nearly equal numbers forms
    /// even when α ≪ θ/i: the brackets are α·x − kθ and (k−1)θ − 2α·x.
    fn derivative(self, k: i32, x: f64, t: f64, a: f64) -> f64 {
        let w = t + x * a;
        let factorial: f64 = (1..=k).map(f64::from).product();
        let ak = (-a).powi(k) * factorial; // (−α)^k k!
        let kf = f64::from(k);
        match self {
            Term::Reciprocal => ak / w.powi(k + 1),
            Term::ReciprocalSquare => ak * (kf + 1.0) / w.powi(k + 2),
            // i/w = 1/α − (θ/α)·(1/w)
            Term::Ratio => -t * ak / (a * w.powi(k + 1)),
            // i/w² = (1/α)(1/w) − (θ/α)(1/w²)
            Term::RatioOverW => ak * (x * a - kf * t) / (a * w.powi(k + 2)),
            // i²/w² = (1/α²)(1 − 2θ/w + θ²/w²)
            Term::RatioSquare => ak * t * ((kf - 1.0) * t - 2.0 * a * x) / (a * a * w.powi(k + 2)),
        }
    }
}

/// Gauss–Legendre nodes and weights on [−1, 1], by Newton's method on P₁₆.
static GAUSS: LazyLock<[(f64, f64); NODES]> = LazyLock::new(|| {
    let n = NODES as f64;
    std::array::from_fn(|i| {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n + 0.5)).cos();
        let mut derivative = 0.0;
        for _ in 0..100 {
            // P_n(x) and P_{n−1}(x) by the three-term recurrence.
            let (mut p, mut previous) = (1.0, 0.0);
            for j in 1..=NODES {
                let j = j as f64;
                (p, previous) = (((2.0 * j - 1.0) * x * p - (j - 1.0) * previous) / j, p);
            }
            derivative = n * (x * p - previous) / (x * x - 1.0);
            let step = p / derivative;
            x -= step;
            if step.abs() < 1e-16 {
                break;
            }
        }
        (x, 2.0 / ((1.0 - x * x) * derivative * derivative))
    })
});

/// Σ f(i) over i = 1, 2, … while i < `end`, for each of `terms`, with
/// w = `t` + `a`·i; `None` where the terms are not all positive and smooth
/// (θ < 0 or α ≤ 0), for too few terms, or when a result is not finite.
pub(super) fn sums<const F: usize>(terms: [Term; F], t: f64, a: f64, end: f64) -> Option<[f64; F]> {
    let last = end.ceil() - 1.0;
    if !(t >= 0.0 && a > 0.0 && t.is_finite() && a.is_finite() && last - HEAD >= MIN_TAIL) {
        return None;
    }
    let mut out = [0.0; F];
    // The head, term by term.
    let mut i = 1.0;
    while i < HEAD {
        for (sum, term) in out.iter_mut().zip(terms) {
            *sum += term.at(i, t, a);
        }
        i += 1.0;
    }
    // The tail from HEAD to last: ∫ + (f(HEAD) + f(last))/2 + corrections.
    let integrals = integrals(terms, t, a, HEAD, last);
    for ((sum, term), integral) in out.iter_mut().zip(terms).zip(integrals) {
        let mut tail = integral + (term.at(HEAD, t, a) + term.at(last, t, a)) / 2.0;
        for (k, b) in (1..).step_by(2).zip(BERNOULLI) {
            tail += b * (term.derivative(k, last, t, a) - term.derivative(k, HEAD, t, a));
        }
        *sum += tail;
    }
    out.iter().all(|s| s.is_finite()).then_some(out)
}

/// ∫ f(x) dx from `from` to `to` for each of `terms`, by Gauss–Legendre
/// quadrature on pieces over which w = θ + α·x at most doubles.
fn integrals<const F: usize>(terms: [Term; F], t: f64, a: f64, from: f64, to: f64) -> [f64; F] {
    let mut out = [0.0; F];
    let mut left = from;
    while left < to {
        // w(right) = 2·w(left): right = left + w(left)/α.
        let right = (left + (t + a * left) / a).min(to);
        let (centre, half) = ((left + right) / 2.0, (right - left) / 2.0);
        for &(node, weight) in GAUSS.iter() {
            let x = centre + half * node;
            for (integral, term) in out.iter_mut().zip(terms) {
                *integral += half * weight * term.at(x, t, a);
            }
        }
        left = right;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Term; 5] = [Term::Reciprocal, Term::ReciprocalSquare, Term::Ratio, Term::RatioOverW, Term::RatioSquare];

    /// Every term added, compensated (Neumaier), so the reference itself is
    /// exact to a few ulps however many terms it has.
    fn reference(term: Term, t: f64, a: f64, end: f64) -> f64 {
        let (mut sum, mut carry) = (0.0f64, 0.0f64);
        let mut i = 1.0;
        while i < end {
            let v = term.at(i, t, a);
            let s = sum + v;
            carry += if sum.abs() >= v.abs() { (sum - s) + v } else { (v - s) + sum };
            sum = s;
            i += 1.0;
        }
        sum + carry
    }

    #[test]
    fn gauss_legendre_integrates_polynomials_exactly() {
        let weights: f64 = GAUSS.iter().map(|(_, w)| w).sum();
        assert!((weights - 2.0).abs() < 1e-14, "{weights}");
        // Degree 30 is within the 2·16 − 1 that 16 nodes integrate exactly.
        let x30: f64 = GAUSS.iter().map(|(x, w)| w * x.powi(30)).sum();
        assert!((x30 - 2.0 / 31.0).abs() < 1e-14, "{x30}");
    }

    #[test]
    fn sums_match_every_term_added() {
        // Points Pitman's solver visits on large samples, from α near zero
        // (θ/α ≈ 10¹³) to α near one, with a million and ten million terms.
        let points = [(0.33, 0.66), (0.66, 1.0e-13), (2.6e5, 1.3e-2), (5.3e5, 0.137), (4.0, 0.99), (0.0, 0.5)];
        for end in [1_000_000.0, 10_000_000.0] {
            for (t, a) in points {
                let fast = sums(ALL, t, a, end).expect("in range");
                for (term, fast) in ALL.into_iter().zip(fast) {
                    let exact = reference(term, t, a, end);
                    assert!(
                        (fast - exact).abs() <= 1e-14 * exact.abs(),
                        "{term:?} θ {t} α {a} to {end}: {fast} vs {exact}"
                    );
                }
            }
        }
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for (t, a) in [(0.33, 0.66), (2.6e5, 1.3e-2), (4.0, 0.99)] {
            for term in ALL {
                for x in [300.0, 5_000.0] {
                    let h = 1e-4 * x;
                    let numeric = (term.at(x + h, t, a) - term.at(x - h, t, a)) / (2.0 * h);
                    let analytic = term.derivative(1, x, t, a);
                    assert!((numeric - analytic).abs() <= 1e-6 * analytic.abs(), "{term:?} {t} {a} {x}");
                    let numeric3 = (term.derivative(2, x + h, t, a) - term.derivative(2, x - h, t, a)) / (2.0 * h);
                    let analytic3 = term.derivative(3, x, t, a);
                    assert!((numeric3 - analytic3).abs() <= 1e-5 * analytic3.abs(), "{term:?} {t} {a} {x}");
                }
            }
        }
    }

    #[test]
    fn declines_where_terms_may_change_sign_or_are_few() {
        assert!(sums(ALL, -1.0, 0.5, 1e7).is_none());
        assert!(sums(ALL, 1.0, 0.0, 1e7).is_none());
        assert!(sums(ALL, 1.0, -0.1, 1e7).is_none());
        assert!(sums(ALL, 1.0, 0.5, 1_000.0).is_none());
        assert!(sums(ALL, f64::NAN, 0.5, 1e7).is_none());
    }
}
