//! The distance attack (distance to closest record, DCR): a target's score is
//! minus its distance to the nearest release record, so a copy scores 0, the
//! highest possible.
//!
//! DCR is the check most synthetic-data vendors run, usually as "the median
//! DCR of members is not smaller than of non-members". As a scored attack it
//! says more: its ROC shows whether *some* members sit closer to the release
//! than any non-member does.

use super::targets::Chosen;
use crate::frame::{Field, Frame};
use crate::neighbors::Neighbors;

/// Scores of the member and the non-member targets.
pub(super) fn scores(
    release: &Frame,
    original: &Frame,
    control: &Frame,
    fields: &[Field],
    columns: &[usize],
    chosen: &Chosen,
) -> (Vec<f64>, Vec<f64>) {
    let index = Neighbors::build(release, fields, columns);
    let score = |frame: &Frame, rows: &[usize]| -> Vec<f64> {
        index
            .nearest_rows(frame, fields, columns, rows, 1)
            .iter()
            // 0 − d rather than −d: a copy scores +0, never −0.
            .map(|near| near.first().map_or(f64::NEG_INFINITY, |n| 0.0 - n.distance))
            .collect()
    };
    (score(original, &chosen.members), score(control, &chosen.non_members))
}
