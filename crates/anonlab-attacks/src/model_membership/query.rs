//! The query matrix of the robustness features: every record followed by
//! noisy copies of it, and what the labels returned for them say.

use rand::Rng;

use super::Labelled;
use crate::error::{Error, Result};

/// The population standard deviation of every feature over the rows of `sets`
/// (all of the same column count).
pub(super) fn feature_std(sets: &[&Labelled]) -> Vec<f64> {
    let cols = sets.first().map_or(0, |s| s.cols);
    let rows: usize = sets.iter().map(|s| s.rows()).sum();
    if rows == 0 {
        return vec![0.0; cols];
    }
    let mut mean = vec![0.0; cols];
    for row in sets.iter().flat_map(|s| s.x.chunks_exact(cols)) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= rows as f64);
    let mut var = vec![0.0; cols];
    for row in sets.iter().flat_map(|s| s.x.chunks_exact(cols)) {
        var.iter_mut().zip(row.iter().zip(&mean)).for_each(|(v, (x, m))| *v += (x - m) * (x - m));
    }
    var.into_iter().map(|v| (v / rows as f64).sqrt()).collect()
}

/// A standard normal draw (Box–Muller; the crate has no distribution crate,
/// and one draw per call keeps the stream simple to reproduce).
fn normal(rng: &mut impl Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // in (0, 1]: ln never sees 0
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Rows to send to a model: each record once as it is, then `copies` times
/// with independent Gaussian noise of standard deviation `scale[j]` added to
/// feature `j`. A record's `copies + 1` rows are consecutive, the clean one
/// first.
pub(super) struct Batch {
    copies: usize,
    /// The rows, row-major.
    pub x: Vec<f64>,
    /// The true label of each record (one per `copies + 1` rows).
    pub truth: Vec<i64>,
}

impl Batch {
    /// An empty batch with room for `records` records.
    pub fn new(cols: usize, copies: usize, records: usize) -> Result<Self> {
        let values =
            copies.checked_add(1).and_then(|c| c.checked_mul(records)).and_then(|r| r.checked_mul(cols)).ok_or_else(
                || {
                    Error::invalid(format!(
                        "{records} records with {copies} noisy copies each of {cols} features are too many to query"
                    ))
                },
            )?;
        Ok(Batch { copies, x: Vec::with_capacity(values), truth: Vec::with_capacity(records) })
    }

    /// Appends the records `rows` of `data`, each with its noisy copies.
    pub fn push(&mut self, data: &Labelled, rows: impl IntoIterator<Item = usize>, scale: &[f64], rng: &mut impl Rng) {
        for r in rows {
            let record = data.row(r);
            self.x.extend_from_slice(record);
            for _ in 0..self.copies {
                self.x.extend(record.iter().zip(scale).map(|(&v, &s)| if s > 0.0 { v + s * normal(rng) } else { v }));
            }
            self.truth.push(data.y[r]);
        }
    }

    /// The label-only features of every record from the labels of its rows.
    pub fn features(&self, labels: &[i64]) -> Vec<Features> {
        labels
            .chunks_exact(self.copies + 1)
            .zip(&self.truth)
            .map(|(block, &truth)| Features {
                correct: block[0] == truth,
                share: block.iter().filter(|&&l| l == truth).count() as f64 / block.len() as f64,
            })
            .collect()
    }
}

/// What a model's labels reveal about one record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Features {
    /// The clean record is labelled with its true label.
    pub correct: bool,
    /// Share of the clean record and its noisy copies labelled with the true label.
    pub share: f64,
}

impl Features {
    /// The features as the attack model's inputs.
    pub fn vector(self) -> [f64; 2] {
        [f64::from(u8::from(self.correct)), self.share]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    #[test]
    fn batch_layout_and_features() {
        let data = Labelled { x: vec![0.0, 10.0, 1.0, 20.0], cols: 2, y: vec![5, 6] };
        let scale = feature_std(&[&data]);
        assert_eq!(scale, vec![0.5, 5.0]);
        let mut batch = Batch::new(2, 3, 2).unwrap();
        batch.push(&data, [1, 0], &[0.0, 1.0], &mut sample::stream(1, "t"));
        assert_eq!(batch.x.len(), 8 * 2);
        assert_eq!(&batch.x[..2], &[1.0, 20.0]);
        assert!(batch.x.chunks(2).all(|r| r[0] == 0.0 || r[0] == 1.0), "a zero scale adds no noise");
        assert_ne!(batch.x[3], 20.0);
        let f = batch.features(&[6, 6, 0, 6, 1, 5, 5, 5]);
        assert_eq!(f, vec![Features { correct: true, share: 0.75 }, Features { correct: false, share: 0.75 }]);
        assert!(Batch::new(3, usize::MAX, 2).is_err());
    }

    #[test]
    fn normal_draws_have_unit_variance() {
        let mut rng = sample::stream(3, "t");
        let draws: Vec<f64> = (0..20_000).map(|_| normal(&mut rng)).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / draws.len() as f64;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "{mean} {var}");
    }
}
