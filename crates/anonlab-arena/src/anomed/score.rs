//! Scoring what AnoMed submissions send to the utility routes: class labels
//! against the withheld targets, membership guesses against the truth.
//!
//! The figures differ from the reference challenge's where it is wrong: the
//! false positive rate is divided by the non-members (AnoMed divides by all
//! records, which halves it on a balanced set), and every rate carries a
//! Wilson interval. A prediction of the wrong type or length is a 400 with
//! what was expected, not AnoMed's 500.

use anonlab_attacks::stats::SuccessRate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::npz::{Array, Data};
use crate::error::{Error, Result};
use crate::evaluate::Estimate;

/// Confidence of every interval here.
pub const CONFIDENCE: f64 = 0.95;

/// A model's accuracy on one round's records.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelAccuracy {
    /// Share of records labelled correctly, with its Wilson interval.
    pub accuracy: Estimate,
    /// Accuracy of always answering the training part's most common class.
    pub majority_accuracy: f64,
    /// Records scored.
    pub records: u64,
}

/// Hard membership decisions against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MembershipDecisions {
    /// Members called members.
    pub true_positives: u64,
    /// Non-members called members.
    pub false_positives: u64,
    /// Non-members called non-members.
    pub true_negatives: u64,
    /// Members called non-members.
    pub false_negatives: u64,
    /// Share of correct decisions.
    pub accuracy: Estimate,
    /// Share of members caught: TP / (TP + FN).
    pub tpr: Estimate,
    /// Share of non-members wrongly accused: FP / (FP + TN).
    pub fpr: Estimate,
    /// What the AnoMed reference challenge reports as FPR: FP / all records.
    pub fpr_anomed: f64,
    /// TPR − FPR: how much better than guessing (0) the decisions are.
    pub advantage: f64,
}

impl MembershipDecisions {
    /// Tallies `guesses` against `truth` (same length, checked by the caller).
    pub fn tally(guesses: &[bool], truth: &[bool]) -> Result<MembershipDecisions> {
        let mut counts = [0u64; 4];
        for (&guess, &member) in guesses.iter().zip(truth) {
            counts[usize::from(guess) * 2 + usize::from(member)] += 1;
        }
        let [true_negatives, false_negatives, false_positives, true_positives] = counts;
        let members = true_positives + false_negatives;
        let non_members = false_positives + true_negatives;
        if members == 0 || non_members == 0 {
            return Err(Error::invalid("membership decisions need members and non-members among the records"));
        }
        let n = members + non_members;
        let tpr = proportion(true_positives, members)?;
        let fpr = proportion(false_positives, non_members)?;
        Ok(MembershipDecisions {
            true_positives,
            false_positives,
            true_negatives,
            false_negatives,
            accuracy: proportion(true_positives + true_negatives, n)?,
            advantage: tpr.value - fpr.value,
            tpr,
            fpr,
            fpr_anomed: false_positives as f64 / n as f64,
        })
    }

    /// The body the deanonymizer utility route answers: AnoMed's keys (`acc`,
    /// `tpr`, `fpr`, with FPR over the non-members) and ours beside them.
    pub fn response(&self) -> serde_json::Value {
        serde_json::json!({
            "acc": self.accuracy.value,
            "tpr": self.tpr.value,
            "fpr": self.fpr.value,
            "advantage": self.advantage,
            "fpr_anomed": self.fpr_anomed,
        })
    }
}

/// `successes / trials` with its Wilson interval (widened to hold the point).
pub fn proportion(successes: u64, trials: u64) -> Result<Estimate> {
    let rate = SuccessRate::wilson(trials, successes as f64, CONFIDENCE)
        .map_err(|e| Error::internal(format!("interval: {e}")))?;
    let value = successes as f64 / trials as f64;
    Ok(Estimate {
        value,
        low: (rate.value - rate.error).clamp(0.0, 1.0).min(value),
        high: (rate.value + rate.error).clamp(0.0, 1.0).max(value),
    })
}

/// The residual `(rate − base) / (1 − base)` of an attack over what it is
/// compared with (FPR, a guessing baseline), at least 0; its interval pairs
/// the rate's ends with the opposite ends of the base's (conservative), and a
/// base of 1 leaves no room: `[0, 1]`.
pub fn residual(rate: Estimate, base: Estimate) -> Estimate {
    let room = 1.0 - base.value;
    if room <= 0.0 {
        return Estimate { value: 0.0, low: 0.0, high: 1.0 };
    }
    let over = |r: f64, b: f64| ((r - b) / room).clamp(0.0, 1.0);
    Estimate { value: over(rate.value, base.value), low: over(rate.low, base.high), high: over(rate.high, base.low) }
}

/// Checks a 1-d prediction of `expected` rows.
fn check_shape(prediction: &Array, expected: usize, what: &str) -> Result<()> {
    if prediction.shape != [expected] {
        return Err(Error::invalid(format!(
            "'prediction' must be {what} of shape ({expected},), one per record served; got {}",
            prediction.describe()
        )));
    }
    Ok(())
}

/// Scores class labels against `truth`.
pub fn score_labels(prediction: &Array, truth: &[i64], majority_accuracy: f64) -> Result<ModelAccuracy> {
    check_shape(prediction, truth.len(), "an integer array (<i8)")?;
    let Data::I64(labels) = &prediction.data else {
        return Err(Error::invalid(format!(
            "'prediction' must hold integer class labels (<i8); got {}",
            prediction.describe()
        )));
    };
    let correct = labels.iter().zip(truth).filter(|(p, t)| p == t).count() as u64;
    Ok(ModelAccuracy {
        accuracy: proportion(correct, truth.len() as u64)?,
        majority_accuracy,
        records: truth.len() as u64,
    })
}

/// Scores membership guesses against `truth`.
pub fn score_memberships(prediction: &Array, truth: &[bool]) -> Result<MembershipDecisions> {
    check_shape(prediction, truth.len(), "a boolean array (|b1)")?;
    let Data::Bool(guesses) = &prediction.data else {
        return Err(Error::invalid(format!(
            "'prediction' must hold booleans (|b1), true for \"member\"; got {}",
            prediction.describe()
        )));
    };
    MembershipDecisions::tally(guesses, truth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_rates_use_the_right_denominators() {
        // All "member" on a balanced set: AnoMed reports fpr 0.5, the truth is 1.
        let truth = [true, true, false, false];
        let all = Array::bool(vec![4], vec![true; 4]);
        let d = score_memberships(&all, &truth).unwrap();
        assert_eq!((d.tpr.value, d.fpr.value, d.fpr_anomed, d.accuracy.value), (1.0, 1.0, 0.5, 0.5));
        assert_eq!(d.advantage, 0.0);
        let r = d.response();
        assert_eq!((r["acc"].as_f64(), r["tpr"].as_f64(), r["fpr"].as_f64()), (Some(0.5), Some(1.0), Some(1.0)));
        // One of each kind.
        let mixed = Array::bool(vec![4], vec![true, false, true, false]);
        let d = score_memberships(&mixed, &truth).unwrap();
        assert_eq!((d.true_positives, d.false_negatives, d.false_positives, d.true_negatives), (1, 1, 1, 1));
        assert!(d.tpr.low < 0.5 && d.tpr.high > 0.5);
    }

    #[test]
    fn residuals_are_bounded_and_conservative() {
        let e = |value, low, high| Estimate { value, low, high };
        let r = residual(e(0.8, 0.7, 0.9), e(0.5, 0.4, 0.6));
        assert!((r.value - 0.6).abs() < 1e-12 && (r.low - 0.2).abs() < 1e-12 && (r.high - 1.0).abs() < 1e-12, "{r:?}");
        assert_eq!(residual(e(0.3, 0.2, 0.4), e(0.5, 0.4, 0.6)).value, 0.0);
        let none = residual(e(1.0, 1.0, 1.0), e(1.0, 1.0, 1.0));
        assert_eq!((none.value, none.low, none.high), (0.0, 0.0, 1.0));
    }

    #[test]
    fn wrong_types_and_lengths_say_what_was_expected() {
        let e = score_memberships(&Array::i64(vec![2], vec![1, 0]), &[true, false]).unwrap_err();
        assert!(e.to_string().contains("booleans (|b1)") && e.to_string().contains("<i8"), "{e}");
        let e = score_labels(&Array::i64(vec![3], vec![1, 0, 1]), &[1, 0], 0.5).unwrap_err();
        assert!(e.to_string().contains("shape (2,)"), "{e}");
        let e = score_labels(&Array::f64(vec![2], vec![1.0, 0.0]), &[1, 0], 0.5).unwrap_err();
        assert!(e.to_string().contains("integer class labels"), "{e}");
        let a = score_labels(&Array::i64(vec![4], vec![1, 0, 1, 1]), &[1, 0, 0, 1], 0.5).unwrap();
        assert_eq!(a.accuracy.value, 0.75);
        assert!(a.accuracy.low < 0.75 && a.accuracy.high > 0.75 && a.accuracy.high <= 1.0);
    }
}
