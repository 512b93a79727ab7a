//! Sample-based risks: prosecutor, journalist, marketer, sample uniqueness, risk bands.

use serde::Serialize;

use super::ClassSizes;

/// ARX's sample-based re-identification risks (RiskModelSampleRisks, RiskModelSampleSummary).
///
/// # Definition
/// With n records in u classes, smallest class s_min and largest s_max: the
/// highest prosecutor risk is 1/s_min, the lowest 1/s_max, the average (and the
/// marketer risk) 1/(n/u); records at risk are those in classes with 1/s > t.
/// For input data ARX's estimated prosecutor and journalist risks are both 1/s_min.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleRisks {
    /// 1 / smallest class.
    pub highest: f64,
    /// 1 / largest class.
    pub lowest: f64,
    /// 1 / average class size.
    pub average: f64,
    /// Share of records in the smallest classes.
    pub records_at_highest: f64,
    /// The threshold used for `records_at_risk`.
    pub threshold: f64,
    /// Share of records whose risk 1/|class| exceeds `threshold`.
    pub records_at_risk: f64,
    /// ARX's estimated prosecutor risk.
    pub estimated_prosecutor: f64,
    /// ARX's estimated journalist risk.
    pub estimated_journalist: f64,
    /// ARX's estimated marketer risk.
    pub estimated_marketer: f64,
    /// Share of records in classes of size 1.
    pub sample_uniqueness: f64,
}

impl SampleRisks {
    /// The risks of `sizes`, counting records at risk above `threshold`.
    pub fn of(sizes: &ClassSizes, threshold: f64) -> Self {
        let n = sizes.records as f64;
        let (Some((&smallest, &at_smallest)), Some((&largest, _))) =
            (sizes.histogram.first_key_value(), sizes.histogram.last_key_value())
        else {
            return SampleRisks {
                highest: 0.0,
                lowest: 0.0,
                average: 0.0,
                records_at_highest: 0.0,
                threshold,
                records_at_risk: 0.0,
                estimated_prosecutor: 0.0,
                estimated_journalist: 0.0,
                estimated_marketer: 0.0,
                sample_uniqueness: 0.0,
            };
        };
        let highest = 1.0 / smallest as f64;
        let average = 1.0 / (n / sizes.classes as f64);
        let at_risk: u64 =
            sizes.histogram.iter().filter(|&(&s, _)| 1.0 / s as f64 > threshold).map(|(s, c)| s * c).sum();
        SampleRisks {
            highest,
            lowest: 1.0 / largest as f64,
            average,
            records_at_highest: (smallest * at_smallest) as f64 / n,
            threshold,
            records_at_risk: at_risk as f64 / n,
            estimated_prosecutor: highest,
            estimated_journalist: highest,
            estimated_marketer: average,
            sample_uniqueness: sizes.of_size(1) as f64 / n,
        }
    }
}

/// One of ARX's 24 risk bands (low, high] with the share of records in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskBand {
    /// Lower bound (exclusive).
    pub low: f64,
    /// Upper bound (inclusive).
    pub high: f64,
    /// Share of records whose risk falls in the band.
    pub records: f64,
    /// Share of records whose risk is at most `high` (clamped to 1).
    pub cumulative: f64,
}

const BAND_HIGH: [f64; 24] = [
    1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.125, 0.143,
    0.167, 0.2, 0.25, 0.334, 0.5, 1.0,
];

/// Records per risk band (ARX's RiskModelSampleRiskDistribution): a class of
/// size s puts its records in the first band whose upper bound is ≥ 1/s.
pub fn risk_distribution(sizes: &ClassSizes) -> Vec<RiskBand> {
    let n = sizes.records as f64;
    let mut records = [0.0; 24];
    for (&s, &c) in &sizes.histogram {
        let risk = 1.0 / s as f64;
        let band = BAND_HIGH.partition_point(|&h| h < risk).min(23);
        records[band] += (c * s) as f64 / n;
    }
    let mut cumulative = 0.0;
    (0..24)
        .map(|i| {
            cumulative = f64::min(cumulative + records[i], 1.0);
            RiskBand {
                low: if i == 0 { 0.0 } else { BAND_HIGH[i - 1] },
                high: BAND_HIGH[i],
                records: records[i],
                cumulative,
            }
        })
        .collect()
}
