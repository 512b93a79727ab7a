//! Population uniqueness: how many people in the whole population are unique
//! on the quasi-identifiers, estimated from the sample (ARX's
//! RiskModelPopulationUniqueness).
//!
//! Each model estimates the number U of population-unique individuals; the
//! reported figure is U / N. A model whose solver fails reports 0, as ARX does.

mod euler_maclaurin;
mod gamma;
mod newton;
mod pitman;
mod snb;
mod zayatz;

use serde::{Deserialize, Serialize};

use super::ClassSizes;
use crate::error::{Error, Result};

/// ARX's population presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    /// 1,100,000,000
    Africa,
    /// 23,130,900
    Australia,
    /// 740,000,000
    Europe,
    /// 565,265,000
    NorthAmerica,
    /// 385,742,554
    SouthAmerica,
    /// 507,420,000
    EuropeanUnion,
    /// 202,656,788
    Brasil,
    /// 34,834,841
    Canada,
    /// 1,366,040,000
    China,
    /// 65,820,916
    France,
    /// 80,767,000
    Germany,
    /// 1,210,569,573
    India,
    /// 63,705,000
    Uk,
    /// 317,238,626
    Usa,
}

impl Region {
    /// The preset's population size.
    pub fn population(self) -> u64 {
        match self {
            Region::Africa => 1_100_000_000,
            Region::Australia => 23_130_900,
            Region::Europe => 740_000_000,
            Region::NorthAmerica => 565_265_000,
            Region::SouthAmerica => 385_742_554,
            Region::EuropeanUnion => 507_420_000,
            Region::Brasil => 202_656_788,
            Region::Canada => 34_834_841,
            Region::China => 1_366_040_000,
            Region::France => 65_820_916,
            Region::Germany => 80_767_000,
            Region::India => 1_210_569_573,
            Region::Uk => 63_705_000,
            Region::Usa => 317_238_626,
        }
    }
}

/// Which model Dankar's rule chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Chosen {
    /// Pitman's model.
    Pitman,
    /// Zayatz's model.
    Zayatz,
    /// The shifted negative binomial.
    Snb,
    /// No sample uniques: nothing to estimate.
    None,
}

/// Population uniqueness under each model (fractions of the population).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationUniqueness {
    /// Population size N.
    pub population: u64,
    /// Sampling fraction n / N.
    pub sampling_fraction: f64,
    /// Pitman's model (Hoshino 2001).
    pub pitman: f64,
    /// Zayatz's model (1991).
    pub zayatz: f64,
    /// Shifted negative binomial (Chen & Keller-McNulty 1998).
    pub snb: f64,
    /// Dankar et al.'s decision rule (2012): the recommended figure.
    pub dankar: f64,
    /// The model Dankar's rule picked.
    pub dankar_model: Chosen,
}

/// The estimate a population-uniqueness threshold is held to
/// (ARX's `PopulationUniquenessModel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// Pitman's model.
    Pitman,
    /// Zayatz's model.
    Zayatz,
    /// The shifted negative binomial.
    Snb,
    /// Dankar et al.'s decision rule.
    Dankar,
}

impl Estimator {
    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            Estimator::Pitman => "pitman",
            Estimator::Zayatz => "zayatz",
            Estimator::Snb => "snb",
            Estimator::Dankar => "dankar",
        }
    }
}

/// Population uniques U / N as ARX's `PopulationUniqueness` criterion computes them
/// for a release's retained classes: the chosen model's estimate, 0 where its
/// solver fails; Dankar's rule *without* the Zayatz fallback, so a failed Pitman
/// fit at sampling fractions ≤ 0.1 leaves ARX's −1 sentinel (a negative figure,
/// which fails the threshold).
pub(crate) fn criterion_fraction(estimator: Estimator, sizes: &ClassSizes, population: u64) -> f64 {
    let big_n = population as f64;
    if sizes.of_size(1) == 0 {
        return 0.0;
    }
    let valid = |u: f64| !u.is_nan() && u != 0.0;
    let or_zero = |u: f64| if valid(u) { u } else { 0.0 };
    let u = match estimator {
        Estimator::Pitman => or_zero(pitman::unique(sizes, big_n)),
        Estimator::Zayatz => or_zero(zayatz::unique(sizes, big_n)),
        Estimator::Snb => or_zero(snb::unique(sizes, big_n)),
        Estimator::Dankar if sizes.records as f64 / big_n <= 0.1 => {
            let pitman = pitman::unique(sizes, big_n);
            if valid(pitman) { pitman } else { -1.0 }
        }
        Estimator::Dankar => {
            let (snb, zayatz) = (snb::unique(sizes, big_n), zayatz::unique(sizes, big_n));
            // ARX: `zayatz < snb` picks Zayatz, so an incomparable (NaN) Zayatz keeps SNB.
            let zayatz_smaller = zayatz.partial_cmp(&snb) == Some(std::cmp::Ordering::Less);
            or_zero(if valid(snb) && !zayatz_smaller { snb } else { zayatz })
        }
    };
    u / big_n
}

/// The population a sample was drawn from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PopulationModel {
    size: u64,
}

impl PopulationModel {
    /// A population of `size` people.
    pub fn of_size(size: u64) -> Self {
        PopulationModel { size }
    }

    /// One of ARX's region presets.
    pub fn region(region: Region) -> Self {
        PopulationModel { size: region.population() }
    }

    /// The population size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Estimates population uniqueness for the classes of a sample.
    pub fn uniqueness(&self, sizes: &ClassSizes) -> Result<PopulationUniqueness> {
        let (n, big_n) = (sizes.records as f64, self.size as f64);
        if self.size < sizes.records {
            return Err(Error::spec(format!(
                "the population ({}) is smaller than the sample ({} records)",
                self.size, sizes.records
            )));
        }
        let f = n / big_n;
        let as_fraction = |u: f64| if u.is_nan() || u == 0.0 { 0.0 } else { u / big_n };
        let zero = PopulationUniqueness {
            population: self.size,
            sampling_fraction: f,
            pitman: 0.0,
            zayatz: 0.0,
            snb: 0.0,
            dankar: 0.0,
            dankar_model: Chosen::None,
        };
        if sizes.of_size(1) == 0 {
            return Ok(zero);
        }
        let pitman = pitman::unique(sizes, big_n);
        let zayatz = zayatz::unique(sizes, big_n);
        let snb = snb::unique(sizes, big_n);
        let valid = |u: f64| !u.is_nan() && u != 0.0;
        // Dankar et al.'s rule: Pitman for small sampling fractions, else the
        // smaller of SNB and Zayatz (SNB on ties, Zayatz when SNB fails).
        let (dankar, dankar_model) = if f <= 0.1 {
            if valid(pitman) { (pitman, Chosen::Pitman) } else { (zayatz, Chosen::Zayatz) }
        } else if valid(snb) {
            if zayatz < snb { (zayatz, Chosen::Zayatz) } else { (snb, Chosen::Snb) }
        } else {
            (zayatz, Chosen::Zayatz)
        };
        Ok(PopulationUniqueness {
            pitman: as_fraction(pitman),
            zayatz: as_fraction(zayatz),
            snb: as_fraction(snb),
            dankar: as_fraction(dankar),
            dankar_model,
            ..zero
        })
    }
}
