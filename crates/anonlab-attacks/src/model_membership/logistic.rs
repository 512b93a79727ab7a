//! The shadow attack's attack model: logistic regression of "was in the
//! shadow's training half" on the label-only features, fitted by Newton's
//! method.
//!
//! With two features and an intercept the Hessian is 3 × 3, so each Newton
//! step is one small linear solve, and a few steps reach the optimum to
//! machine precision — no learning rate to tune, no dependency. A ridge
//! penalty on the two weights keeps them finite when a feature separates in
//! from out perfectly (a shadow that memorizes), where the unpenalized
//! optimum lies at infinity; the intercept gets only a token penalty.

/// Ridge penalty on the feature weights (in units of one training row's log-loss).
pub(super) const RIDGE: f64 = 1.0;

/// Penalty on the intercept: just enough to keep the Hessian invertible.
const INTERCEPT_RIDGE: f64 = 1e-6;

const MAX_STEPS: usize = 100;

/// A fitted logistic model `P(member) = σ(intercept + weights · features)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Logistic {
    pub intercept: f64,
    pub weights: [f64; 2],
}

impl Logistic {
    /// The modelled probability that a record with `features` is a member.
    pub fn probability(&self, features: [f64; 2]) -> f64 {
        sigmoid(self.linear(features))
    }

    fn linear(&self, f: [f64; 2]) -> f64 {
        self.intercept + self.weights[0] * f[0] + self.weights[1] * f[1]
    }

    fn as_array(&self) -> [f64; 3] {
        [self.intercept, self.weights[0], self.weights[1]]
    }

    fn from_array(t: [f64; 3]) -> Self {
        Logistic { intercept: t[0], weights: [t[1], t[2]] }
    }

    /// The penalized negative log-likelihood.
    fn loss(&self, rows: &[([f64; 2], bool)]) -> f64 {
        let data: f64 = rows
            .iter()
            .map(|&(f, member)| {
                let z = self.linear(f);
                // −ln σ(z) = ln(1 + e^−z), written so that neither side overflows.
                let softplus = |z: f64| z.max(0.0) + (-z.abs()).exp().ln_1p();
                if member { softplus(-z) } else { softplus(z) }
            })
            .sum();
        let [b, w0, w1] = self.as_array();
        data + 0.5 * (INTERCEPT_RIDGE * b * b + RIDGE * (w0 * w0 + w1 * w1))
    }
}

/// The logistic model that best predicts `member` from the features of
/// `rows` (penalized maximum likelihood). Damped Newton: a step that does not
/// lower the loss is halved, so the fit cannot diverge.
pub(super) fn fit(rows: &[([f64; 2], bool)]) -> Logistic {
    let ridge = [INTERCEPT_RIDGE, RIDGE, RIDGE];
    let mut model = Logistic { intercept: 0.0, weights: [0.0; 2] };
    let mut loss = model.loss(rows);
    for _ in 0..MAX_STEPS {
        let theta = model.as_array();
        let mut gradient = [0.0; 3];
        let mut hessian = [[0.0; 3]; 3];
        for &(f, member) in rows {
            let x = [1.0, f[0], f[1]];
            let p = model.probability(f);
            let (residual, weight) = (p - f64::from(u8::from(member)), p * (1.0 - p));
            for i in 0..3 {
                gradient[i] += residual * x[i];
                for j in 0..3 {
                    hessian[i][j] += weight * x[i] * x[j];
                }
            }
        }
        for i in 0..3 {
            gradient[i] += ridge[i] * theta[i];
            hessian[i][i] += ridge[i];
        }
        let Some(step) = solve(hessian, gradient) else { break };
        let mut scale = 1.0;
        let mut improved = false;
        for _ in 0..30 {
            let candidate = Logistic::from_array([0, 1, 2].map(|i| theta[i] - scale * step[i]));
            let candidate_loss = candidate.loss(rows);
            if candidate_loss <= loss {
                (model, loss, improved) = (candidate, candidate_loss, true);
                break;
            }
            scale *= 0.5;
        }
        if !improved || step.iter().all(|s| (scale * s).abs() < 1e-10) {
            break;
        }
    }
    model
}

/// `a⁻¹ b` by Gaussian elimination with partial pivoting; `None` if `a` is singular.
fn solve(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..3 {
            let factor = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (x, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *x -= factor * p;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let tail: f64 = (row + 1..3).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    Some(x)
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_the_direction_of_the_signal() {
        // Members are correct 90 % of the time, non-members 60 %; robustness adds nothing.
        let mut rows = Vec::new();
        for i in 0..100 {
            rows.push(([f64::from(u8::from(i < 90)), 0.5], true));
            rows.push(([f64::from(u8::from(i < 60)), 0.5], false));
        }
        let m = fit(&rows);
        assert!(m.weights[0] > 1.0, "{m:?}");
        assert!(m.probability([1.0, 0.5]) > 0.5 && m.probability([0.0, 0.5]) < 0.5, "{m:?}");
        // The stationarity condition: the gradient of the penalized loss vanishes at the fit.
        let residual: f64 = rows.iter().map(|&(f, y)| m.probability(f) - f64::from(u8::from(y))).sum();
        assert!((residual + INTERCEPT_RIDGE * m.intercept).abs() < 1e-8, "{residual}");
    }

    #[test]
    fn perfect_separation_stays_finite() {
        let rows = [([1.0, 1.0], true), ([0.0, 0.0], false), ([1.0, 1.0], true), ([0.0, 0.0], false)];
        let m = fit(&rows);
        assert!(m.intercept.is_finite() && m.weights.iter().all(|w| w.is_finite() && *w > 0.0), "{m:?}");
        assert!(m.probability([1.0, 1.0]) > 0.5);
    }

    #[test]
    fn solves_a_linear_system() {
        let x = solve([[0.0, 2.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 4.0]], [4.0, 3.0, 2.0]).unwrap();
        assert_eq!(x, [3.0, 2.0, 0.5]);
        assert!(solve([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [1.0, 1.0, 1.0]).is_none());
    }
}
