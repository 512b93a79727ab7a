//! The shifted negative binomial model (ARX's ModelSNB).
//!
//! # Citations
//! G. Chen, S. Keller-McNulty, "Estimation of identification disclosure risk
//! in microdata", Journal of Official Statistics 14(1), 1998.

use super::super::ClassSizes;
use super::gamma::java_pow as pow;
use super::newton::solve;

/// The estimated number of population uniques (NaN when the fit fails).
pub fn unique(sizes: &ClassSizes, big_n: f64) -> f64 {
    let (n, u) = (sizes.records as f64, sizes.classes as f64);
    let (c1, c2) = (sizes.of_size(1) as f64, sizes.of_size(2) as f64);
    let f = n / big_n;
    // Estimated number of non-empty population classes (Haas & Stokes), as ARX
    // computes it, including its "- 1" once per histogram entry.
    let var5 = f * f;
    let (mut var1, mut var2, mut var3, mut var4) = (0.0, 0.0, 0.0, 0.0);
    for (&s, &cnt) in &sizes.histogram {
        let (s, cnt) = (s as f64, cnt as f64);
        let val2 = pow(1.0 - f, s) * cnt;
        var1 += s * var5 * pow(1.0 - var5, s - 1.0) * cnt;
        var2 += val2 * pow(1.0 + f, s) - 1.0;
        var3 += val2;
        var4 += s * f * pow(1.0 - f, s - 1.0) * cnt;
    }
    let k = u + c1 * (var1 / var2) * (var3 / var4) * (var3 / var4);

    let system = |a: f64, b: f64| {
        let d = (1.0 - f) * (1.0 - b);
        let f1 = k * f * pow(b / (1.0 - d), a) * (((a * d) / (1.0 - d)) + 1.0) - c1;
        let f2 = k * a * pow(b, a) * (f * f) * (1.0 - b) / 2.0 * pow(1.0 - d, a + 2.0) * (2.0 - (1.0 - a) * d) - c2;
        let val0 = (b - 1.0) * (f - 1.0);
        let val1 = val0 - 1.0;
        let val2 = 1.0 - val0;
        let val3 = a * val0 / val1 - 1.0;
        let val4 = pow(-b / val1, a);
        let val6 = pow(f, 2.0);
        let val7 = pow(b, a);
        let val8 = val7 * val6 * k;
        let val9 = a * val8;
        let val10 = 2.0 * pow(val2, a + 2.0);
        let val11 = pow(val1, 2.0);
        let val13 = f * k;
        let val14 = f - 1.0;
        let val15 = a - 1.0;
        let val16 = b - 1.0;
        let val17 = val15 * val0;
        let val18 = val6 * k;
        let val19 = val17 + 2.0;
        let val20 = val18 * val19;
        let x1 = -val13 * (-b / val1).ln() * val3 * val4 - (val13 * val4 * val0) / val1;
        let x2 = a * val13 * (1.0 / val1 - (b * val14) / val11) * val3 * pow(-b / val1, val15)
            - val13 * val4 * ((a * val14) / val1 - (a * val16 * pow(val14, 2.0)) / val11);
        let y1 = (val9 * val2.ln() * val19 * val16) / val10
            - (val9 * pow(val16, 2.0) * val14) / val10
            - (val7 * val20 * val16) / val10
            - (a * val7 * val18 * b.ln() * val19 * val16) / val10;
        let y2 = -(val9 * val19) / val10
            - (pow(a, 2.0) * pow(b, val15) * val20 * val16) / val10
            - (a * val7 * val18 * val17) / val10
            - (a * val7 * val20 * (a + 2.0) * val0) / (2.0 * pow(val2, a + 3.0));
        ((f1, f2), [[x1, x2], [y1, y2]])
    };
    let (a, b) = solve(&system, (1.0, 1.0), |_, _| true);
    k * pow(b, a)
}
