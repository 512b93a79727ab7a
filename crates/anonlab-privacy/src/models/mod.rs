//! Privacy models: what every equivalence class of a release must satisfy.
//!
//! A [`PrivacyModel`] is the configured, logical form (attribute names and
//! parameters). Preparing it against the data gives a [`Criterion`]: the
//! per-class check the search runs. Semantics follow ARX: k and l set a minimal
//! class size; classes that fail any model are suppressed; a transformation is
//! anonymous when no more than the suppression limit's records are suppressed.

mod k_anonymity;
mod l_diversity;
mod t_closeness;

pub use k_anonymity::KAnonymity;
pub use l_diversity::{LDiversity, LDiversityVariant};
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
];

impl PrivacyModel {
    /// The sensitive attribute the model protects, if any.
    pub fn attribute(&self) -> Option<&str> {
        match self {
            PrivacyModel::KAnonymity(_) => None,
            PrivacyModel::LDiversity(m) => Some(&m.attribute),
            PrivacyModel::TCloseness(m) => Some(&m.attribute),
        }
    }

    /// A short human description, e.g. `distinct-3-diversity(occupation)`.
    pub fn describe(&self) -> String {
        match self {
            PrivacyModel::KAnonymity(m) => format!("{}-anonymity", m.k),
            PrivacyModel::LDiversity(m) => m.describe(),
            PrivacyModel::TCloseness(m) => m.describe(),
        }
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
}

impl Criterion {
    /// The smallest class this criterion can accept (ARX's minimal class size).
    pub fn minimal_class_size(&self) -> u64 {
        match self {
            Criterion::KAnonymity(k) => *k,
            Criterion::LDiversity(_, check) => check.minimal_class_size(),
            Criterion::TCloseness(..) => 0,
        }
    }

    /// True when a class that passes stays passing when merged with other classes,
    /// even with suppression: the set of suppressed records can only shrink as
    /// the transformation gets coarser (ARX's `isMonotonicWithSuppression`).
    pub fn monotonic_with_suppression(&self) -> bool {
        match self {
            Criterion::KAnonymity(_) => true,
            Criterion::LDiversity(_, check) => check.monotonic_with_suppression(),
            Criterion::TCloseness(..) => false,
        }
    }

    /// The sensitive attribute index whose histograms the check reads.
    pub fn sensitive(&self) -> Option<usize> {
        match self {
            Criterion::KAnonymity(_) => None,
            Criterion::LDiversity(j, _) | Criterion::TCloseness(j, _) => Some(*j),
        }
    }

    /// Checks one class (already known to meet the minimal class size).
    #[inline]
    pub fn passes(&self, count: u64, histogram: Option<Histogram<'_>>) -> bool {
        match (self, histogram) {
            (Criterion::KAnonymity(k), _) => count >= *k,
            (Criterion::LDiversity(_, check), Some(h)) => check.passes(count, h),
            (Criterion::TCloseness(_, check), Some(h)) => check.passes(count, h),
            _ => false,
        }
    }
}
