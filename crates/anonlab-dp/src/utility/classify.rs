//! Train on synthetic, test on real (TSTR): does a model learnt from the
//! synthetic table predict real records as well as one learnt from real ones?

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use smartcore::ensemble::random_forest_classifier::{RandomForestClassifier, RandomForestClassifierParameters};
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::encode::EncodedTable;
use crate::error::{Error, Result};

/// Trees per forest: on adult (20 k training rows) accuracy levels off early
/// (0.808 with 20 unlimited-depth trees, 0.818 with 50 or 100) while the fit
/// time grows linearly, ~40 ms a tree.
const TREES: u16 = 32;
/// Depth limit: on adult, depth 14 or unlimited gained under 0.01 accuracy
/// over depth 10–12 and cost time.
const MAX_DEPTH: u16 = 12;
/// Larger training sets are subsampled (seeded) to bound the fit time.
pub(crate) const MAX_TRAIN_ROWS: usize = 50_000;
/// Share of the real table held out for testing when no hold-out is given.
const SPLIT_TEST_SHARE: f64 = 0.3;
/// Stands for a missing number: below every real value, so trees can split
/// NULLs off on their own.
const MISSING: f64 = -1e300;

/// What the classifiers were tested on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestSet {
    /// The hold-out table: real records the synthesizer never saw, the sound
    /// TSTR setting.
    Holdout,
    /// Without a hold-out, a seeded 30 % of the real table. Those records
    /// were (normally) seen by the synthesizer, so synthetic-on-real accuracy
    /// is optimistic: a synthesizer that copies records scores well.
    RealSplit,
}

/// Train-on-synthetic / test-on-real accuracy for one target column.
#[derive(Debug, Clone, Serialize)]
pub struct Classification {
    /// The predicted column.
    pub target: String,
    /// What the accuracies were measured on.
    pub test_set: TestSet,
    /// The classifier and its encoding, so figures from different versions
    /// of anonlab are not compared blindly.
    pub classifier: String,
    /// Real records the real-data model learnt from.
    pub train_rows_real: usize,
    /// Synthetic records the synthetic-data model learnt from.
    pub train_rows_synthetic: usize,
    /// Real records both models were tested on.
    pub test_rows: usize,
    /// Train on real, test on the test set: the ceiling for a synthesizer.
    pub accuracy_real_on_real: f64,
    /// Train on synthetic, test on the test set: the figure that matters.
    pub accuracy_synthetic_on_real: f64,
    /// Always predicting the real training set's most frequent class: the
    /// floor; a synthetic model at or below it learnt nothing useful.
    pub majority_baseline: f64,
}

/// Fits one forest on real and one on synthetic records (in parallel) and
/// scores both on the test records: `holdout` if given, else a seeded split
/// of `real`.
pub(crate) fn tstr(
    real: &EncodedTable,
    synthetic: &EncodedTable,
    holdout: Option<&EncodedTable>,
    target: usize,
    target_name: &str,
    seed: u64,
) -> Result<Classification> {
    let features: Vec<usize> = (0..real.columns.len()).filter(|&j| j != target).collect();
    if features.is_empty() {
        return Err(Error::invalid(format!(
            "classification needs at least one column besides the target '{target_name}'"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7573_7472); // "ustr": its own stream
    let (real_train, test_rows, test_set): (Vec<usize>, Vec<usize>, TestSet) = match holdout {
        Some(h) => ((0..real.rows).collect(), (0..h.rows).collect(), TestSet::Holdout),
        None => {
            if real.rows < 2 {
                return Err(Error::invalid(
                    "classification without a hold-out needs at least 2 real rows to split off a test set",
                ));
            }
            let mut rows: Vec<usize> = (0..real.rows).collect();
            rows.shuffle(&mut rng);
            let test = ((real.rows as f64 * SPLIT_TEST_SHARE).round() as usize).clamp(1, real.rows - 1);
            let train = rows.split_off(test);
            rows.sort_unstable();
            (train, rows, TestSet::RealSplit)
        }
    };
    let real_train = cap(real_train, &mut rng);
    let synthetic_train = cap((0..synthetic.rows).collect(), &mut rng);
    let test_table = holdout.unwrap_or(real);
    let test_x = matrix(test_table, &test_rows, &features);
    let test_y = labels(test_table, &test_rows, target);

    let real_y = labels(real, &real_train, target);
    let majority = {
        let mut counts = rustc_hash::FxHashMap::<u32, usize>::default();
        for &y in &real_y {
            *counts.entry(y).or_default() += 1;
        }
        // Ties go to the smaller class, so the baseline is deterministic.
        counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(y, _)| y).unwrap_or(0)
    };
    let synthetic_y = labels(synthetic, &synthetic_train, target);
    let (real_pred, synthetic_pred) = rayon::join(
        || fit_predict(matrix(real, &real_train, &features), real_y, &test_x, seed),
        || fit_predict(matrix(synthetic, &synthetic_train, &features), synthetic_y, &test_x, seed),
    );
    let accuracy = |pred: &[u32]| pred.iter().zip(&test_y).filter(|(p, y)| p == y).count() as f64 / test_y.len() as f64;
    Ok(Classification {
        target: target_name.to_string(),
        test_set,
        classifier: format!(
            "random forest (smartcore): {TREES} trees, depth ≤ {MAX_DEPTH}, √p features per split; \
             categories as ordinal codes, numbers as values, NULL below all values"
        ),
        train_rows_real: real_train.len(),
        train_rows_synthetic: synthetic_train.len(),
        test_rows: test_rows.len(),
        accuracy_real_on_real: accuracy(&real_pred?),
        accuracy_synthetic_on_real: accuracy(&synthetic_pred?),
        majority_baseline: accuracy(&vec![majority; test_y.len()]),
    })
}

/// At most [`MAX_TRAIN_ROWS`] of `rows`, drawn without replacement.
fn cap(rows: Vec<usize>, rng: &mut ChaCha8Rng) -> Vec<usize> {
    if rows.len() <= MAX_TRAIN_ROWS {
        return rows;
    }
    let mut keep: Vec<usize> = index::sample(rng, rows.len(), MAX_TRAIN_ROWS).into_iter().map(|i| rows[i]).collect();
    keep.sort_unstable();
    keep
}

/// The feature matrix of `rows`, column-major as the table is.
fn matrix(table: &EncodedTable, rows: &[usize], features: &[usize]) -> DenseMatrix<f64> {
    let mut values = Vec::with_capacity(rows.len() * features.len());
    for &j in features {
        let column = &table.columns[j];
        match &column.values {
            Some(x) => values.extend(rows.iter().map(|&r| if x[r].is_nan() { MISSING } else { x[r] })),
            None => values.extend(rows.iter().map(|&r| f64::from(column.cells[r]))),
        }
    }
    DenseMatrix::new(rows.len(), features.len(), values, true).expect("shape matches the values")
}

fn labels(table: &EncodedTable, rows: &[usize], target: usize) -> Vec<u32> {
    let cells = &table.columns[target].cells;
    rows.iter().map(|&r| cells[r]).collect()
}

fn fit_predict(x: DenseMatrix<f64>, y: Vec<u32>, test: &DenseMatrix<f64>, seed: u64) -> Result<Vec<u32>> {
    let n_test = test.shape().0;
    match y.first() {
        None => return Err(Error::invalid("no training records for the classifier")),
        // One class only: nothing to learn, and forests refuse to fit it.
        Some(&only) if y.iter().all(|&c| c == only) => return Ok(vec![only; n_test]),
        Some(_) => {}
    }
    let parameters =
        RandomForestClassifierParameters::default().with_n_trees(TREES).with_max_depth(MAX_DEPTH).with_seed(seed);
    let forest = RandomForestClassifier::fit(&x, &y, parameters)
        .map_err(|e| Error::internal(format!("random forest failed to fit: {e}")))?;
    forest.predict(test).map_err(|e| Error::internal(format!("random forest failed to predict: {e}")))
}
