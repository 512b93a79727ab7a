//! Sums of millions of terms of a smooth function in constant time, for the
//! population models on samples of millions of records.
//!
//! Pitman's likelihood equations sum five functions of w = θ + α·i over
//! every class and record, a hundred times per fit; Zayatz's model sums
//! ln(1 − s/j) over n population sizes for every distinct class size. ARX adds
//! every term. Here the terms near the function's singularity are added one
//! by one and the rest comes from the Euler–Maclaurin formula: the integral
//! (Gauss–Legendre quadrature on pieces over which the distance to the
//! singularity at most doubles, so each piece is integrated to machine
//! precision), half the end terms, and four Bernoulli corrections from the odd
//! derivatives. Past [`HEAD`] steps from the singularity the derivatives shrink
//! like 1/d^k at distance d, so the remainder is below 10⁻²⁰ of the sum.

use std::sync::LazyLock;

/// Terms within this many steps of the singularity are added one by one.
const HEAD: f64 = 256.0;

/// Tails shorter than this are added one by one too.
const MIN_TAIL: f64 = 4096.0;

/// Quadrature nodes per piece: on a piece over which the distance to the
/// singularity doubles, the singularity lies 1.5 piece lengths from the
/// piece's centre, so 16 nodes leave an error near 10⁻²⁴.
const NODES: usize = 16;

/// B₂ₖ/(2k)! for k = 1..4: the Euler–Maclaurin correction coefficients.
const BERNOULLI: [f64; 4] = [1.0 / 12.0, -1.0 / 720.0, 1.0 / 30_240.0, -1.0 / 1_209_600.0];

/// A function summed over consecutive integers: analytic on the real axis
/// right of a singularity the caller names.
pub(super) trait Summand: Copy {
    /// The term at `x`.
    fn at(self, x: f64) -> f64;
    /// The `k`-th derivative at `x` (k ≥ 1).
    fn derivative(self, k: i32, x: f64) -> f64;
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

/// Σ f(i) over the integers i from `first` to `last` for each f of
/// `summands`, all analytic right of `singularity` (< `first`).
pub(super) fn sums<S: Summand, const F: usize>(summands: [S; F], singularity: f64, first: f64, last: f64) -> [f64; F] {
    debug_assert!(singularity < first);
    let mut out = [0.0; F];
    // The head, term by term (the whole sum when the tail would be short).
    let mut i = first;
    let head_end = if last - (singularity + HEAD) < MIN_TAIL { last + 1.0 } else { singularity + HEAD };
    while i < head_end && i <= last {
        for (sum, f) in out.iter_mut().zip(summands) {
            *sum += f.at(i);
        }
        i += 1.0;
    }
    if i > last {
        return out;
    }
    // The tail from i to last: ∫ + (f(i) + f(last))/2 + corrections.
    let integrals = integrals(summands, singularity, i, last);
    for ((sum, f), integral) in out.iter_mut().zip(summands).zip(integrals) {
        let mut tail = integral + (f.at(i) + f.at(last)) / 2.0;
        for (k, b) in (1..).step_by(2).zip(BERNOULLI) {
            tail += b * (f.derivative(k, last) - f.derivative(k, i));
        }
        *sum += tail;
    }
    out
}

/// ∫ f(x) dx from `from` to `to` for each f of `summands`, by Gauss–Legendre
/// quadrature on pieces over which the distance to `singularity` at most doubles.
fn integrals<S: Summand, const F: usize>(summands: [S; F], singularity: f64, from: f64, to: f64) -> [f64; F] {
    let mut out = [0.0; F];
    let mut left = from;
    while left < to {
        let right = (2.0 * left - singularity).min(to);
        let (centre, half) = ((left + right) / 2.0, (right - left) / 2.0);
        for &(node, weight) in GAUSS.iter() {
            let x = centre + half * node;
            for (integral, f) in out.iter_mut().zip(summands) {
                *integral += half * weight * f.at(x);
            }
        }
        left = right;
    }
    out
}

/// The summands of Pitman's likelihood equations, functions of i with
/// w = θ + α·i (θ ≥ 0, α > 0: every one positive, the singularity at w = 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Pitman {
    /// Which function.
    pub term: Term,
    /// θ
    pub t: f64,
    /// α
    pub a: f64,
}

/// One function of i summed by Pitman's likelihood equations.
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

impl Summand for Pitman {
    /// Computed as ARX computes a term.
    fn at(self, x: f64) -> f64 {
        let w = self.t + x * self.a;
        match self.term {
            Term::Reciprocal => 1.0 / w,
            Term::ReciprocalSquare => 1.0 / (w * w),
            Term::Ratio => x / w,
            Term::RatioOverW => x / (w * w),
            Term::RatioSquare => x * x / (w * w),
        }
    }

    /// Written from i = (w − θ)/α so that no difference of nearly equal
    /// numbers forms even when α ≪ θ/i: the brackets are α·x − kθ and (k−1)θ − 2α·x.
    fn derivative(self, k: i32, x: f64) -> f64 {
        let Pitman { term, t, a } = self;
        let w = t + x * a;
        let ak = (-a).powi(k) * factorial(k); // (−α)^k k!
        let kf = f64::from(k);
        match term {
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

/// Zayatz's summand ln(1 − s/j) of population size j for classes of size s
/// (singularity at j = s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LogOneMinus {
    /// The class size s.
    pub s: f64,
}

impl Summand for LogOneMinus {
    /// Computed as ARX computes a term.
    fn at(self, j: f64) -> f64 {
        (-self.s / j).ln_1p()
    }

    /// (−1)^(k−1) (k−1)! · (1/(j−s)^k − 1/j^k), the difference written as
    /// s · Σ j^m (j−s)^(k−1−m) / ((j−s)^k j^k) so that it does not cancel when s ≪ j.
    fn derivative(self, k: i32, j: f64) -> f64 {
        let (s, d) = (self.s, j - self.s);
        let powers: f64 = (0..k).map(|m| j.powi(m) * d.powi(k - 1 - m)).sum();
        let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
        sign * factorial(k - 1) * s * powers / (d.powi(k) * j.powi(k))
    }
}

fn factorial(k: i32) -> f64 {
    (1..=k).map(f64::from).product()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMS: [Term; 5] =
        [Term::Reciprocal, Term::ReciprocalSquare, Term::Ratio, Term::RatioOverW, Term::RatioSquare];

    /// Every term added, compensated (Neumaier), so the reference itself is
    /// exact to a few ulps however many terms it has.
    fn reference(f: impl Summand, first: f64, last: f64) -> f64 {
        let (mut sum, mut carry) = (0.0f64, 0.0f64);
        let mut i = first;
        while i <= last {
            let v = f.at(i);
            let s = sum + v;
            carry += if sum.abs() >= v.abs() { (sum - s) + v } else { (v - s) + sum };
            sum = s;
            i += 1.0;
        }
        sum + carry
    }

    fn assert_close(fast: f64, exact: f64, what: &str) {
        assert!((fast - exact).abs() <= 1e-14 * exact.abs(), "{what}: {fast} vs {exact}");
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
    fn pitman_sums_match_every_term_added() {
        // Points Pitman's solver visits on large samples, from α near zero
        // (θ/α ≈ 10¹³) to α near one, with a million and ten million terms.
        let points = [(0.33, 0.66), (0.66, 1.0e-13), (2.6e5, 1.3e-2), (5.3e5, 0.137), (4.0, 0.99), (0.0, 0.5)];
        for last in [999_999.0, 9_999_999.0] {
            for (t, a) in points {
                let fast = sums(TERMS.map(|term| Pitman { term, t, a }), -t / a, 1.0, last);
                for (term, fast) in TERMS.into_iter().zip(fast) {
                    let exact = reference(Pitman { term, t, a }, 1.0, last);
                    assert_close(fast, exact, &format!("{term:?} θ {t} α {a} to {last}"));
                }
            }
        }
    }

    #[test]
    fn zayatz_sums_match_every_term_added() {
        // Population sizes from N − n + 2 to N for classes of size s: samples
        // of 10 M from 83 M and from 10 M + 3 (the singularity close to the
        // first term), 1 M from 317 M.
        for (n, big_n) in [(1e7, 8.3e7), (1e7, 1e7 + 3.0), (1e6, 3.17e8)] {
            for s in [1.0, 2.0, 37.0, 4_000.0] {
                let first = big_n - n + 2.0;
                if first <= s {
                    continue;
                }
                let [fast] = sums([LogOneMinus { s }], s, first, big_n);
                let exact = reference(LogOneMinus { s }, first, big_n);
                assert_close(fast, exact, &format!("s {s}, n {n}, N {big_n}"));
            }
        }
    }

    #[test]
    fn short_sums_are_added_term_by_term() {
        let f = LogOneMinus { s: 3.0 };
        assert_eq!(sums([f], 3.0, 10.0, 2_000.0), [(10..=2_000).map(|j| f.at(f64::from(j))).sum::<f64>()]);
    }

    /// The first and third derivatives against central differences of the function and of the second.
    fn assert_derivatives(f: impl Summand + std::fmt::Debug) {
        let nth = |k: i32, x: f64| if k == 0 { f.at(x) } else { f.derivative(k, x) };
        for x in [300.0, 5_000.0] {
            let h = 1e-4 * x;
            for k in [1, 3] {
                let numeric = (nth(k - 1, x + h) - nth(k - 1, x - h)) / (2.0 * h);
                let analytic = nth(k, x);
                assert!(
                    (numeric - analytic).abs() <= 1e-5 * analytic.abs(),
                    "{f:?} k {k} x {x}: {numeric} vs {analytic}"
                );
            }
        }
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for (t, a) in [(0.33, 0.66), (2.6e5, 1.3e-2), (4.0, 0.99)] {
            TERMS.into_iter().for_each(|term| assert_derivatives(Pitman { term, t, a }));
        }
        [1.0, 40.0].into_iter().for_each(|s| assert_derivatives(LogOneMinus { s }));
    }
}
