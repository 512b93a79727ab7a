//! Re-identification risk analysis with ARX's definitions, so figures compare
//! with ARX exactly: prosecutor, journalist and marketer risk, sample and
//! population uniqueness (Pitman, Zayatz, SNB, Dankar), the distribution of
//! records over risk bands, and which quasi-identifiers make records unique.
//!
//! Everything is computed from the equivalence classes over the
//! quasi-identifiers (exact values; a row showing `*` in every
//! quasi-identifier is a suppressed record and left out, as in ARX). See
//! `docs/arx-risk-semantics.md` for the formulas and ARX's oracle values.

mod attributes;
mod counting;
pub mod population;
mod sample;

#[cfg(test)]
mod oracle_test;

use std::collections::BTreeMap;

use anonlab_table::Table;
use serde::Serialize;

pub use attributes::{AttributeRisk, attribute_risks};
pub use population::{Estimator, PopulationModel, PopulationUniqueness, Region};
pub use sample::{RiskBand, SampleRisks, risk_distribution};

use crate::error::{Error, Result};
use crate::key::KeyLayout;

/// How many classes have each size: the input to every risk model.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClassSizes {
    /// Class size → number of classes of that size, ascending by size.
    pub histogram: BTreeMap<u64, u64>,
    /// Records (suppressed ones excluded): the sample size n.
    pub records: u64,
    /// Equivalence classes: u.
    pub classes: u64,
}

impl ClassSizes {
    /// Classes of exactly `size` records.
    pub fn of_size(&self, size: u64) -> u64 {
        self.histogram.get(&size).copied().unwrap_or(0)
    }

    /// From class sizes in any order.
    pub fn from_sizes(sizes: impl IntoIterator<Item = u64>) -> Self {
        let mut histogram = BTreeMap::new();
        for s in sizes {
            *histogram.entry(s).or_insert(0) += 1;
        }
        Self::from_histogram(histogram)
    }

    /// From class size → number of classes of that size.
    pub fn from_histogram(histogram: BTreeMap<u64, u64>) -> Self {
        let records = histogram.iter().map(|(s, c)| s * c).sum();
        let classes = histogram.values().sum();
        ClassSizes { histogram, records, classes }
    }

    /// Groups the rows of `table` by the columns `qis`.
    pub fn of_table(table: &Table, qis: &[usize]) -> Result<Self> {
        if qis.is_empty() {
            return Err(Error::spec("risk analysis needs at least one quasi-identifier"));
        }
        let distinct: Vec<usize> = qis.iter().map(|&c| table.column(c).distinct()).collect();
        let bits = KeyLayout::new(&distinct).bits();
        if bits > 128 {
            return Err(Error::spec(format!(
                "the quasi-identifiers have too many distinct values to group ({bits} bits needed, at most 128)"
            )));
        }
        let codes: Vec<&[u32]> = qis.iter().map(|&c| table.column(c).codes()).collect();
        // The code of "*" per column, if every column has one: rows with it everywhere are suppressed.
        let star: Option<Vec<u32>> =
            qis.iter().map(|&c| table.column(c).dictionary().iter().position(|v| v == "*").map(|p| p as u32)).collect();
        let sizes = match &star {
            Some(star) => {
                counting::class_sizes(&codes, &distinct, Some(&|r| star.iter().zip(&codes).all(|(&s, c)| c[r] == s)))
            }
            None => counting::class_sizes(&codes, &distinct, None),
        };
        Ok(Self::from_histogram(sizes))
    }
}

/// The whole analysis, as `anonlab risk` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct RiskReport {
    /// Quasi-identifiers analysed, in column order.
    pub quasi_identifiers: Vec<String>,
    /// Records analysed (n).
    pub records: u64,
    /// Equivalence classes (u).
    pub classes: u64,
    /// Highest prosecutor risk: 1 / smallest class (ARX's estimated prosecutor risk).
    pub prosecutor: f64,
    /// ARX's estimated journalist risk (equals the prosecutor risk without a population table).
    pub journalist: f64,
    /// Marketer risk: the expected share of records re-identified, classes / records.
    pub marketer: f64,
    /// Share of records unique in the sample.
    pub sample_uniqueness: f64,
    /// Population uniqueness under each model.
    pub population_uniqueness: PopulationUniqueness,
    /// Details of the sample-based risks.
    pub sample: SampleRisks,
    /// Records per risk band.
    pub distribution: Vec<RiskBand>,
    /// Class sizes.
    pub class_sizes: BTreeMap<u64, u64>,
    /// Distinction and separation of every quasi-identifier and combination analysed.
    pub attributes: Vec<AttributeRisk>,
}

impl RiskReport {
    /// Analyses `table` over the columns `qis` for a population of `population`
    /// people, with quasi-identifier combinations up to `combination_size`.
    pub fn analyze(
        table: &Table,
        qis: &[usize],
        population: &PopulationModel,
        combination_size: usize,
    ) -> Result<Self> {
        // The classes (and the population models fitted to them) and the
        // attribute analysis are independent: each runs beside the other.
        let (classes, attributes) = rayon::join(
            || {
                let sizes = ClassSizes::of_table(table, qis)?;
                let uniqueness = population.uniqueness(&sizes)?;
                Ok::<_, Error>((sizes, uniqueness))
            },
            || attribute_risks(table, qis, combination_size),
        );
        let ((sizes, population_uniqueness), attributes) = (classes?, attributes?);
        let sample = SampleRisks::of(&sizes, 0.2);
        Ok(RiskReport {
            quasi_identifiers: qis.iter().map(|&c| table.column(c).name().to_string()).collect(),
            records: sizes.records,
            classes: sizes.classes,
            prosecutor: sample.estimated_prosecutor,
            journalist: sample.estimated_journalist,
            marketer: sample.estimated_marketer,
            sample_uniqueness: sample.sample_uniqueness,
            population_uniqueness,
            distribution: risk_distribution(&sizes),
            class_sizes: sizes.histogram.clone(),
            attributes,
            sample,
        })
    }
}
