//! Which records are attacked, and which control rows the density attack may
//! use as its picture of the population.
//!
//! The control table serves two roles in the density attack: its target rows
//! are the non-members, the rest is the reference sample the attacker
//! estimates the population density from. The two are split before anything
//! else and never overlap: a non-member target inside the reference would
//! raise the reference density at exactly that target, lower its score, and
//! make the attack look stronger than it is.

use rayon::prelude::*;
use serde_json::{Value, json};

use super::{MAX_OUTLIER_CANDIDATES, MIN_REFERENCE, MIN_TARGETS, Method, Settings, TargetChoice};
use crate::error::{Error, Result};
use crate::frame::{Field, Frame};
use crate::neighbors::{Neighbors, Points};
use crate::sample;

/// Isolation is the distance to this nearest other record: the 5th rather than
/// the 1st, so that a pair of twins far from everyone else still counts as
/// isolated (Meeus et al., "Achilles' Heels", 2023, use the same idea).
pub(super) const NEIGHBOUR_RANK: usize = 5;

/// The attacked records and the density attack's reference rows.
#[derive(Debug, Clone)]
pub(super) struct Chosen {
    /// Rows of the original table.
    pub members: Vec<usize>,
    /// Rows of the control table, as many as members.
    pub non_members: Vec<usize>,
    /// Rows of the control table, disjoint from `non_members`; empty for the
    /// distance attack, which needs no reference.
    pub reference: Vec<usize>,
    /// How the targets were found, for the result's details.
    pub details: Value,
    /// Reasons to read the result with care.
    pub warnings: Vec<String>,
}

/// Chooses targets over the schema positions `columns` as `settings` says.
pub(super) fn choose(
    original: &Frame,
    control: &Frame,
    fields: &[Field],
    columns: &[usize],
    settings: &Settings,
) -> Result<Chosen> {
    if original.rows() < MIN_TARGETS {
        return Err(Error::invalid(format!(
            "the original table has {} rows; membership inference needs at least {MIN_TARGETS} member targets",
            original.rows()
        )));
    }
    let (pool, reference) = split_control(control.rows(), settings)?;
    let mut warnings = Vec::new();
    let (members, non_members, details) = match settings.targets {
        TargetChoice::Random => {
            let k = settings.n_targets.min(original.rows()).min(pool.len());
            let members =
                sample::choose(&mut sample::stream(settings.seed, "membership member targets"), original.rows(), k);
            let non_members: Vec<usize> =
                sample::choose(&mut sample::stream(settings.seed, "membership non-member targets"), pool.len(), k)
                    .into_iter()
                    .map(|i| pool[i])
                    .collect();
            (members, non_members, json!({ "choice": "random" }))
        }
        TargetChoice::Outliers => {
            let c = original.rows().min(pool.len()).min(MAX_OUTLIER_CANDIDATES);
            let member_candidates =
                sample::choose(&mut sample::stream(settings.seed, "membership member candidates"), original.rows(), c);
            let non_member_candidates: Vec<usize> =
                sample::choose(&mut sample::stream(settings.seed, "membership non-member candidates"), pool.len(), c)
                    .into_iter()
                    .map(|i| pool[i])
                    .collect();
            let own_original = Neighbors::build(original, fields, columns);
            let own_control = Neighbors::build(control, fields, columns);
            let member_isolation =
                isolation(original, &member_candidates, &own_original, &own_control, fields, columns);
            let non_member_isolation =
                isolation(control, &non_member_candidates, &own_control, &own_original, fields, columns);
            let k = settings.n_targets.min(c);
            let (members, member_cut) = most_isolated(&member_candidates, &member_isolation, k);
            let (non_members, non_member_cut) = most_isolated(&non_member_candidates, &non_member_isolation, k);
            if 2 * k > c {
                warnings.push(format!(
                    "the outlier targets are {k} of only {c} candidates per side, so they are hardly more \
                     isolated than random ones; ask for fewer targets or supply larger tables"
                ));
            }
            let details = json!({
                "choice": "outliers",
                "isolation": format!("distance to the {NEIGHBOUR_RANK}th nearest other record of original ∪ control"),
                "candidates_per_side": c,
                "least_isolation_of_member_targets": member_cut,
                "least_isolation_of_non_member_targets": non_member_cut,
            });
            (members, non_members, details)
        }
    };
    if members.len() < MIN_TARGETS {
        return Err(Error::internal(format!("only {} targets chosen", members.len())));
    }
    if members.len() < settings.n_targets {
        warnings.push(format!(
            "{} targets per side instead of the {} asked for: a table is too small for more",
            members.len(),
            settings.n_targets
        ));
    }
    Ok(Chosen { members, non_members, reference, details, warnings })
}

/// Splits the control rows into the pool non-member targets come from and the
/// density attack's reference sample, at random (so the reference is a fair
/// sample of the population). The distance attack needs no reference: its
/// pool is every control row.
fn split_control(rows: usize, settings: &Settings) -> Result<(Vec<usize>, Vec<usize>)> {
    if settings.method == Method::Distance {
        if rows < MIN_TARGETS {
            return Err(Error::invalid(format!(
                "the control table has {rows} rows; membership inference needs at least {MIN_TARGETS} non-member targets"
            )));
        }
        return Ok(((0..rows).collect(), Vec::new()));
    }
    let half = rows.div_ceil(2);
    // Random targets need only their number from the pool, so the reference
    // keeps the rest; outliers need a candidate pool as large as can be spared.
    let pool_size = match settings.targets {
        TargetChoice::Random => settings.n_targets.min(half),
        TargetChoice::Outliers => half,
    };
    if pool_size < MIN_TARGETS || rows - pool_size < MIN_REFERENCE {
        return Err(Error::invalid(format!(
            "the control table has {rows} rows; the density attack splits it into at least {MIN_TARGETS} \
             non-member targets and a disjoint reference sample of at least {MIN_REFERENCE} rows, so it needs \
             at least {} rows",
            MIN_TARGETS + MIN_REFERENCE
        )));
    }
    let mut order = sample::choose(&mut sample::stream(settings.seed, "membership reference split"), rows, rows);
    let reference = order.split_off(pool_size);
    Ok((order, reference))
}

/// Each candidate's distance to its [`NEIGHBOUR_RANK`]th nearest record in
/// the union of `own` (the candidate's table, which holds the candidate
/// itself) and `other`, in parallel.
///
/// The union is never built: its k nearest are among the k + 1 nearest in
/// `own` (minus the candidate) and the k nearest in `other`.
fn isolation(
    frame: &Frame,
    candidates: &[usize],
    own: &Neighbors,
    other: &Neighbors,
    fields: &[Field],
    columns: &[usize],
) -> Vec<f64> {
    let points = Points::new(&frame.select(candidates), fields, columns);
    candidates
        .par_iter()
        .enumerate()
        .map(|(i, &row)| {
            let query = points.point(i);
            let mut near = own.nearest(query, NEIGHBOUR_RANK + 1);
            match near.iter().position(|n| n.row == row) {
                Some(at) => {
                    near.remove(at);
                }
                // The candidate lost a tie to identical rows with lower
                // indices: every listed row is at distance 0, as it is.
                None => {
                    near.pop();
                }
            }
            let mut distances: Vec<f64> = near.iter().map(|n| n.distance).collect();
            distances.extend(other.nearest(query, NEIGHBOUR_RANK).iter().map(|n| n.distance));
            distances.sort_by(f64::total_cmp);
            distances.get(NEIGHBOUR_RANK - 1).or(distances.last()).copied().unwrap_or(0.0)
        })
        .collect()
}

/// The `k` candidates with the largest isolation and the smallest isolation
/// among them. Candidates come in random order and the sort is stable, so
/// ties are broken at random (seeded), not by row order.
fn most_isolated(candidates: &[usize], isolation: &[f64], k: usize) -> (Vec<usize>, f64) {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| isolation[b].total_cmp(&isolation[a]));
    order.truncate(k);
    let cut = order.last().map_or(0.0, |&i| isolation[i]);
    (order.into_iter().map(|i| candidates[i]).collect(), cut)
}
