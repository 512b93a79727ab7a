//! Pitman's model (ARX's ModelPitman): maximum-likelihood fit of the
//! Pitman–Yor (θ, α) sampling formula, then U = Γ(θ+1)/Γ(θ+α) · N^α.
//!
//! # Citations
//! N. Hoshino, "Applying Pitman's sampling formula to microdata disclosure
//! risk assessment", Journal of Official Statistics 17(4), 2001.

use super::super::ClassSizes;
use super::gamma::{digamma, trigamma};
use super::newton::solve;

/// Terms per chunk of the exact sums (see `iterative` below).
const CHUNK: usize = 256;

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
    let iterative = |t: f64, a: f64| {
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
        let (mut s4, mut d4) = (0.0, 0.0);
        for &(key, value) in &larger {
            let mut j = 1.0;
            while j < key {
                s4 += value / (j - a);
                d4 += value / ((j - a) * (j - a));
                j += 1.0;
            }
        }
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
