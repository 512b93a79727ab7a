//! Gaussian naive Bayes: the shadow models' classifier.
//!
//! The shadow attack needs a classifier the attacker can train itself, and
//! one of the same family as the targets it expects: the AnoMed example
//! anonymizers are Gaussian naive Bayes models. This one computes what
//! scikit-learn's `GaussianNB` does with its defaults, so a shadow behaves like
//! such a target: class priors are the class shares, each feature is normal
//! within a class with the class's mean and (population) variance, and every
//! variance is raised by `1e-9 ×` the largest feature variance of the training
//! data (`var_smoothing`), which keeps a constant feature from dividing by 0.

use rayon::prelude::*;

use super::{LabelOracle, Labelled};
use crate::error::{Error, Result};

/// scikit-learn's default `var_smoothing`.
const VAR_SMOOTHING: f64 = 1e-9;

/// A Gaussian naive Bayes classifier fitted to a [`Labelled`] matrix.
///
/// It answers like a target does (it implements [`LabelOracle`]), so it also
/// serves as a reference target: a model that generalizes and should show
/// almost no membership signal.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianNb {
    cols: usize,
    /// The distinct labels, ascending; a tie in the posterior goes to the lower one.
    classes: Vec<i64>,
    /// Per class: log prior − ½ Σ ln(2π σ²), the part of the log posterior that does not depend on `x`.
    constant: Vec<f64>,
    /// Per class and feature (row-major): the mean.
    mean: Vec<f64>,
    /// Per class and feature (row-major): 1 / (2σ²).
    precision: Vec<f64>,
}

impl GaussianNb {
    /// Fits the model to `data`: at least one row, finite features.
    pub fn fit(data: &Labelled) -> Result<Self> {
        data.check("training data")?;
        let (rows, cols) = (data.rows(), data.cols);
        let mut classes = data.y.clone();
        classes.sort_unstable();
        classes.dedup();
        let k = classes.len();
        let class_of: Vec<usize> =
            data.y.iter().map(|y| classes.binary_search(y).expect("every label is one of the classes")).collect();

        let mut count = vec![0usize; k];
        let mut mean = vec![0.0; k * cols];
        for (row, &c) in data.x.chunks_exact(cols).zip(&class_of) {
            count[c] += 1;
            for (m, &v) in mean[c * cols..(c + 1) * cols].iter_mut().zip(row) {
                *m += v;
            }
        }
        for (c, &n) in count.iter().enumerate() {
            mean[c * cols..(c + 1) * cols].iter_mut().for_each(|m| *m /= n as f64);
        }
        // Two passes (mean, then squared deviations): exact enough for features of any offset.
        let mut var = vec![0.0; k * cols];
        for (row, &c) in data.x.chunks_exact(cols).zip(&class_of) {
            for j in 0..cols {
                let d = row[j] - mean[c * cols + j];
                var[c * cols + j] += d * d;
            }
        }
        for (c, &n) in count.iter().enumerate() {
            var[c * cols..(c + 1) * cols].iter_mut().for_each(|v| *v /= n as f64);
        }
        let largest_variance = super::query::feature_std(&[data]).iter().map(|s| s * s).fold(0.0, f64::max);
        // All features constant: any positive floor will do, the classes then differ only in their priors.
        let epsilon = if largest_variance > 0.0 { VAR_SMOOTHING * largest_variance } else { VAR_SMOOTHING };

        let tau = 2.0 * std::f64::consts::PI;
        let mut constant = Vec::with_capacity(k);
        let mut precision = Vec::with_capacity(k * cols);
        for (c, &n) in count.iter().enumerate() {
            let mut log = (n as f64 / rows as f64).ln();
            for v in &var[c * cols..(c + 1) * cols] {
                let v = v + epsilon;
                log -= 0.5 * (tau * v).ln();
                precision.push(0.5 / v);
            }
            constant.push(log);
        }
        Ok(GaussianNb { cols, classes, constant, mean, precision })
    }

    /// The labels the model can predict, ascending.
    pub fn classes(&self) -> &[i64] {
        &self.classes
    }

    /// The most probable class of one record of [`GaussianNb`]'s column count.
    pub fn predict_row(&self, row: &[f64]) -> i64 {
        let cols = self.cols;
        let mut best = (f64::NEG_INFINITY, self.classes[0]);
        for (c, &label) in self.classes.iter().enumerate() {
            let mean = &self.mean[c * cols..(c + 1) * cols];
            let precision = &self.precision[c * cols..(c + 1) * cols];
            let log = self.constant[c]
                - row.iter().zip(mean).zip(precision).map(|((x, m), p)| (x - m) * (x - m) * p).sum::<f64>();
            if log > best.0 {
                best = (log, label);
            }
        }
        best.1
    }
}

impl LabelOracle for GaussianNb {
    fn predict(&mut self, x: &[f64], cols: usize) -> Result<Vec<i64>> {
        if cols != self.cols || !x.len().is_multiple_of(cols) {
            return Err(Error::invalid(format!(
                "the model was fitted to {} columns; got {} values in rows of {cols}",
                self.cols,
                x.len()
            )));
        }
        Ok(x.par_chunks_exact(cols).map(|row| self.predict_row(row)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicts_the_class_of_highest_posterior() {
        // The log posteriors, worked out in double precision with scikit-learn's formulas, are at
        // (2.3, 2.3): −20.1793 for class 0 and −20.1629 for class 1, so the near tie goes to 1.
        let data = Labelled {
            x: vec![0.0, 0.0, 1.0, 0.5, 0.5, 1.0, 4.0, 4.0, 5.0, 3.5, 4.5, 5.0],
            cols: 2,
            y: vec![0, 0, 0, 1, 1, 1],
        };
        let mut nb = GaussianNb::fit(&data).unwrap();
        assert_eq!(nb.classes(), &[0, 1]);
        assert_eq!(nb.predict(&[0.2, 0.1, 4.1, 4.6, 3.0, 3.0, 1.9, 2.1, 2.3, 2.3], 2).unwrap(), vec![0, 1, 1, 0, 1]);
    }

    #[test]
    fn constant_features_fall_back_to_the_prior() {
        let data = Labelled { x: vec![1.0; 5], cols: 1, y: vec![3, 7, 7, 7, 3] };
        let nb = GaussianNb::fit(&data).unwrap();
        assert_eq!(nb.predict_row(&[1.0]), 7);
        assert_eq!(nb.predict_row(&[-40.0]), 7);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(GaussianNb::fit(&Labelled { x: vec![], cols: 1, y: vec![] }).is_err());
        assert!(GaussianNb::fit(&Labelled { x: vec![f64::NAN], cols: 1, y: vec![0] }).is_err());
        let mut nb = GaussianNb::fit(&Labelled { x: vec![1.0, 2.0], cols: 2, y: vec![0] }).unwrap();
        assert!(nb.predict(&[1.0, 2.0, 3.0], 3).is_err());
    }
}
