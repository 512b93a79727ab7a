//! Heuristic search for lattices too large to search optimally: best-first by
//! the metric's bound from the bottom, within a step or time budget, keeping
//! the best anonymous transformation found. The top node is checked first: for
//! most models a solution exists only if the top is one. Where that does not
//! hold (δ-presence, population uniqueness), a failing top does not end the search.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use rustc_hash::FxHashSet;

use crate::error::{Error, Result};
use crate::key::PackedKey;
use crate::lattice::NodeId;
use crate::metrics::Loss;

use super::{Context, Found, improves};

/// Orders f64 bounds in a heap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ordered(f64);
impl Eq for Ordered {}
impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

pub(super) fn search<K: PackedKey>(ctx: &mut Context<'_, '_, K>) -> Result<Found> {
    let plan = ctx.plan;
    let lattice = &plan.lattice;
    let metric = &plan.metric;
    let metric_monotonic = metric.is_monotonic(plan.suppression_limit > 0.0);
    let deadline = plan.options.time_limit_ms.map(|ms| Instant::now() + Duration::from_millis(ms));
    let step_limit = plan.options.step_limit.unwrap_or(u64::MAX);

    let top = lattice.top();
    let top_levels = lattice.levels(top);
    let checked = ctx.check(top);
    let no_solution = || {
        Error::no_solution(format!(
            "no transformation found that satisfies {} within {} suppressed records",
            plan.models.iter().map(|m| m.describe()).collect::<Vec<_>>().join(" + "),
            plan.checker.max_outliers()
        ))
    };
    if !checked.anonymous && plan.checker.top_is_decisive() {
        return Err(no_solution());
    }
    let mut best: Option<(NodeId, Loss, u32)> =
        checked.anonymous.then(|| (top, metric.value(&top_levels, &checked.summary), lattice.level_sum(top)));

    let key = |n: NodeId| -> (Reverse<Ordered>, Reverse<u32>, Reverse<NodeId>) {
        let levels = lattice.levels(n);
        (Reverse(Ordered(metric.bound(&levels).unwrap_or(0.0))), Reverse(lattice.level_sum(n)), Reverse(n))
    };
    let mut queue = BinaryHeap::new();
    let mut seen: FxHashSet<NodeId> = FxHashSet::default();
    queue.push(key(lattice.bottom()));
    seen.insert(lattice.bottom());
    let mut exhausted = true;
    while let Some((Reverse(Ordered(bound)), Reverse(level), Reverse(node))) = queue.pop() {
        if ctx.checked >= step_limit || deadline.is_some_and(|d| Instant::now() >= d) {
            exhausted = false;
            break;
        }
        if let Some(best) = &best
            && (bound > best.1.value || (bound == best.1.value && level >= best.2))
        {
            continue;
        }
        let levels = lattice.levels(node);
        let checked = ctx.check(node);
        ctx.report(ctx.checked);
        let anonymous = checked.anonymous;
        if anonymous {
            let value = metric.value(&levels, &checked.summary);
            if improves(value.value, level, best.as_ref().map(|b| (b.1.value, b.2))) {
                best = Some((node, value, level));
            }
            if metric_monotonic {
                continue;
            }
        }
        lattice.for_each_successor(node, |s| {
            if seen.insert(s) {
                queue.push(key(s));
            }
        });
    }
    let best = best.ok_or_else(no_solution)?;
    Ok(Found { node: best.0, levels: lattice.levels(best.0), loss: best.1, checked: ctx.checked, optimal: exhausted })
}
