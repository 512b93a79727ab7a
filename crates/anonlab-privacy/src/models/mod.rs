//! Privacy models: what every equivalence class of a release must satisfy.
//!
//! A [`PrivacyModel`] is the configured, logical form (attribute names and
//! parameters). Preparing it against the data gives a [`Criterion`]: the
//! per-class check the search runs. Semantics follow ARX: k and l set a minimal
//! class size; classes that fail any model are suppressed; a transformation is
//! anonymous when no more than the suppression limit's records are suppressed.

mod average_risk;
mod delta_presence;
mod k_anonymity;
mod k_map;
mod l_diversity;
mod population_uniqueness;
mod sample;
mod t_closeness;

pub use average_risk::AverageRisk;
pub use delta_presence::DeltaPresence;
pub use k_anonymity::KAnonymity;
pub use k_map::{CellSizeEstimator, KMap, KMapEstimate};
pub use l_diversity::{LDiversity, LDiversityVariant};
pub use population_uniqueness::PopulationUniqueness;
pub use sample::{Distribution, Enforcement, SampleCheck};
pub use t_closeness::{Reference as TClosenessReference, TCloseness, TClosenessVariant};

/// Builds the table-wide reference t-closeness compares classes against.
pub fn t_closeness_reference<'a>(
    frequencies: &'a [u64],
    order: &'a [u32],
    up: Option<&'a [&'a [u32]]>,
) -> TClosenessReference<'a> {
    TClosenessReference { frequencies, order, up }
}

use serde::{Deserialize, Serialize};

use crate::classes::Histogram;

/// A configured privacy model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrivacyModel {
    /// Every class holds at least k records.
    KAnonymity(KAnonymity),
    /// Every class holds "well represented" sensitive values.
    LDiversity(LDiversity),
    /// Every class's sensitive distribution is close to the whole table's.
    TCloseness(TCloseness),
    /// The release's average re-identification risk is below a threshold.
    AverageRisk(AverageRisk),
    /// The estimated share of population uniques is below a threshold.
    PopulationUniqueness(PopulationUniqueness),
    /// Every class matches at least k people of the population.
    KMap(KMap),
    /// Membership in the research subset is bounded per class.
    DeltaPresence(DeltaPresence),
}

/// One entry of the model catalogue: drives CLI help and reports.
#[derive(Debug, Clone, Copy)]
pub struct ModelInfo {
    /// Config name.
    pub name: &'static str,
    /// One-line description.
    pub summary: &'static str,
}

/// Every privacy model anonlab implements.
pub const CATALOGUE: &[ModelInfo] = &[
    ModelInfo { name: "k-anonymity", summary: "every class holds at least k records (Sweeney 2002)" },
    ModelInfo { name: "l-diversity distinct", summary: "at least l distinct sensitive values per class" },
    ModelInfo { name: "l-diversity entropy", summary: "sensitive-value entropy per class at least ln(l) (Shannon)" },
    ModelInfo {
        name: "l-diversity recursive",
        summary: "recursive (c,l): most frequent value < c × the l-1 least frequent tail",
    },
    ModelInfo { name: "t-closeness equal", summary: "equal-distance EMD to the table's distribution at most t" },
    ModelInfo { name: "t-closeness ordered", summary: "ordered-distance EMD (values in type order) at most t" },
    ModelInfo {
        name: "t-closeness hierarchical",
        summary: "hierarchical EMD over the sensitive attribute's hierarchy at most t",
    },
    ModelInfo {
        name: "average-risk",
        summary: "average prosecutor risk (classes / records) at most a threshold; smallest classes suppressed",
    },
    ModelInfo {
        name: "population-uniqueness",
        summary: "estimated population uniques (pitman | zayatz | snb | dankar) at most a threshold",
    },
    ModelInfo {
        name: "k-map estimated",
        summary: "every class matches k people, estimated (Poisson | zero-truncated Poisson) from the population size",
    },
    ModelInfo {
        name: "k-map subset",
        summary: "every class holds k records of the population table (research subset)",
    },
    ModelInfo {
        name: "delta-presence",
        summary: "per class, subset records / population records within [min, max] (research subset)",
    },
];

impl PrivacyModel {
    /// The sensitive attribute the model protects, if any.
    pub fn attribute(&self) -> Option<&str> {
        match self {
            PrivacyModel::LDiversity(m) => Some(&m.attribute),
            PrivacyModel::TCloseness(m) => Some(&m.attribute),
            PrivacyModel::KAnonymity(_)
            | PrivacyModel::AverageRisk(_)
            | PrivacyModel::PopulationUniqueness(_)
            | PrivacyModel::KMap(_)
            | PrivacyModel::DeltaPresence(_) => None,
        }
    }

    /// A short human description, e.g. `distinct-3-diversity(occupation)`.
    pub fn describe(&self) -> String {
        match self {
            PrivacyModel::KAnonymity(m) => format!("{}-anonymity", m.k),
            PrivacyModel::LDiversity(m) => m.describe(),
            PrivacyModel::TCloseness(m) => m.describe(),
            PrivacyModel::AverageRisk(m) => m.describe(),
            PrivacyModel::PopulationUniqueness(m) => m.describe(),
            PrivacyModel::KMap(m) => m.describe(),
            PrivacyModel::DeltaPresence(m) => m.describe(),
        }
    }

    /// True when the model needs a research subset of the input (the input is then the population).
    pub fn needs_subset(&self) -> bool {
        matches!(self, PrivacyModel::DeltaPresence(_) | PrivacyModel::KMap(KMap { estimate: None, .. }))
    }
}

/// A privacy model prepared against the data: the per-class check.
#[derive(Debug, Clone)]
pub enum Criterion {
    /// k-anonymity: enforced through the minimal class size alone.
    KAnonymity(u64),
    /// Prepared l-diversity on sensitive attribute `.0`.
    LDiversity(usize, l_diversity::Check),
    /// Prepared t-closeness on sensitive attribute `.0`.
    TCloseness(usize, t_closeness::Check),
    /// Prepared k-map.
    KMap(k_map::Check),
    /// Prepared δ-presence (class counts are research-subset records).
    DeltaPresence(DeltaPresence),
    /// A sample-based model, enforced over the whole release, not per class.
    Sample(SampleCheck, Monotonicity),
}

/// ARX's two monotonicity flags of a privacy model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Monotonicity {
    /// Passing is kept under generalization when nothing is suppressed.
    pub with_generalization: bool,
    /// ... and also when failing classes are suppressed.
    pub with_suppression: bool,
}

impl Criterion {
    /// The smallest class this criterion can accept (ARX's minimal class size).
    pub fn minimal_class_size(&self) -> u64 {
        match self {
            Criterion::KAnonymity(k) => *k,
            Criterion::LDiversity(_, check) => check.minimal_class_size(),
            Criterion::KMap(check) => check.minimal_class_size().unwrap_or(0),
            Criterion::TCloseness(..) | Criterion::DeltaPresence(_) | Criterion::Sample(..) => 0,
        }
    }

    /// True when the criterion defines a minimal class size (ARX's
    /// `isMinimalClassSizeAvailable`); classes below it fail before any other check.
    pub fn defines_minimal_class_size(&self) -> bool {
        match self {
            Criterion::KAnonymity(_) | Criterion::LDiversity(..) => true,
            Criterion::KMap(check) => check.minimal_class_size().is_some(),
            Criterion::TCloseness(..) | Criterion::DeltaPresence(_) | Criterion::Sample(..) => false,
        }
    }

    /// True when a transformation that passes stays passing under generalization
    /// without suppression (ARX's `isMonotonicWithGeneralization`).
    pub fn monotonic_with_generalization(&self) -> bool {
        match self {
            Criterion::Sample(_, m) => m.with_generalization,
            _ => true,
        }
    }

    /// True when a class that passes stays passing when merged with other classes,
    /// even with suppression: the set of suppressed records can only shrink as
    /// the transformation gets coarser (ARX's `isMonotonicWithSuppression`).
    pub fn monotonic_with_suppression(&self) -> bool {
        match self {
            Criterion::KAnonymity(_) => true,
            Criterion::LDiversity(_, check) => check.monotonic_with_suppression(),
            Criterion::KMap(_) => true,
            Criterion::TCloseness(..) | Criterion::DeltaPresence(_) => false,
            Criterion::Sample(_, m) => m.with_suppression,
        }
    }

    /// The sensitive attribute index whose histograms the check reads.
    pub fn sensitive(&self) -> Option<usize> {
        match self {
            Criterion::LDiversity(j, _) | Criterion::TCloseness(j, _) => Some(*j),
            Criterion::KAnonymity(_) | Criterion::KMap(_) | Criterion::DeltaPresence(_) | Criterion::Sample(..) => None,
        }
    }

    /// True for models checked class by class (the rest hold through the minimal
    /// class size or over the whole release).
    pub fn is_per_class(&self) -> bool {
        match self {
            Criterion::LDiversity(..) | Criterion::TCloseness(..) | Criterion::DeltaPresence(_) => true,
            Criterion::KMap(check) => check.minimal_class_size().is_none(),
            Criterion::KAnonymity(_) | Criterion::Sample(..) => false,
        }
    }

    /// Checks one class (already known to meet the minimal class size) of a
    /// table that is its own population. Sample-based models hold for a release
    /// as a whole, so they pass every single class here.
    #[inline]
    pub fn passes(&self, count: u64, histogram: Option<Histogram<'_>>) -> bool {
        self.passes_in_population(count, count, histogram)
    }

    /// Checks one class with `count` sample records among `population` records
    /// (the two differ only with a research subset).
    #[inline]
    pub fn passes_in_population(&self, count: u64, population: u64, histogram: Option<Histogram<'_>>) -> bool {
        match (self, histogram) {
            (Criterion::KAnonymity(k), _) => count >= *k,
            (Criterion::LDiversity(_, check), Some(h)) => check.passes(count, h),
            (Criterion::TCloseness(_, check), Some(h)) => check.passes(count, h),
            (Criterion::KMap(k_map::Check::Population(k)), _) => population >= *k,
            (Criterion::KMap(k_map::Check::Estimated(k)), _) => count >= *k,
            (Criterion::DeltaPresence(d), _) => d.passes(count, population),
            (Criterion::Sample(..), _) => true,
            _ => false,
        }
    }
}
