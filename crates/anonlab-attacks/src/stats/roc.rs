//! ROC analysis of attacks that give every target a score (higher = more
//! likely a member): the curve, its AUC, the true positive rate at the low
//! false positive rates that matter for privacy, bootstrap intervals for them,
//! and the lower bound on ε of differential privacy that the curve implies.
//!
//! A single success rate hides what matters most in membership inference:
//! whether an attacker can pick out *some* members with near certainty.
//! Carlini et al. ("Membership Inference Attacks From First Principles",
//! S&P 2022) argue for reporting TPR at a low FPR for that reason; the AUC is
//! kept because it is the threshold-free summary everyone compares.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Serialize, Serializer};

use crate::error::{Error, Result};
use crate::sample;
use crate::stats::{Estimate, SuccessRate};

/// The false positive rates at which [`RocSummary`] reports the TPR: 0.1 % and 1 %.
pub const LOW_FPRS: [f64; 2] = [0.001, 0.01];

/// At most this many points go into a [`RocSummary`]: enough to draw the
/// curve, few enough to keep a JSON report small whatever the target count.
pub const MAX_POINTS: usize = 200;

/// Points with an FPR up to this are thinned last: the low-FPR corner is where
/// privacy is decided and where a log-scaled plot magnifies every step.
const LOW_REGION: f64 = 0.02;

/// One score and whose it is (index into the member or non-member scores).
#[derive(Debug, Clone, Copy)]
struct Scored {
    score: f64,
    member: bool,
    index: u32,
}

/// The empirical ROC curve of member against non-member scores.
///
/// Thresholds run over every distinct score, so a group of tied scores moves
/// the curve diagonally in one step: no arbitrary tie order can make the
/// attack look better (or worse) than its scores allow.
#[derive(Debug, Clone)]
pub struct Roc {
    /// All scores, highest first.
    scored: Vec<Scored>,
    /// Cumulative (true positives, false positives) after each group of equal
    /// scores, from (0, 0) to (members, non-members).
    steps: Vec<(u64, u64)>,
    members: u64,
    non_members: u64,
    auc: f64,
}

impl Roc {
    /// The curve of `member_scores` against `non_member_scores`; both sides
    /// must be non-empty and no score NaN (an unordered score cannot be
    /// thresholded, and hiding it would bias the curve).
    pub fn new(member_scores: &[f64], non_member_scores: &[f64]) -> Result<Self> {
        if member_scores.is_empty() || non_member_scores.is_empty() {
            return Err(Error::invalid(format!(
                "a ROC curve needs members and non-members; got {} member and {} non-member scores",
                member_scores.len(),
                non_member_scores.len()
            )));
        }
        if member_scores.len() > u32::MAX as usize || non_member_scores.len() > u32::MAX as usize {
            return Err(Error::invalid("a ROC curve takes at most 2^32 scores per side"));
        }
        if member_scores.iter().chain(non_member_scores).any(|x| x.is_nan()) {
            return Err(Error::internal("an attack produced a NaN score"));
        }
        let side = |scores: &[f64], member: bool| -> Vec<Scored> {
            // + 0.0 turns −0 into 0, so both land in one tie group.
            scores.iter().enumerate().map(|(i, &s)| Scored { score: s + 0.0, member, index: i as u32 }).collect()
        };
        let mut scored = side(member_scores, true);
        scored.extend(side(non_member_scores, false));
        scored.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut steps = Vec::new();
        walk(&scored, |_| 1, |tp, fp| steps.push((tp, fp)));
        let (members, non_members) = (member_scores.len() as u64, non_member_scores.len() as u64);
        let auc = Tally::over(&steps, members, non_members).auc();
        Ok(Roc { scored, steps, members, non_members, auc })
    }

    /// Number of member scores.
    pub fn members(&self) -> u64 {
        self.members
    }

    /// Number of non-member scores.
    pub fn non_members(&self) -> u64 {
        self.non_members
    }

    /// Every point `[FPR, TPR]` of the curve, from `[0, 0]` to `[1, 1]`, one
    /// per distinct threshold.
    pub fn points(&self) -> Vec<[f64; 2]> {
        self.steps
            .iter()
            .map(|&(tp, fp)| [fp as f64 / self.non_members as f64, tp as f64 / self.members as f64])
            .collect()
    }

    /// Area under the curve: the probability that a random member outscores a
    /// random non-member, a tie counting one half (the Mann–Whitney statistic),
    /// which is exactly the trapezoid area under [`Roc::points`].
    pub fn auc(&self) -> f64 {
        self.auc
    }

    /// The highest TPR among the curve's points whose FPR is at most `fpr`
    /// (no interpolation: a threshold between two points is not an attack
    /// anyone can run without randomizing).
    pub fn tpr_at_fpr(&self, fpr: f64) -> f64 {
        let limit = fp_limit(fpr, self.non_members);
        let tp = self.steps.iter().take_while(|&&(_, fp)| fp <= limit).map(|&(tp, _)| tp).last().unwrap_or(0);
        tp as f64 / self.members as f64
    }

    /// The largest ε that the curve's points prove, for the given δ.
    ///
    /// An (ε, δ)-DP mechanism bounds every test between members and
    /// non-members (Kairouz, Oh & Viswanath, ICML 2015): `FPR + e^ε·FNR ≥ 1 − δ`
    /// and `FNR + e^ε·FPR ≥ 1 − δ`. So each point gives
    /// `ε ≥ max(ln((TPR − δ)/FPR), ln((1 − FPR − δ)/(1 − TPR)))`; a ratio with
    /// a non-positive numerator proves nothing and is skipped. A point with
    /// FPR 0 and TPR > δ (or TPR 1) proves that no finite ε holds: the result
    /// is then `f64::INFINITY`.
    ///
    /// This is a point estimate on finite samples, maximized over thresholds
    /// chosen after seeing the scores: it can overstate ε. Cite
    /// [`Roc::epsilon_lower_bound_conservative`] instead.
    pub fn epsilon_lower_bound(&self, delta: f64) -> Result<f64> {
        check_delta(delta)?;
        let (p, n) = (self.members as f64, self.non_members as f64);
        Ok(self.steps.iter().map(|&(tp, fp)| epsilon_at(tp as f64 / p, fp as f64 / n, delta)).fold(0.0, f64::max))
    }

    /// [`Roc::epsilon_lower_bound`] with each point moved to its pessimistic
    /// corner: TPR replaced by the lower and FPR by the upper end of its Wilson
    /// interval at `confidence`.
    ///
    /// This is the statistically honest lower bound — the one to report. The
    /// point estimate treats the observed rates as the true ones; this bound
    /// only claims what the rates support at the stated confidence, for all
    /// thresholds at once: the bound is the best over every point of the
    /// curve, so each point's intervals are taken at the Bonferroni-corrected
    /// level `1 − (1 − confidence) / points` (without the correction, the
    /// best of thousands of per-point 95 % bounds exceeds 0 by chance on a
    /// release that leaks nothing). It is always finite, since a Wilson
    /// interval never reaches FPR 0 or TPR 1 from above and below.
    pub fn epsilon_lower_bound_conservative(&self, delta: f64, confidence: f64) -> Result<f64> {
        check_delta(delta)?;
        let mut best: f64 = 0.0;
        let per_point = 1.0 - (1.0 - confidence) / self.steps.len().max(1) as f64;
        for &(tp, fp) in &self.steps {
            let t = SuccessRate::wilson(self.members, tp as f64, per_point)?;
            let f = SuccessRate::wilson(self.non_members, fp as f64, per_point)?;

            let tpr_low = (t.value - t.error).clamp(0.0, 1.0);
            let fpr_high = (f.value + f.error).clamp(0.0, 1.0);
            best = best.max(epsilon_at(tpr_low, fpr_high, delta));
        }
        Ok(best)
    }

    /// The curve's summary for reports: AUC and TPR at [`LOW_FPRS`] with
    /// percentile intervals from `rounds` stratified bootstrap resamples
    /// (seeded by `seed`), the ε lower bounds at `delta`, and the curve thinned
    /// to at most [`MAX_POINTS`] points.
    ///
    /// The bootstrap resamples members and non-members separately, so every
    /// resample keeps the study's design (the counts are fixed by it, not
    /// random). An interval is widened, if need be, to contain the point
    /// estimate: a skewed bootstrap distribution (TPR at a tiny FPR often is)
    /// can leave it outside, and a reader takes `low ≤ value ≤ high` for granted.
    pub fn summary(&self, delta: f64, rounds: usize, seed: u64, confidence: f64) -> Result<RocSummary> {
        if rounds == 0 {
            return Err(Error::invalid("the ROC bootstrap needs at least one round; got 0"));
        }
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(Error::invalid(format!(
                "confidence level must lie strictly between 0 and 1; got {confidence}"
            )));
        }
        let epsilon_lower_bound = self.epsilon_lower_bound(delta)?;
        let epsilon_lower_bound_conservative = self.epsilon_lower_bound_conservative(delta, confidence)?;
        let rounds_out = self.bootstrap(rounds, seed);
        let interval = |value: f64, column: &mut Vec<f64>| {
            column.sort_by(f64::total_cmp);
            let low = quantile(column, 0.5 * (1.0 - confidence)).min(value);
            let high = quantile(column, 0.5 * (1.0 + confidence)).max(value);
            Estimate { value, low, high }
        };
        let mut aucs: Vec<f64> = rounds_out.iter().map(|r| r.0).collect();
        let mut low: Vec<f64> = rounds_out.iter().map(|r| r.1[0]).collect();
        let mut one: Vec<f64> = rounds_out.iter().map(|r| r.1[1]).collect();
        Ok(RocSummary {
            auc: interval(self.auc, &mut aucs),
            tpr_at_0_1pct_fpr: interval(self.tpr_at_fpr(LOW_FPRS[0]), &mut low),
            tpr_at_1pct_fpr: interval(self.tpr_at_fpr(LOW_FPRS[1]), &mut one),
            epsilon_lower_bound,
            epsilon_lower_bound_conservative,
            delta,
            n_members: self.members,
            n_non_members: self.non_members,
            bootstrap_rounds: rounds as u64,
            points: thin(&self.points()),
        })
    }

    /// AUC and TPR at [`LOW_FPRS`] of `rounds` stratified resamples. Each round
    /// draws from its own generator, seeded in order from one stream of
    /// `seed`, so rounds run in parallel and the result does not depend on
    /// the thread count.
    fn bootstrap(&self, rounds: usize, seed: u64) -> Vec<(f64, [f64; 2])> {
        let mut rng = sample::stream(seed, "roc bootstrap");
        let seeds: Vec<u64> = (0..rounds).map(|_| rng.random()).collect();
        let (p, n) = (self.members as usize, self.non_members as usize);
        seeds
            .into_par_iter()
            .map(|s| {
                let mut rng = ChaCha8Rng::seed_from_u64(s);
                let mut member_weight = vec![0u32; p];
                let mut non_member_weight = vec![0u32; n];
                for _ in 0..p {
                    member_weight[rng.random_range(0..p)] += 1;
                }
                for _ in 0..n {
                    non_member_weight[rng.random_range(0..n)] += 1;
                }
                let weight = |s: &Scored| {
                    u64::from(if s.member {
                        member_weight[s.index as usize]
                    } else {
                        non_member_weight[s.index as usize]
                    })
                };
                let mut tally = Tally::new(self.members, self.non_members);
                walk(&self.scored, weight, |tp, fp| tally.visit(tp, fp));
                (tally.auc(), tally.tpr)
            })
            .collect()
    }
}

/// Walks `scored` (highest first) one group of equal scores at a time,
/// calling `visit` with the cumulative weighted (true, false) positives at
/// (0, 0) and after each group.
fn walk(scored: &[Scored], weight: impl Fn(&Scored) -> u64, mut visit: impl FnMut(u64, u64)) {
    let (mut tp, mut fp) = (0, 0);
    visit(0, 0);
    let mut i = 0;
    while i < scored.len() {
        let score = scored[i].score;
        while i < scored.len() && scored[i].score == score {
            let w = weight(&scored[i]);
            if scored[i].member {
                tp += w;
            } else {
                fp += w;
            }
            i += 1;
        }
        visit(tp, fp);
    }
}

/// AUC and TPR at [`LOW_FPRS`] accumulated over a walk, in integers so the
/// AUC is exact up to the final division.
struct Tally {
    members: u64,
    non_members: u64,
    /// Twice the area, in units of one member × one non-member.
    area: u128,
    last: (u64, u64),
    limits: [u64; 2],
    tpr: [f64; 2],
}

impl Tally {
    fn new(members: u64, non_members: u64) -> Self {
        Tally {
            members,
            non_members,
            area: 0,
            last: (0, 0),
            limits: LOW_FPRS.map(|x| fp_limit(x, non_members)),
            tpr: [0.0; 2],
        }
    }

    fn over(steps: &[(u64, u64)], members: u64, non_members: u64) -> Self {
        let mut t = Tally::new(members, non_members);
        for &(tp, fp) in steps {
            t.visit(tp, fp);
        }
        t
    }

    fn visit(&mut self, tp: u64, fp: u64) {
        let (tp0, fp0) = self.last;
        self.area += u128::from(fp - fp0) * u128::from(tp0 + tp);
        self.last = (tp, fp);
        for (slot, &limit) in self.tpr.iter_mut().zip(&self.limits) {
            if fp <= limit {
                *slot = tp as f64 / self.members as f64;
            }
        }
    }

    fn auc(&self) -> f64 {
        self.area as f64 / (2.0 * self.members as f64 * self.non_members as f64)
    }
}

/// The most false positives out of `non_members` whose rate is at most `fpr`
/// (a hair of tolerance so that 1 of 1000 counts as 0.1 %).
fn fp_limit(fpr: f64, non_members: u64) -> u64 {
    let x = fpr * non_members as f64;
    if x <= 0.0 { 0 } else { (x + 1e-9 * x.max(1.0)).floor() as u64 }
}

fn check_delta(delta: f64) -> Result<()> {
    if (0.0..1.0).contains(&delta) {
        Ok(())
    } else {
        Err(Error::invalid(format!("δ must lie in [0, 1); got {delta}")))
    }
}

/// The ε one point (TPR, FPR) proves at `delta` (0 when it proves nothing).
fn epsilon_at(tpr: f64, fpr: f64, delta: f64) -> f64 {
    let bound = |numerator: f64, denominator: f64| {
        if numerator <= 0.0 {
            0.0
        } else if denominator <= 0.0 {
            f64::INFINITY
        } else {
            (numerator / denominator).ln()
        }
    };
    bound(tpr - delta, fpr).max(bound(1.0 - fpr - delta, 1.0 - tpr)).max(0.0)
}

/// The `p` quantile of sorted `values`, interpolating linearly between order
/// statistics (numpy's default, so intervals match a Python re-analysis).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let position = p * (sorted.len() - 1) as f64;
    let (below, fraction) = (position.floor() as usize, position.fract());
    match sorted.get(below + 1) {
        Some(&above) if fraction > 0.0 => sorted[below] + fraction * (above - sorted[below]),
        _ => sorted[below],
    }
}

/// At most [`MAX_POINTS`] points of a curve: first the points in the middle
/// of straight vertical or horizontal runs go (drawing them changes nothing),
/// then, if still too many, the rest are thinned evenly in order, the region
/// FPR ≤ 2 % keeping half of the budget. The first and last point stay.
fn thin(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let corners = corners(points);
    if corners.len() <= MAX_POINTS {
        return corners;
    }
    let split = corners.partition_point(|p| p[0] <= LOW_REGION);
    let (low, high) = corners.split_at(split);
    let mut out = evenly(
        low,
        if high.is_empty() { MAX_POINTS } else { (MAX_POINTS / 2).max(MAX_POINTS.saturating_sub(high.len())) },
    );
    let room = MAX_POINTS - out.len();
    out.extend(evenly(high, room));
    out
}

/// `points` without those in the middle of a vertical or horizontal run.
fn corners(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut corners: Vec<[f64; 2]> = Vec::with_capacity(points.len());
    for (i, &p) in points.iter().enumerate() {
        if let (Some(&before), Some(&after)) = (corners.last(), points.get(i + 1))
            && ((before[0] == p[0] && p[0] == after[0]) || (before[1] == p[1] && p[1] == after[1]))
        {
            continue;
        }
        corners.push(p);
    }
    corners
}

/// `k` (≥ 2) of `points` evenly spaced in order, first and last included.
fn evenly(points: &[[f64; 2]], k: usize) -> Vec<[f64; 2]> {
    if points.len() <= k {
        return points.to_vec();
    }
    let last = points.len() - 1;
    (0..k).map(|i| points[(i * last + (k - 1) / 2) / (k - 1)]).collect()
}

/// What a scored attack's ROC curve says, in the result's JSON.
#[derive(Debug, Clone, Serialize)]
pub struct RocSummary {
    /// Area under the curve, with its bootstrap percentile interval: 0.5 is
    /// guessing, 1 is telling every member from every non-member.
    pub auc: Estimate,
    /// TPR at 0.1 % FPR (bootstrap interval): how many members the attacker
    /// picks out while accusing almost no one wrongly — the figure that
    /// matters for the most exposed people.
    pub tpr_at_0_1pct_fpr: Estimate,
    /// TPR at 1 % FPR (bootstrap interval).
    pub tpr_at_1pct_fpr: Estimate,
    /// ε the observed curve implies at `delta` (point estimate; the JSON
    /// string `"inf"` when a threshold separates without any false positive).
    /// Optimistic on finite samples: see the conservative bound.
    #[serde(serialize_with = "number_or_inf")]
    pub epsilon_lower_bound: f64,
    /// ε the curve implies with every TPR at the lower and every FPR at the
    /// upper end of its Wilson interval: the lower bound to report.
    pub epsilon_lower_bound_conservative: f64,
    /// The δ of both ε bounds.
    pub delta: f64,
    /// Member scores behind the curve.
    pub n_members: u64,
    /// Non-member scores behind the curve.
    pub n_non_members: u64,
    /// Bootstrap resamples behind the intervals.
    pub bootstrap_rounds: u64,
    /// The curve as `[FPR, TPR]` pairs from `[0, 0]` to `[1, 1]`, at most
    /// [`MAX_POINTS`] of them, dense where FPR is low.
    pub points: Vec<[f64; 2]>,
}

/// JSON has no infinity (serde_json would write `null`, which reads as
/// "unknown" — the opposite of "unbounded").
fn number_or_inf<S: Serializer>(x: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() { serializer.serialize_f64(*x) } else { serializer.serialize_str("inf") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::Rng;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn perfect_separation_has_auc_one() {
        let roc = Roc::new(&[3.0, 4.0, 5.0], &[0.0, 1.0, 2.0]).unwrap();
        assert_eq!(roc.auc(), 1.0);
        assert_eq!(roc.tpr_at_fpr(0.0), 1.0);
        assert_eq!(roc.epsilon_lower_bound(0.0).unwrap(), f64::INFINITY);
        // Three of each prove nothing once sampling error is accounted for; thirty do.
        assert_eq!(roc.epsilon_lower_bound_conservative(0.0, 0.95).unwrap(), 0.0);
        let roc = Roc::new(&[1.0; 30], &[0.0; 30]).unwrap();
        let conservative = roc.epsilon_lower_bound_conservative(0.0, 0.95).unwrap();
        assert!(conservative.is_finite() && conservative > 1.5, "{conservative}");
    }

    #[test]
    fn identical_scores_are_one_diagonal_step() {
        let roc = Roc::new(&[1.0; 4], &[1.0; 7]).unwrap();
        assert_eq!(roc.auc(), 0.5);
        assert_eq!(roc.points(), vec![[0.0, 0.0], [1.0, 1.0]]);
        assert_eq!(roc.tpr_at_fpr(0.5), 0.0);
        assert_eq!(roc.epsilon_lower_bound(0.0).unwrap(), 0.0);
    }

    #[test]
    fn a_mixed_case_checked_by_hand() {
        // Member 0.9 beats all three non-members, 0.7 and 0.4 beat two each: 7 of 9 pairs.
        let roc = Roc::new(&[0.9, 0.7, 0.4], &[0.8, 0.3, 0.2]).unwrap();
        assert!(close(roc.auc(), 7.0 / 9.0), "{}", roc.auc());
        let third = 1.0 / 3.0;
        let want = [
            [0.0, 0.0],
            [0.0, third],
            [third, third],
            [third, 2.0 * third],
            [third, 1.0],
            [2.0 * third, 1.0],
            [1.0, 1.0],
        ];
        for (got, want) in roc.points().iter().zip(want) {
            assert!(close(got[0], want[0]) && close(got[1], want[1]), "{got:?} vs {want:?}");
        }
        assert!(close(roc.tpr_at_fpr(0.0), third));
        assert!(close(roc.tpr_at_fpr(0.34), 1.0));
        assert!(close(roc.tpr_at_fpr(0.33), third));
    }

    #[test]
    fn ties_count_one_half_and_move_diagonally() {
        // Pairs: 2 beats both (2); each member 1 ties the non-member 1 (½) and beats 0 (1): 5 of 6.
        let roc = Roc::new(&[1.0, 1.0, 2.0], &[1.0, 0.0]).unwrap();
        assert!(close(roc.auc(), 5.0 / 6.0), "{}", roc.auc());
        let third = 1.0 / 3.0;
        let points = roc.points();
        assert_eq!(points.len(), 4);
        assert!(close(points[1][1], third) && points[1][0] == 0.0);
        assert_eq!(points[2], [0.5, 1.0]);
        // −0 and 0 are one score.
        assert_eq!(Roc::new(&[0.0], &[-0.0]).unwrap().auc(), 0.5);
    }

    #[test]
    fn epsilon_from_one_point() {
        // 10 members, 20 non-members; the top threshold catches 5 members and 1 non-member:
        // TPR 0.5 at FPR 0.05, so ε ≥ ln(0.5 / 0.05) = ln 10.
        let mut members = vec![10.0; 5];
        members.extend([0.0; 5]);
        let mut non_members = vec![10.0];
        non_members.extend([5.0; 19]);
        let roc = Roc::new(&members, &non_members).unwrap();
        assert!(close(roc.epsilon_lower_bound(0.0).unwrap(), 10f64.ln()));
        assert!(close(roc.epsilon_lower_bound(0.1).unwrap(), 8f64.ln()));
        // Each point's intervals at the Bonferroni level over the curve's points.
        let level = 1.0 - 0.05 / roc.steps.len() as f64;
        let t = SuccessRate::wilson(10, 5.0, level).unwrap();
        let f = SuccessRate::wilson(20, 1.0, level).unwrap();
        let want = ((t.value - t.error) / (f.value + f.error)).ln().max(0.0);

        let got = roc.epsilon_lower_bound_conservative(0.0, 0.95).unwrap();
        assert!(close(got, want), "{got} vs {want}");
        assert!(got < roc.epsilon_lower_bound(0.0).unwrap());
        assert!(roc.epsilon_lower_bound(1.0).is_err());
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(Roc::new(&[], &[1.0]).is_err());
        assert!(Roc::new(&[1.0], &[f64::NAN]).is_err());
        let roc = Roc::new(&[1.0], &[0.0]).unwrap();
        assert!(roc.summary(0.0, 0, 1, 0.95).is_err());
        assert!(roc.summary(0.0, 10, 1, 1.0).is_err());
    }

    fn noisy(n: usize, shift: f64, seed: u64) -> Vec<f64> {
        let mut rng = sample::stream(seed, "test scores");
        (0..n).map(|_| (0..6).map(|_| rng.random::<f64>()).sum::<f64>() + shift).collect()
    }

    #[test]
    fn bootstrap_is_reproducible_and_covers_the_estimate() {
        let roc = Roc::new(&noisy(300, 0.5, 1), &noisy(400, 0.0, 2)).unwrap();
        let a = roc.summary(1e-5, 200, 7, 0.95).unwrap();
        let b = roc.summary(1e-5, 200, 7, 0.95).unwrap();
        let c = roc.summary(1e-5, 200, 8, 0.95).unwrap();
        let json = |s: &RocSummary| serde_json::to_string(s).unwrap();
        assert_eq!(json(&a), json(&b));
        assert_ne!(json(&a), json(&c));
        for e in [a.auc, a.tpr_at_0_1pct_fpr, a.tpr_at_1pct_fpr] {
            assert!(e.low <= e.value && e.value <= e.high, "{e:?}");
        }
        // Shift 0.5 against a sum of six uniforms (sd 0.71): AUC ≈ Φ(0.5 / 1.0) ≈ 0.69.
        assert!(a.auc.low > 0.6 && a.auc.high < 0.8 && a.auc.high - a.auc.low > 0.02, "{:?}", a.auc);
        assert_eq!((a.n_members, a.n_non_members, a.bootstrap_rounds), (300, 400, 200));
        assert!(a.epsilon_lower_bound_conservative <= a.epsilon_lower_bound);
    }

    #[test]
    fn summaries_thin_long_curves_but_keep_the_corners() {
        let roc = Roc::new(&noisy(3000, 0.3, 3), &noisy(3000, 0.0, 4)).unwrap();
        let s = roc.summary(0.0, 20, 1, 0.95).unwrap();
        assert!(s.points.len() <= MAX_POINTS && s.points.len() > MAX_POINTS / 2, "{}", s.points.len());
        assert_eq!(s.points.first(), Some(&[0.0, 0.0]));
        assert_eq!(s.points.last(), Some(&[1.0, 1.0]));
        assert!(s.points.windows(2).all(|w| w[0][0] <= w[1][0] && w[0][1] <= w[1][1]));
        let low = s.points.iter().filter(|p| p[0] <= LOW_REGION).count();
        let available = corners(&roc.points()).iter().filter(|p| p[0] <= LOW_REGION).count();
        // The low-FPR corners all stay when they fit in half the budget, else they get at least half.
        assert!(low == available || low >= MAX_POINTS / 2, "{low} of {available}");
        assert!(corners(&roc.points()).len() > 2 * MAX_POINTS, "the test should need thinning");
    }

    #[test]
    fn infinite_epsilon_is_written_as_inf() {
        let s = Roc::new(&[2.0; 20], &[1.0; 20]).unwrap().summary(0.0, 10, 1, 0.95).unwrap();
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["epsilon_lower_bound"], "inf");
        assert!(json["epsilon_lower_bound_conservative"].as_f64().unwrap() > 1.0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn auc_is_mann_whitney_and_trapezoid(
            members in prop::collection::vec(0u8..8, 1..40),
            non_members in prop::collection::vec(0u8..8, 1..40),
        ) {
            let m: Vec<f64> = members.iter().map(|&x| f64::from(x)).collect();
            let n: Vec<f64> = non_members.iter().map(|&x| f64::from(x)).collect();
            let roc = Roc::new(&m, &n).unwrap();
            let mut wins = 0.0;
            for a in &m {
                for b in &n {
                    wins += if a > b { 1.0 } else if a == b { 0.5 } else { 0.0 };
                }
            }
            let mann_whitney = wins / (m.len() * n.len()) as f64;
            prop_assert!((roc.auc() - mann_whitney).abs() < 1e-12);
            let points = roc.points();
            let trapezoid: f64 = points.windows(2).map(|w| (w[1][0] - w[0][0]) * (w[0][1] + w[1][1]) / 2.0).sum();
            prop_assert!((roc.auc() - trapezoid).abs() < 1e-12);
            for x in [0.0, 0.001, 0.01, 0.1, 0.5, 1.0] {
                let best = points.iter().filter(|p| p[0] <= x + 1e-12).map(|p| p[1]).fold(0.0, f64::max);
                prop_assert_eq!(roc.tpr_at_fpr(x), best);
            }
            let thinned = thin(&points);
            let area: f64 = thinned.windows(2).map(|w| (w[1][0] - w[0][0]) * (w[0][1] + w[1][1]) / 2.0).sum();
            prop_assert!((area - trapezoid).abs() < 1e-12, "removing collinear points keeps the area");
        }
    }

    #[test]
    fn no_leak_implies_no_epsilon_over_thousands_of_thresholds() {
        // Interleaved scores from one distribution, plus a lucky member on top.
        let mut members: Vec<f64> = (0..2000).map(|i| f64::from(i) * 2.0).collect();
        members.push(1e9);
        let non_members: Vec<f64> = (0..2000).map(|i| f64::from(i) * 2.0 + 1.0).collect();
        let roc = Roc::new(&members, &non_members).unwrap();
        assert_eq!(roc.epsilon_lower_bound(1e-5).unwrap(), f64::INFINITY, "the point estimate overreacts");
        assert_eq!(roc.epsilon_lower_bound_conservative(1e-5, 0.95).unwrap(), 0.0);
    }
}
