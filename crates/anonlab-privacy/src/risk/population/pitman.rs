//! Pitman's model (ARX's ModelPitman): maximum-likelihood fit of the
//! Pitman–Yor (θ, α) sampling formula, then U = Γ(θ+1)/Γ(θ+α) · N^α.
//!
//! # Citations
//! N. Hoshino, "Applying Pitman's sampling formula to microdata disclosure
//! risk assessment", Journal of Official Statistics 17(4), 2001.

use super::super::ClassSizes;
use super::euler_maclaurin::{Pitman, Term, sums};
use super::gamma::{digamma, trigamma};
use super::newton::solve;

/// Terms per chunk of the exact sums (see `iterative` below).
const CHUNK: usize = 256;

/// Samples of more records than this sum the likelihood's terms by the
/// Euler–Maclaurin formula (see `fast_sums`); smaller ones exactly as ARX does.
const EXACT_SUMS_UP_TO: f64 = 1e6;

/// The sums over classes (s1, s2, d1, d5, d3) and over records (s3, d2).
type Sums = ((f64, f64, f64, f64, f64), (f64, f64));

/// The sums over classes (s1, s2, d1, d5, d3) and over records (s3, d2) of
/// the likelihood equations, each to within 1e-14 of the exact sum of its
/// terms, in constant time; `None` where terms may change sign (θ < 0 or
/// α ≤ 0) or a sum is not finite, and the terms must be added one by one.
fn fast_sums(t: f64, a: f64, u: f64, n: f64) -> Option<Sums> {
    use Term::*;
    if !(t >= 0.0 && a > 0.0 && t.is_finite() && a.is_finite()) {
        return None;
    }
    // i = 1, 2, … while i < end.
    let last = |end: f64| end.ceil() - 1.0;
    let over_classes = [Reciprocal, Ratio, ReciprocalSquare, RatioOverW, RatioSquare].map(|term| Pitman { term, t, a });
    let [s1, s2, d1, d5, d3] = sums(over_classes, -t / a, 1.0, last(u));
    let over_records = [Reciprocal, ReciprocalSquare].map(|term| Pitman { term, t, a: 1.0 });
    let [s3, d2] = sums(over_records, -t, 1.0, last(n));
    let all = [s1, s2, d1, d5, d3, s3, d2];
    all.iter().all(|v| v.is_finite()).then_some(((s1, s2, d1, d5, d3), (s3, d2)))
}

/// The sums over classes larger than one (s4, d4), exactly as ARX's loop.
fn over_larger(larger: &[(f64, f64)], a: f64) -> (f64, f64) {
    let (mut s4, mut d4) = (0.0, 0.0);
    for &(key, value) in larger {
        let mut j = 1.0;
        while j < key {
            s4 += value / (j - a);
            d4 += value / ((j - a) * (j - a));
            j += 1.0;
        }
    }
    (s4, d4)
}

/// The estimated number of population uniques (NaN when the fit fails).
pub fn unique(sizes: &ClassSizes, big_n: f64) -> f64 {
    let (n, u, c1) = (sizes.records as f64, sizes.classes as f64, sizes.of_size(1) as f64);
    let c2 = match sizes.of_size(2) {
        0 => 1.0,
        c => c as f64,
    };
    let c = c1 * (c1 - 1.0) / c2;
    let t0 = ((n * u * c) - (c1 * (n - 1.0) * ((2.0 * u) + c))) / (((2.0 * c1 * u) + (c1 * c)) - (n * c));
    let a0 = ((t0 * (c1 - n)) + ((n - 1.0) * c1)) / (n * u);
    let larger: Vec<(f64, f64)> =
        sizes.histogram.iter().filter(|&(&s, _)| s != 1).map(|(&s, &cnt)| (s as f64, cnt as f64)).collect();

    // The likelihood equations through digamma/trigamma (fast), as ARX solves first.
    let closed = |t: f64, a: f64| {
        let val0 = u - 1.0;
        let val1 = digamma(val0 + t / a + 1.0);
        let val2 = trigamma((a + t + a * val0) / a);
        let val3 = trigamma(t / a + 1.0);
        let val4 = digamma(t / a + 1.0);
        let val5 = a * a;
        let d1 = (val3 - val2) / val5;
        let d5 = (((a * val1) + (t * val2)) - (a * val4) - (t * val3)) / (val5 * a);
        let d3 = (((((val5 * val0) - (t * t * val2)) + (t * t * val3)) - (2.0 * a * t * val1)) + (2.0 * a * t * val4))
            / (val5 * val5);
        let o1 = (val1 - val4) / a;
        let o3 = ((-t * val1) + (a * val0) + (t * val4)) / (a * a);
        let o2 = digamma(n + t) - digamma(t + 1.0);
        let d2 = trigamma(t + 1.0) - trigamma(n + t);
        let (val6, val7) = (digamma(1.0 - a), trigamma(1.0 - a));
        let (mut d4, mut o4) = (0.0, 0.0);
        for &(key, value) in &larger {
            d4 += value * (val7 - trigamma(key - a));
            o4 += value * (digamma(key - a) - val6);
        }
        ((o1 - o2, o3 - o4), [[d2 - d1, -d5], [-d5, -d3 - d4]])
    };
    // The same equations as explicit sums (slow, exact), ARX's fallback and check.
    // On large tables these sums have millions of terms per evaluation. They
    // are computed bit for bit as ARX's loops: every term is the same IEEE
    // quotient and every sum adds its terms in the same order. Only the work is
    // arranged differently: the quotients of a chunk of terms are computed
    // first, free of the sums' dependency chains, and then added one by one;
    // and the sums over classes and over records, which are independent, run
    // on two threads. (The divisions bound it: 5 per class and 2 per record.)
    //
    // Past `EXACT_SUMS_UP_TO` records even that is too slow (10 M all-unique
    // records: 83 evaluations, 3.6 s). There the sums come from the
    // Euler–Maclaurin formula (`fast_sums`), exact to 1e-14 relative, where it
    // applies; ARX's own loops, summing millions of terms, err by more.
    let iterative = |t: f64, a: f64| {
        if n > EXACT_SUMS_UP_TO
            && let Some(((s1, s2, d1, d5, d3), (s3, d2))) = fast_sums(t, a, u, n)
        {
            let (s4, d4) = over_larger(&larger, a);
            return ((s1 - s3, s2 - s4), [[d2 - d1, -d5], [-d5, -d3 - d4]]);
        }
        let over_classes = || {
            let (mut s1, mut s2, mut d1, mut d5, mut d3) = (0.0, 0.0, 0.0, 0.0, 0.0);
            let mut q = [(0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64); CHUNK];
            let mut i = 1.0;
            while i < u {
                let m = ((u - i).ceil() as usize).min(CHUNK);
                for (j, terms) in q[..m].iter_mut().enumerate() {
                    let i = i + j as f64;
                    let v = t + i * a;
                    *terms = (1.0 / v, i / v, 1.0 / (v * v), i / (v * v), i * i / (v * v));
                }
                for &(q1, q2, q3, q4, q5) in &q[..m] {
                    s1 += q1;
                    s2 += q2;
                    d1 += q3;
                    d5 += q4;
                    d3 += q5;
                }
                i += m as f64;
            }
            (s1, s2, d1, d5, d3)
        };
        let over_records = || {
            let (mut s3, mut d2) = (0.0, 0.0);
            let mut q = [(0.0f64, 0.0f64); CHUNK];
            let mut i = 1.0;
            while i < n {
                let m = ((n - i).ceil() as usize).min(CHUNK);
                for (j, terms) in q[..m].iter_mut().enumerate() {
                    let i = i + j as f64;
                    *terms = (1.0 / (t + i), 1.0 / ((t + i) * (t + i)));
                }
                for &(q1, q2) in &q[..m] {
                    s3 += q1;
                    d2 += q2;
                }
                i += m as f64;
            }
            (s3, d2)
        };
        let ((s1, s2, d1, d5, d3), (s3, d2)) =
            if n > 1e5 { rayon::join(over_classes, over_records) } else { (over_classes(), over_records()) };
        let (s4, d4) = over_larger(&larger, a);
        ((s1 - s3, s2 - s4), [[d2 - d1, -d5], [-d5, -d3 - d4]])
    };
    let theta_admissible = |t: f64, _a: f64| t >= 0.0;
    let mut result = solve(&closed, (t0, a0), theta_admissible);
    let needs_check = if result.0.is_nan() || result.1.is_nan() {
        true
    } else {
        let ((f1, f2), _) = iterative(result.0, result.1);
        f1.is_nan() || f2.is_nan() || f1.abs() > 1e-6 || f2.abs() > 1e-6
    };
    if needs_check {
        result = solve(&iterative, (t0, a0), theta_admissible);
    }
    let (t, a) = result;
    if t.is_nan() || a.is_nan() || a == 0.0 {
        return f64::NAN;
    }
    let within = |v: f64| if (0.0..=big_n).contains(&v) { v } else { f64::NAN };
    let val1 = within((libm::lgamma(t + 1.0) - libm::lgamma(t + a)).exp() * big_n.powf(a));
    let val2 = within(libm::tgamma(t + 1.0) / libm::tgamma(t + a) * big_n.powf(a));
    match (val1.is_nan(), val2.is_nan()) {
        (false, false) => val1.max(val2),
        (false, true) => val1,
        (true, false) => val2,
        (true, true) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ARX's loops, term for term: the reference for the fast sums.
    fn exact(t: f64, a: f64, u: f64, n: f64) -> [f64; 7] {
        let (mut s1, mut s2, mut d1, mut d5, mut d3, mut s3, mut d2) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        let mut i = 1.0;
        while i < u {
            let v = t + i * a;
            s1 += 1.0 / v;
            s2 += i / v;
            d1 += 1.0 / (v * v);
            d5 += i / (v * v);
            d3 += i * i / (v * v);
            i += 1.0;
        }
        let mut i = 1.0;
        while i < n {
            s3 += 1.0 / (t + i);
            d2 += 1.0 / ((t + i) * (t + i));
            i += 1.0;
        }
        [s1, s2, d1, d5, d3, s3, d2]
    }

    #[test]
    fn fast_sums_agree_with_arx_sums() {
        // Points the solver visits on large all-unique samples (from a 10 M row run).
        for (t, a) in [(0.33, 0.66), (0.66, 1.0e-13), (2.6e5, 1.3e-2), (5.3e5, 0.137), (4.0, 0.99)] {
            let (u, n) = (300_000.0, 310_000.0);
            let ((s1, s2, d1, d5, d3), (s3, d2)) = fast_sums(t, a, u, n).expect("θ ≥ 0, α > 0");
            for (fast, arx) in [s1, s2, d1, d5, d3, s3, d2].into_iter().zip(exact(t, a, u, n)) {
                assert!((fast - arx).abs() <= 1e-12 * arx.abs(), "θ {t} α {a}: {fast} vs ARX {arx}");
            }
        }
    }

    #[test]
    fn both_sums_reach_the_same_estimate() {
        // Just above the switch: 1,000,010 records, mostly unique, some pairs and triples.
        let sizes = ClassSizes::from_sizes(
            std::iter::repeat_n(1u64, 980_000)
                .chain(std::iter::repeat_n(2, 8_000))
                .chain(std::iter::repeat_n(3, 1_337)),
        );
        assert!(sizes.records as f64 > EXACT_SUMS_UP_TO);
        let fast = unique(&sizes, 83_000_000.0);
        let smaller = ClassSizes::from_sizes(
            std::iter::repeat_n(1u64, 980_000 - 11)
                .chain(std::iter::repeat_n(2, 8_000))
                .chain(std::iter::repeat_n(3, 1_337)),
        );
        assert!(smaller.records as f64 <= EXACT_SUMS_UP_TO);
        let exact = unique(&smaller, 83_000_000.0);
        assert!(fast.is_finite() && exact.is_finite());
        // 11 fewer uniques out of a million change the estimate by far less than 0.1 %.
        assert!((fast - exact).abs() < 1e-3 * exact, "{fast} vs {exact}");
    }
}
