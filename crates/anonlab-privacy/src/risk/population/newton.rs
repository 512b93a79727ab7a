//! The two-dimensional Newton–Raphson solver with ARX's rules
//! (de.linearbits.newtonraphson as configured by ARXSolverConfiguration):
//! accuracy 1e-6 on both components, at most 1000 steps per start, the given
//! start first and then 16 fixed starts, the last of which is only evaluated.
//! ARX's wall-clock limits are not reproduced (they do not bind on real data).

/// f(x, y) → (F, J) with F = (f1, f2) and J = [[x1, x2], [y1, y2]].
pub type System<'a> = dyn Fn(f64, f64) -> ((f64, f64), [[f64; 2]; 2]) + 'a;

const ACCURACY: f64 = 1e-6;
const STEPS_PER_START: u32 = 1000;
const STARTS: [f64; 4] = [0.0, 0.33, 0.66, 0.99];
/// (16 fixed starts + the given one) × steps per start, ARX's overall cap.
const TOTAL_EVALUATIONS: u32 = 17 * STEPS_PER_START;

/// The root from `start` (then from the fixed starts), or NaN where none is found.
pub fn solve(system: &System<'_>, start: (f64, f64), admissible: impl Fn(f64, f64) -> bool) -> (f64, f64) {
    let prepared: Vec<(f64, f64)> = STARTS.iter().flat_map(|&a| STARTS.iter().map(move |&b| (a, b))).collect();
    let mut next_start = 0;
    let mut evaluations = 0u32;
    let (mut x, mut y) = start;
    while evaluations <= TOTAL_EVALUATIONS {
        let mut steps = 0;
        loop {
            evaluations += 1;
            let ((f1, f2), j) = system(x, y);
            if f1.abs() <= ACCURACY && f2.abs() <= ACCURACY {
                return (x, y);
            }
            let s = 1.0 / (j[0][0] * j[1][1] - j[0][1] * j[1][0]);
            let (i11, i12, i21, i22) = (j[1][1] * s, -j[0][1] * s, -j[1][0] * s, j[0][0] * s);
            x -= i11 * f1 + i12 * f2;
            y -= i21 * f1 + i22 * f2;
            if next_start == prepared.len() {
                return (f64::NAN, f64::NAN);
            }
            if !admissible(x, y) || x.is_nan() || y.is_nan() || steps >= STEPS_PER_START {
                break;
            }
            steps += 1;
        }
        (x, y) = prepared[next_start];
        next_start += 1;
    }
    (f64::NAN, f64::NAN)
}
