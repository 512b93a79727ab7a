//! δ-presence: bounds on the probability that a person of the population is in
//! the released research subset.

use serde::{Deserialize, Serialize};

/// (δmin, δmax)-presence.
///
/// # Definition
/// The input is the population table and the research subset the sample to
/// publish. For each class of the generalized population, the fraction of its
/// population records that belong to the subset must lie in [δmin, δmax], so an
/// attacker who knows someone is in the population learns their membership in
/// the subset with probability at most δmax.
///
/// # Citations
/// M. E. Nergiz, M. Atzori, C. Clifton, "Hiding the presence of individuals from
/// shared databases", SIGMOD 2007; ARX 3.9.2 `criteria/DPresence`.
///
/// # ARX semantics
/// Per class: δ = subset records / population records (0 for a class without
/// subset records), passing when δmin ≤ δ ≤ δmax. A failing class with subset
/// records is suppressed; a failing class *without* subset records cannot be
/// suppressed (it holds nothing to suppress) and makes the transformation fail —
/// unless a minimal class size (k, l, k-map by estimate) rejected that class
/// first, because ARX checks the class size before δ-presence. Monotonic with
/// generalization, not with suppression.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeltaPresence {
    /// δmin, in [0, 1].
    pub min: f64,
    /// δmax, in [δmin, 1].
    pub max: f64,
}

impl DeltaPresence {
    /// Human description.
    pub fn describe(&self) -> String {
        format!("({},{})-presence", self.min, self.max)
    }

    /// Validates the bounds.
    pub fn prepare(&self) -> Result<DeltaPresence, String> {
        if !(0.0..=1.0).contains(&self.min) || !(0.0..=1.0).contains(&self.max) {
            return Err(format!("min and max must be fractions in [0, 1], got {} and {}", self.min, self.max));
        }
        if self.min > self.max {
            return Err(format!("min ({}) is larger than max ({})", self.min, self.max));
        }
        Ok(*self)
    }

    /// ARX's `DPresence.isAnonymous`: `subset` of the class's `population` records are in the subset.
    #[inline]
    pub fn passes(&self, subset: u64, population: u64) -> bool {
        let delta = if subset == 0 { 0.0 } else { subset as f64 / population as f64 };
        delta >= self.min && delta <= self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive() {
        let d = DeltaPresence { min: 0.25, max: 0.5 }.prepare().unwrap();
        assert!(d.passes(1, 4) && d.passes(2, 4));
        assert!(!d.passes(3, 4));
        assert!(!d.passes(0, 4), "a class without subset records has δ = 0");
    }

    #[test]
    fn rejects_impossible_bounds() {
        assert!(DeltaPresence { min: 0.6, max: 0.5 }.prepare().unwrap_err().contains("larger than max"));
        assert!(DeltaPresence { min: -0.1, max: 0.5 }.prepare().is_err());
        assert!(DeltaPresence { min: 0.0, max: 1.5 }.prepare().is_err());
    }
}
