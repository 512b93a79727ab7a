//! The report's figures: from the privacy layer's reports to [`BarChart`]s.
//!
//! Each function picks categories and series a data steward reads at a glance:
//! risk bands that hold records, class sizes in widening buckets, one bar per
//! attribute.

use anonlab_privacy::Report;
use anonlab_privacy::risk::{RiskBand, RiskReport};

use crate::charts::{AFTER, BEFORE, BarChart, NEUTRAL, Series};
use crate::escape::percent;

/// An axis tick as a percentage with no trailing zeros (0.2 → "20 %").
fn percent_tick(share: f64) -> String {
    format!("{} %", (share * 1e4).round() / 1e2)
}

/// Share of records per ARX risk band, input against release. Leading bands
/// empty in both are left out (a table of n records has no risk below 1/n),
/// so the chart starts where records are.
pub(crate) fn risk_distribution(before: &RiskReport, after: &RiskReport) -> BarChart {
    let bands = before.distribution.len().min(after.distribution.len());
    let first =
        (0..bands).find(|&i| before.distribution[i].records > 0.0 || after.distribution[i].records > 0.0).unwrap_or(0);
    let take = |r: &RiskReport| r.distribution[first..bands].iter().map(|b| b.records).collect();
    BarChart {
        title: "Records per re-identification risk band, input and release".into(),
        categories: before.distribution[first..bands].iter().map(band_label).collect(),
        series: vec![
            Series { name: "input".into(), color: BEFORE, values: take(before) },
            Series { name: "release".into(), color: AFTER, values: take(after) },
        ],
        axis: "share of records (risk = 1 / class size)".into(),
        format: percent,
        tick: percent_tick,
        max: None,
    }
}

/// `(10 %, 12.5 %]`
fn band_label(band: &RiskBand) -> String {
    format!("({}, {}]", short_percent(band.low), short_percent(band.high))
}

/// A band bound as a percentage without float noise (0.143 → "14.3 %").
fn short_percent(share: f64) -> String {
    let p = share * 100.0;
    let rounded = (p * 1e9).round() / 1e9;
    if rounded != 0.0 && rounded.abs() < 1e-3 { format!("{rounded:e} %") } else { format!("{rounded} %") }
}

/// Upper bounds of the class-size buckets after the single sizes 1 to 10:
/// 11–19, 20–49, 50–99, 100–199, ... (1, 2, 5 steps per decade).
fn bucket_bounds(largest: u64) -> Vec<(u64, u64)> {
    let mut bounds: Vec<(u64, u64)> = (1..=10).map(|s| (s, s)).collect();
    let mut low = 11;
    let mut decade = 10;
    while low <= largest {
        for step in [2, 5, 10] {
            let high = decade * step - 1;
            if high >= low {
                bounds.push((low, high));
                low = high + 1;
            }
        }
        decade *= 10;
    }
    bounds
}

/// Equivalence classes of the release per class size; empty buckets above the
/// largest and below the smallest class are left out.
pub(crate) fn class_sizes(after: &RiskReport) -> BarChart {
    let largest = after.class_sizes.keys().next_back().copied().unwrap_or(1);
    let buckets = bucket_bounds(largest);
    let counts: Vec<f64> =
        buckets.iter().map(|&(lo, hi)| after.class_sizes.range(lo..=hi).map(|(_, c)| *c as f64).sum()).collect();
    let first = counts.iter().position(|&c| c > 0.0).unwrap_or(0);
    let last = counts.iter().rposition(|&c| c > 0.0).unwrap_or(0).max(first);
    BarChart {
        title: "Equivalence classes of the release by size".into(),
        categories: buckets[first..=last]
            .iter()
            .map(|&(lo, hi)| if lo == hi { lo.to_string() } else { format!("{lo}–{hi}") })
            .collect(),
        series: vec![Series { name: "classes".into(), color: NEUTRAL, values: counts[first..=last].to_vec() }],
        axis: "number of equivalence classes".into(),
        format: |v| format!("{v:.0}"),
        // Class counts are whole: no tick between them.
        tick: |v| if v.fract() == 0.0 { format!("{v:.0}") } else { String::new() },
        max: None,
    }
}

/// Metrics whose per-attribute values are shares in [0, 1].
fn is_share(metric: &str) -> bool {
    matches!(metric, "loss" | "precision" | "ncp")
}

/// Per-attribute information loss, with each attribute's generalization height
/// (level / highest level) beside it when the metric is a share too. `None`
/// when the metric and the strategy give no per-attribute figure.
pub(crate) fn attribute_loss(report: &Report) -> Option<BarChart> {
    let losses: Vec<f64> = report.attributes.iter().map(|a| a.loss.unwrap_or(0.0)).collect();
    let has_loss = report.attributes.iter().any(|a| a.loss.is_some());
    let heights: Option<Vec<f64>> = report
        .attributes
        .iter()
        .map(|a| a.level.map(|l| if a.max_level == 0 { 0.0 } else { l as f64 / a.max_level as f64 }))
        .collect();
    let share = is_share(&report.metric);
    let mut series = Vec::new();
    if has_loss {
        series.push(Series { name: format!("information loss ({})", report.metric), color: BEFORE, values: losses });
    }
    if let Some(heights) = heights.filter(|_| share || !has_loss) {
        series.push(Series { name: "generalization (level / highest level)".into(), color: NEUTRAL, values: heights });
    }
    if series.is_empty() || report.attributes.is_empty() {
        return None;
    }
    let bounded = share || !has_loss;
    Some(BarChart {
        title: "Information loss per quasi-identifier".into(),
        categories: report.attributes.iter().map(|a| a.name.clone()).collect(),
        series,
        axis: if bounded { "share (0 = unchanged, 100 % = fully generalized)".into() } else { report.metric.clone() },
        format: if bounded { percent } else { |v| format!("{v:.4}") },
        tick: if bounded { percent_tick } else { |v| format!("{v}") },
        max: bounded.then_some(1.15),
    })
}

/// Distinction and separation of each single quasi-identifier in the input.
pub(crate) fn distinction(before: &RiskReport) -> Option<BarChart> {
    // Most identifying first.
    let mut singles: Vec<_> = before.attributes.iter().filter(|a| a.attributes.len() == 1).collect();
    singles.sort_by(|a, b| b.distinction.total_cmp(&a.distinction).then_with(|| b.separation.total_cmp(&a.separation)));
    if singles.is_empty() {
        return None;
    }
    Some(BarChart {
        title: "Distinction and separation of each quasi-identifier in the input".into(),
        categories: singles.iter().map(|a| a.attributes[0].clone()).collect(),
        series: vec![
            Series {
                name: "distinction".into(),
                color: BEFORE,
                values: singles.iter().map(|a| a.distinction).collect(),
            },
            Series {
                name: "separation".into(),
                color: NEUTRAL,
                values: singles.iter().map(|a| a.separation).collect(),
            },
        ],
        axis: "share (distinction: classes / records; separation: record pairs told apart)".into(),
        format: percent,
        tick: percent_tick,
        max: Some(1.15),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_size_once() {
        let b = bucket_bounds(30_000);
        assert_eq!(&b[..3], &[(1, 1), (2, 2), (3, 3)]);
        assert_eq!(b[10], (11, 19));
        assert_eq!(b[11], (20, 49));
        assert_eq!(b[12], (50, 99));
        for w in b.windows(2) {
            assert_eq!(w[0].1 + 1, w[1].0, "{w:?}");
        }
        assert!(b.last().unwrap().1 >= 30_000);
    }

    #[test]
    fn band_labels_have_no_float_noise() {
        assert_eq!(short_percent(0.143), "14.3 %");
        assert_eq!(short_percent(0.334), "33.4 %");
        assert_eq!(short_percent(1e-8), "1e-6 %");
        assert_eq!(short_percent(0.0), "0 %");
    }
}
