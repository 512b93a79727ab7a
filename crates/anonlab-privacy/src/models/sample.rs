//! Sample-based models: thresholds on the release as a whole (average risk,
//! population uniqueness), enforced by suppressing whole classes.
//!
//! ARX (`RiskBasedCriterion.enforce`, `HashGroupifyDistribution`) first checks
//! the classes that survived the per-class models; when the threshold fails it
//! suppresses classes in a fixed order (smallest first) and binary-searches the
//! number of classes to suppress, giving up once more records are suppressed
//! than the limit allows. The order and the binary search are reproduced here
//! exactly, because they decide which classes a release loses.

use super::{average_risk, population_uniqueness};
use crate::risk::ClassSizes;

/// The class-size distribution of the retained classes (ARX's `HashGroupifyDistribution`).
pub type Distribution = ClassSizes;

/// A prepared sample-based model.
#[derive(Debug, Clone)]
pub enum SampleCheck {
    /// Average re-identification risk.
    AverageRisk(average_risk::Check),
    /// Population uniqueness.
    PopulationUniqueness(population_uniqueness::Check),
}

impl SampleCheck {
    /// True when the retained classes meet the model.
    pub fn fulfilled(&self, d: &Distribution) -> bool {
        match self {
            SampleCheck::AverageRisk(c) => c.fulfilled(d),
            SampleCheck::PopulationUniqueness(c) => c.fulfilled(d),
        }
    }
}

fn add(d: &mut Distribution, size: u64) {
    *d.histogram.entry(size).or_insert(0) += 1;
    d.records += size;
    d.classes += 1;
}

fn remove(d: &mut Distribution, size: u64) {
    if let Some(n) = d.histogram.get_mut(&size) {
        *n -= 1;
        if *n == 0 {
            d.histogram.remove(&size);
        }
    }
    d.records -= size;
    d.classes -= 1;
}

/// Classes that may be suppressed to meet the sample-based models, in ARX's
/// suppression order, and the running state of their suppression.
pub struct Enforcement {
    /// Retained classes of the distribution.
    pub distribution: Distribution,
    /// Records suppressed so far (ARX's `internalNumSuppressed`: classes entirely
    /// generalized to `*` are neither in the distribution nor counted here).
    pub suppressed_records: u64,
    /// (class index, size) in suppression order.
    entries: Vec<(usize, u64)>,
    /// Per entry: suppressed now.
    out: Vec<bool>,
}

/// Outcome of the condition in ARX's binary search.
#[derive(PartialEq, Eq, Clone, Copy)]
enum State {
    Fulfilled,
    NotFulfilled,
    Abort,
}

impl Enforcement {
    /// `entries` are the retained classes as (class index, size), already in
    /// suppression order; `suppressed_records` are the records already suppressed.
    pub fn new(entries: Vec<(usize, u64)>, suppressed_records: u64) -> Self {
        let distribution = Distribution::from_sizes(entries.iter().map(|e| e.1));
        let out = vec![false; entries.len()];
        Enforcement { distribution, suppressed_records, entries, out }
    }

    fn suppress(&mut self, i: usize) {
        if !self.out[i] {
            self.out[i] = true;
            remove(&mut self.distribution, self.entries[i].1);
            self.suppressed_records += self.entries[i].1;
        }
    }

    fn restore(&mut self, i: usize) {
        if self.out[i] {
            self.out[i] = false;
            add(&mut self.distribution, self.entries[i].1);
            self.suppressed_records -= self.entries[i].1;
        }
    }

    /// Enforces `check`, suppressing at most about `max_outliers` records before
    /// giving up (ARX's `RiskBasedCriterion.enforce` with
    /// `HashGroupifyDistribution.suppressWhileNotFulfilledBinary`). Returns
    /// whether the model holds afterwards: ARX's last step suppresses one more
    /// class without checking again, which for a model that is not monotonic in
    /// the classes suppressed (population uniqueness) can leave it failing —
    /// ARX would still publish such a release; the checker rejects it.
    pub fn enforce(&mut self, check: &SampleCheck, max_outliers: u64) -> bool {
        if check.fulfilled(&self.distribution) {
            return true;
        }
        if self.entries.is_empty() {
            return false;
        }
        let state = |e: &Self| {
            if check.fulfilled(&e.distribution) {
                State::Fulfilled
            } else if e.suppressed_records > max_outliers {
                State::Abort
            } else {
                State::NotFulfilled
            }
        };
        let len = self.entries.len() as i64;
        let (mut low, mut high) = (0i64, len - 1);
        // Java's integer division truncates toward zero, as Rust's does.
        let mut mid = (low + high) / 2;
        for i in low..=mid {
            self.suppress(i as usize);
        }
        let mut current = State::Abort;
        while low <= high {
            current = state(self);
            match current {
                State::Abort => break,
                State::Fulfilled => {
                    high = mid - 1;
                    mid = (low + high) / 2;
                    let mut i = mid + 1;
                    while i < len && self.out[i as usize] {
                        self.restore(i as usize);
                        i += 1;
                    }
                }
                State::NotFulfilled => {
                    low = mid + 1;
                    mid = (low + high) / 2;
                    for i in low..=mid {
                        self.suppress(i as usize);
                    }
                }
            }
        }
        if current != State::Abort
            && state(self) == State::NotFulfilled
            && mid + 1 < len
            && !self.out[(mid + 1) as usize]
        {
            self.suppress((mid + 1) as usize);
        }
        check.fulfilled(&self.distribution)
    }

    /// The classes still retained, as (class index, size), in suppression order.
    pub fn retained(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.entries.iter().zip(&self.out).filter(|&(_, &o)| !o).map(|(&e, _)| e)
    }

    /// Indices of the classes suppressed by enforcement.
    pub fn suppressed_classes(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().zip(&self.out).filter(|&(_, &o)| o).map(|(e, _)| e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::AverageRisk;

    fn average(threshold: f64) -> SampleCheck {
        SampleCheck::AverageRisk(
            AverageRisk { threshold, highest_risk: None, records_at_risk: None }.prepare().unwrap(),
        )
    }

    #[test]
    fn suppresses_the_fewest_smallest_classes_that_meet_the_threshold() {
        // Sizes 1, 1, 2, 4, 8: risk 5/16. Threshold 0.25 needs the two singletons
        // gone (3/14 = 0.214); one is not enough (4/15 = 0.267).
        let mut e = Enforcement::new(vec![(0, 1), (1, 1), (2, 2), (3, 4), (4, 8)], 0);
        assert!(e.enforce(&average(0.25), u64::MAX));
        assert_eq!(e.suppressed_classes().collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(e.suppressed_records, 2);
        assert!(average(0.25).fulfilled(&e.distribution));
    }

    #[test]
    fn gives_up_beyond_the_limit() {
        let mut e = Enforcement::new(vec![(0, 1), (1, 1), (2, 2), (3, 4), (4, 8)], 0);
        assert!(!e.enforce(&average(0.1), 1));
        assert!(e.suppressed_records > 1, "the search stops once the limit is exceeded");
    }

    #[test]
    fn leaves_a_fulfilled_release_alone() {
        let mut e = Enforcement::new(vec![(0, 5), (1, 5)], 3);
        assert!(e.enforce(&average(0.2), 0));
        assert_eq!(e.suppressed_records, 3);
        assert_eq!(e.suppressed_classes().count(), 0);
    }
}
