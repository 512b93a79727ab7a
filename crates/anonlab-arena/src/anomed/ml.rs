//! An arena challenge as an AnoMed machine-learning challenge: the float
//! matrices and class labels the AnoMed routes serve, and the fixed membership
//! sets attacks are scored on.
//!
//! **Encoding** (documented in `docs/anomed.md`, listed at `GET /`): the
//! features are the challenge's `utility.features`, or every column that is
//! neither identifying nor the target. A feature whose every value parses as
//! a number is sent as that number, a missing value as the training part's
//! mean; any other feature is sent as the index of its value in the sorted
//! list of the column's values (a missing value is the empty string, first).
//! The target is sent as the index of its value in the sorted list of target
//! values (`classes`).
//!
//! **Parts.** The arena's seeded split decides everything, so nothing changes
//! between restarts and every submission sees the same rows:
//!
//! | AnoMed route | rows |
//! |---|---|
//! | `training` | the arena's `train` part (what table anonymizers see too) |
//! | `tuning`, `validation` | the two halves of the arena's `test` part (labels withheld) |
//! | `members` | half of `train`: the attacker's known members |
//! | `non-members` | half of `control`: the attacker's known non-members |
//! | `attack-success-evaluation` | `L` of the other members and `L` of the other non-members, shuffled |
//!
//! The members and non-members an attacker trains on are never among the ones
//! it is scored on (AnoMed draws its non-members from the validation split and
//! so leaks them), and the evaluation sets are fixed per challenge and split,
//! not derived from self-declared submission names, so every attack on every
//! anonymizer is scored on the same records.

pub use anonlab_attacks::model_membership::Labelled;
use anonlab_table::{Column, Table};
use serde::Serialize;
use utoipa::ToSchema;

use super::npz::{Array, Npz};
use crate::challenge::{ChallengeSpec, ColumnRole};
use crate::error::{Error, Result};
use crate::evaluate::{Split, shuffled};

/// Fewest members (and non-members) per evaluation set: below this, TPR and
/// FPR intervals are too wide to rank anything.
pub const MIN_EVALUATION_SIDE: usize = 200;

/// Most members (and non-members) per evaluation set.
pub const MAX_EVALUATION_SIDE: usize = 1000;

/// Domain tags of this module's shuffles (see [`crate::evaluate::split`]).
const TEST_HALVES: &[u8; 16] = b"anomed test half";
const ATTACK_POOLS: &[u8; 16] = b"anomed mia pools";
const EVALUATION: &[u8; 16] = b"anomed mia evals";

/// The two evaluation rounds of the AnoMed protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DataSplit {
    /// As often as the submitter likes.
    Tuning,
    /// Once: the figure the leaderboard shows.
    Validation,
}

impl DataSplit {
    /// The query parameter's value.
    pub fn name(self) -> &'static str {
        match self {
            DataSplit::Tuning => "tuning",
            DataSplit::Validation => "validation",
        }
    }

    /// Reads `data_split`; anything but the two names is refused (AnoMed counts
    /// every other value as validation).
    pub fn parse(value: &str) -> Result<DataSplit> {
        match value {
            "tuning" => Ok(DataSplit::Tuning),
            "validation" => Ok(DataSplit::Validation),
            other => Err(Error::invalid(format!("data_split must be 'tuning' or 'validation' (got '{other}')"))),
        }
    }
}

/// How one feature is turned into a float.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum FeatureEncoding {
    /// The value itself; missing values become `impute` (the training mean).
    Numeric {
        /// The column.
        name: String,
        /// What a missing value is sent as.
        impute: f64,
    },
    /// The index of the value in `values`.
    Categorical {
        /// The column.
        name: String,
        /// The values in index order (sorted; a missing value is `""`).
        values: Vec<String>,
    },
}

impl FeatureEncoding {
    /// The column's name.
    pub fn name(&self) -> &str {
        match self {
            FeatureEncoding::Numeric { name, .. } | FeatureEncoding::Categorical { name, .. } => name,
        }
    }
}

/// A membership evaluation set: records with their labels, and who is a member.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationSet {
    /// Features and labels, members and non-members shuffled together.
    pub data: Labelled,
    /// `true` for a member of the anonymizer's training data.
    pub membership: Vec<bool>,
}

/// Everything the AnoMed routes of one challenge serve and score against.
#[derive(Debug, Clone)]
pub struct MlChallenge {
    /// How each feature is encoded, in column order of the matrices.
    pub features: Vec<FeatureEncoding>,
    /// The target column.
    pub target: String,
    /// The target's values; label `i` is `classes[i]`.
    pub classes: Vec<String>,
    /// What anonymizers train on.
    pub training: Labelled,
    /// Scored as often as asked.
    pub tuning: Labelled,
    /// Scored once.
    pub validation: Labelled,
    /// The attacker's known members.
    pub members: Labelled,
    /// The attacker's known non-members.
    pub non_members: Labelled,
    /// Attacks are scored on this in tuning.
    pub evaluation_tuning: EvaluationSet,
    /// And on this in validation.
    pub evaluation_validation: EvaluationSet,
}

impl MlChallenge {
    /// Encodes a challenge's split.
    ///
    /// # Errors
    /// A challenge without a utility target, a target with fewer than two
    /// values, no features, or too few rows for evaluation sets of
    /// [`MIN_EVALUATION_SIDE`] members and non-members.
    pub fn build(spec: &ChallengeSpec, split: &Split) -> Result<MlChallenge> {
        let target = spec.utility.target.clone().ok_or_else(|| {
            Error::invalid(
                "this challenge names no utility target, so it cannot be an AnoMed (supervised learning) challenge",
            )
        })?;
        let names = feature_names(spec, &split.train, &target);
        if names.is_empty() {
            return Err(Error::invalid("the challenge has no feature columns besides its target"));
        }
        let train = &split.train;
        let features: Vec<FeatureEncoding> =
            names.iter().map(|name| encoding_of(train, name)).collect::<Result<_>>()?;
        let target_column = train.column(train.column_index(&target)?);
        let classes = sorted_values(target_column);
        if classes.len() < 2 {
            return Err(Error::invalid(format!("the target '{target}' has a single value; nothing to predict")));
        }
        let encode = |table: &Table, rows: &[u32]| encode(table, rows, &features, &target, &classes);
        let all = |t: &Table| (0..t.rows() as u32).collect::<Vec<u32>>();
        let seed = spec.split.seed;

        let test_order = shuffled(split.test.rows(), seed, TEST_HALVES);
        let (tune_rows, val_rows) = test_order.split_at(test_order.len() / 2);
        let member_order = shuffled(train.rows(), seed, ATTACK_POOLS);
        let (member_rows, member_pool) = member_order.split_at(member_order.len() / 2);
        let control_order = shuffled(split.control.rows(), seed ^ 1, ATTACK_POOLS);
        let (non_member_rows, non_member_pool) = control_order.split_at(control_order.len() / 2);

        let side = (member_pool.len() / 2).min(non_member_pool.len() / 2).min(MAX_EVALUATION_SIDE);
        if side < MIN_EVALUATION_SIDE {
            return Err(Error::invalid(format!(
                "the challenge allows only {side} members and non-members per evaluation set; an AnoMed challenge \
                 needs at least {MIN_EVALUATION_SIDE} (a larger dataset or larger train and control shares)"
            )));
        }
        let (member_tune, member_val) = member_pool.split_at(member_pool.len() / 2);
        let (non_member_tune, non_member_val) = non_member_pool.split_at(non_member_pool.len() / 2);
        let evaluation = |members: &[u32], non_members: &[u32], stream: u64| -> Result<EvaluationSet> {
            let members = encode(train, &members[..side])?;
            let non_members = encode(&split.control, &non_members[..side])?;
            let order = shuffled(2 * side, seed ^ stream, EVALUATION);
            let cols = members.cols;
            let mut data = Labelled { x: Vec::with_capacity(2 * side * cols), cols, y: Vec::with_capacity(2 * side) };
            let mut membership = Vec::with_capacity(2 * side);
            for &i in &order {
                let (from, i, member) = if (i as usize) < side {
                    (&members, i as usize, true)
                } else {
                    (&non_members, i as usize - side, false)
                };
                data.x.extend_from_slice(&from.x[i * cols..(i + 1) * cols]);
                data.y.push(from.y[i]);
                membership.push(member);
            }
            Ok(EvaluationSet { data, membership })
        };
        Ok(MlChallenge {
            training: encode(train, &all(train))?,
            tuning: encode(&split.test, tune_rows)?,
            validation: encode(&split.test, val_rows)?,
            members: encode(train, member_rows)?,
            non_members: encode(&split.control, non_member_rows)?,
            evaluation_tuning: evaluation(member_tune, non_member_tune, 2)?,
            evaluation_validation: evaluation(member_val, non_member_val, 3)?,
            features,
            target,
            classes,
        })
    }

    /// The records scored in one round.
    pub fn part(&self, split: DataSplit) -> &Labelled {
        match split {
            DataSplit::Tuning => &self.tuning,
            DataSplit::Validation => &self.validation,
        }
    }

    /// The membership set attacks are scored on in one round.
    pub fn evaluation(&self, split: DataSplit) -> &EvaluationSet {
        match split {
            DataSplit::Tuning => &self.evaluation_tuning,
            DataSplit::Validation => &self.evaluation_validation,
        }
    }

    /// The records in the layout the reference challenge app of the interop
    /// tests reads (`crates/anonlab-server/tests/anomed/challenge_app.py`):
    /// `X_train`, `y_train`, `X_tune`, `y_tune`, `X_val`, `y_val`, so the
    /// reference can serve the same data side by side with ours.
    pub fn reference_npz(&self) -> Npz {
        let mut npz = Npz::new();
        for (suffix, part) in [("train", &self.training), ("tune", &self.tuning), ("val", &self.validation)] {
            let rows = part.y.len();
            npz = npz
                .with(&format!("X_{suffix}"), Array::f64(vec![rows, part.cols], part.x.clone()))
                .with(&format!("y_{suffix}"), Array::i64(vec![rows], part.y.clone()));
        }
        npz
    }

    /// Accuracy of always answering the training part's most common class:
    /// what a model must beat to have learnt anything.
    pub fn majority_accuracy(&self, split: DataSplit) -> f64 {
        let mut counts = vec![0usize; self.classes.len()];
        for &y in &self.training.y {
            counts[y as usize] += 1;
        }
        let majority = (0..counts.len()).max_by_key(|&c| (counts[c], std::cmp::Reverse(c))).unwrap_or(0) as i64;
        let part = self.part(split);
        part.y.iter().filter(|&&y| y == majority).count() as f64 / part.y.len().max(1) as f64
    }
}

/// The challenge's features, in dataset column order.
fn feature_names(spec: &ChallengeSpec, table: &Table, target: &str) -> Vec<String> {
    if !spec.utility.features.is_empty() {
        return table.names().filter(|n| spec.utility.features.iter().any(|f| f == n)).map(str::to_string).collect();
    }
    let identifying = |name: &str| spec.columns.iter().any(|c| c.name == name && c.role == ColumnRole::Identifying);
    table.names().filter(|n| *n != target && !identifying(n)).map(str::to_string).collect()
}

/// The column's values, sorted, a missing value as `""`.
fn sorted_values(column: &Column) -> Vec<String> {
    let mut values: Vec<String> = column.dictionary().to_vec();
    if let Some(null) = column.null_code() {
        values[null as usize] = String::new();
    }
    values.sort();
    values.dedup();
    values
}

fn number(value: &str) -> Option<f64> {
    value.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

fn encoding_of(train: &Table, name: &str) -> Result<FeatureEncoding> {
    let column = train.column(train.column_index(name)?);
    let null = column.null_code();
    let numeric = column
        .dictionary()
        .iter()
        .enumerate()
        .all(|(code, value)| Some(code as u32) == null || value.trim().is_empty() || number(value).is_some());
    if !numeric {
        return Ok(FeatureEncoding::Categorical { name: name.to_string(), values: sorted_values(column) });
    }
    let values: Vec<Option<f64>> = column.dictionary().iter().map(|v| number(v)).collect();
    let (mut sum, mut count) = (0.0, 0usize);
    for &code in column.codes() {
        if let Some(v) = values[code as usize] {
            sum += v;
            count += 1;
        }
    }
    Ok(FeatureEncoding::Numeric { name: name.to_string(), impute: if count == 0 { 0.0 } else { sum / count as f64 } })
}

/// The rows `rows` of `table` as a float matrix with class labels.
fn encode(
    table: &Table,
    rows: &[u32],
    features: &[FeatureEncoding],
    target: &str,
    classes: &[String],
) -> Result<Labelled> {
    let cols = features.len();
    let mut x = vec![0.0; rows.len() * cols];
    for (j, feature) in features.iter().enumerate() {
        let column = table.column(table.column_index(feature.name())?);
        let null = column.null_code();
        let by_code: Vec<f64> = column
            .dictionary()
            .iter()
            .enumerate()
            .map(|(code, value)| {
                let value = if Some(code as u32) == null { "" } else { value.as_str() };
                match feature {
                    FeatureEncoding::Numeric { impute, .. } => number(value).unwrap_or(*impute),
                    FeatureEncoding::Categorical { values, .. } => {
                        // A value only held-out parts have sorts in after the known ones.
                        values.binary_search_by(|v| v.as_str().cmp(value)).unwrap_or_else(|at| at) as f64
                    }
                }
            })
            .collect();
        for (i, &row) in rows.iter().enumerate() {
            x[i * cols + j] = by_code[column.codes()[row as usize] as usize];
        }
    }
    let column = table.column(table.column_index(target)?);
    let null = column.null_code();
    let labels: Vec<i64> = column
        .dictionary()
        .iter()
        .enumerate()
        .map(|(code, value)| {
            let value = if Some(code as u32) == null { "" } else { value.as_str() };
            classes.binary_search_by(|v| v.as_str().cmp(value)).map_or(-1, |i| i as i64)
        })
        .collect();
    let y: Vec<i64> = rows.iter().map(|&row| labels[column.codes()[row as usize] as usize]).collect();
    if let Some(i) = y.iter().position(|&l| l < 0) {
        return Err(Error::invalid(format!(
            "the target '{target}' has the value '{}' outside the training part's classes",
            column.value(rows[i] as usize)
        )));
    }
    Ok(Labelled { x, cols, y })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::demo::demo_challenges;
    use crate::evaluate::split;

    fn flchain() -> (ChallengeSpec, Split) {
        let demo = demo_challenges().into_iter().find(|d| d.slug == "flchain").expect("flchain demo");
        let table = anonlab_table::io::csv::read_csv_bytes(demo.csv, "flchain", &Default::default()).expect("csv");
        let split = split(&table, &demo.spec.split).expect("split");
        (demo.spec, split)
    }

    #[test]
    fn flchain_becomes_a_fixed_disjoint_ml_challenge() {
        let (spec, split) = flchain();
        let ml = MlChallenge::build(&spec, &split).expect("build");
        let names: Vec<&str> = ml.features.iter().map(FeatureEncoding::name).collect();
        assert_eq!(names, ["age", "sex", "sample.yr", "kappa", "lambda", "flc.grp", "creatinine", "mgus"]);
        assert!(matches!(&ml.features[1], FeatureEncoding::Categorical { values, .. } if values == &["F", "M"]));
        assert!(matches!(ml.features[6], FeatureEncoding::Numeric { impute, .. } if impute > 0.5 && impute < 2.0));
        assert_eq!(ml.classes, ["0", "1"]);
        assert_eq!(ml.training.y.len(), split.train.rows());
        assert_eq!(ml.training.x.len(), split.train.rows() * 8);
        assert_eq!(ml.tuning.y.len() + ml.validation.y.len(), split.test.rows());
        let side = ml.evaluation_tuning.membership.iter().filter(|&&m| m).count();
        assert!(side >= MIN_EVALUATION_SIDE, "{side}");
        assert_eq!(ml.evaluation_tuning.membership.len(), 2 * side);
        assert_eq!(ml.evaluation_validation.membership.len(), 2 * side);
        // Row 0 of the training part, value by value.
        let row = |l: &Labelled, i: usize| l.x[i * l.cols..(i + 1) * l.cols].to_vec();
        let train = &split.train;
        for (j, name) in names.iter().enumerate() {
            let raw = train.column(train.column_index(name).unwrap()).value(0);
            let sent = row(&ml.training, 0)[j];
            match *name {
                "sex" => assert_eq!(sent, if raw == "F" { 0.0 } else { 1.0 }),
                _ => match raw.parse::<f64>() {
                    Ok(v) => assert_eq!(sent, v, "{name}"),
                    Err(_) => {
                        assert!(matches!(ml.features[j], FeatureEncoding::Numeric { impute, .. } if impute == sent))
                    }
                },
            }
        }
        let death = train.column(train.column_index("death").unwrap()).value(0);
        assert_eq!(ml.classes[ml.training.y[0] as usize], death);

        // Attack training rows never appear in the evaluation sets, which hold
        // training rows as members and control rows as non-members.
        let key = |l: &Labelled, i: usize| format!("{:?}{}", row(l, i), l.y[i]);
        let known: std::collections::HashSet<String> = (0..ml.members.y.len())
            .map(|i| key(&ml.members, i))
            .chain((0..ml.non_members.y.len()).map(|i| key(&ml.non_members, i)))
            .collect();
        let training: std::collections::HashSet<String> =
            (0..ml.training.y.len()).map(|i| key(&ml.training, i)).collect();
        for set in [&ml.evaluation_tuning, &ml.evaluation_validation] {
            let leaked = (0..set.membership.len()).filter(|&i| known.contains(&key(&set.data, i))).count();
            // flchain has a few exact duplicate records; allow those, nothing more.
            assert!(leaked <= 3, "{leaked} evaluation records are attack training records");
            for (i, &member) in set.membership.iter().enumerate() {
                if member {
                    assert!(training.contains(&key(&set.data, i)), "member {i} is a training record");
                }
            }
        }

        // Rebuilding gives the same challenge: nothing depends on time or process.
        let again = MlChallenge::build(&spec, &split).expect("build");
        assert_eq!(again.evaluation_validation, ml.evaluation_validation);
        assert_eq!(again.members, ml.members);
        let majority = ml.majority_accuracy(DataSplit::Validation);
        assert!(majority > 0.5 && majority < 0.85, "{majority}");
    }

    #[test]
    fn refuses_what_cannot_be_an_ml_challenge() {
        let (mut spec, split) = flchain();
        spec.utility.target = None;
        spec.utility.features.clear();
        let e = MlChallenge::build(&spec, &split).unwrap_err();
        assert!(e.to_string().contains("no utility target"), "{e}");
        let (spec, split) = flchain();
        let small = Split {
            train: split.train.select_rows(&(0..300).collect::<Vec<u32>>()),
            control: split.control.select_rows(&(0..300).collect::<Vec<u32>>()),
            test: split.test.clone(),
        };
        let e = MlChallenge::build(&spec, &small).unwrap_err();
        assert!(e.to_string().contains("at least 200"), "{e}");
        assert!(DataSplit::parse("utility").is_err());
        assert_eq!(DataSplit::parse("validation").unwrap(), DataSplit::Validation);
    }
}
