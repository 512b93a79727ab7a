//! Searching the generalization lattice for the transformation with the least
//! information loss that satisfies every privacy model.
//!
//! [`optimal`] finds the global optimum (ARX's semantics: strictly lower loss
//! wins, then the lower total level). [`heuristic`] searches best-first within a
//! step or time budget for lattices too large to search optimally.

mod cache;
mod heuristic;
mod optimal;

use serde::{Deserialize, Serialize};

use crate::check::Checked;
use crate::classes::ClassTable;
use crate::error::Result;
use crate::key::PackedKey;
use crate::lattice::NodeId;
use crate::metrics::Loss;
use crate::plan::{Plan, Strategy};

pub(crate) use cache::TableCache;

/// Lattices above this size are never searched optimally (memory: ~17 bytes per node).
pub const MAX_OPTIMAL_LATTICE: u64 = 1 << 24;

/// How to choose between optimal and heuristic search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SearchMode {
    /// Optimal up to `heuristic_threshold` transformations, heuristic above.
    #[default]
    Auto,
    /// Always optimal.
    Optimal,
    /// Always heuristic.
    Heuristic,
    /// Mondrian local recoding instead of one global transformation.
    Mondrian,
    /// MDAV microaggregation of numeric quasi-identifiers (k-anonymity only).
    Microaggregation,
    /// ARX-style iterative local recoding: the lattice search, then again on the
    /// records it suppressed, until none is left that can be placed.
    Iterative,
}

/// Search settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchOptions {
    /// Optimal, heuristic or automatic.
    pub mode: SearchMode,
    /// Lattice size above which `auto` switches to the heuristic.
    pub heuristic_threshold: u64,
    /// Heuristic: the most transformations to check.
    pub step_limit: Option<u64>,
    /// Heuristic: the longest time to search, in milliseconds.
    pub time_limit_ms: Option<u64>,
    /// Iterative local recoding: each step must place at least 1/iterations of
    /// all records (ARX's "number of iterations"), so at most this many steps run.
    pub iterations: u32,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            mode: SearchMode::Auto,
            heuristic_threshold: 1_000_000,
            step_limit: None,
            time_limit_ms: Some(30_000),
            iterations: 100,
        }
    }
}

/// Progress of a running search, for progress bars.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Transformations resolved so far (checked or predicted); records placed
    /// so far in iterative local recoding.
    pub done: u64,
    /// Transformations in the lattice; all records in iterative local recoding.
    pub total: u64,
}

/// What a search found.
#[derive(Debug, Clone)]
pub struct Found {
    /// The chosen transformation.
    pub node: NodeId,
    /// Its level vector (quasi-identifiers in input column order).
    pub levels: Vec<u8>,
    /// Its information loss.
    pub loss: Loss,
    /// Transformations whose classes were built and checked.
    pub checked: u64,
    /// True when the result is proven optimal.
    pub optimal: bool,
}

/// Shared machinery of both strategies: class tables on demand and counting.
pub(crate) struct Context<'p, 't, K: PackedKey> {
    pub plan: &'p Plan<'t>,
    pub cache: TableCache<K>,
    pub checked: u64,
    flags: Vec<bool>,
    progress: &'p (dyn Fn(Progress) + Sync),
}

impl<'p, 't, K: PackedKey> Context<'p, 't, K> {
    pub fn new(plan: &'p Plan<'t>, progress: &'p (dyn Fn(Progress) + Sync)) -> Self {
        Context { plan, cache: TableCache::new(plan), checked: 0, flags: Vec::new(), progress }
    }

    /// Builds (or reuses) the node's class table and checks it. A large
    /// table that fails the minimal class size is given up as soon as that is
    /// certain: the node is neither anonymous nor k-anonymous, and nothing
    /// else of its check is used.
    pub fn check(&mut self, node: NodeId) -> Checked {
        self.checked += 1;
        let Some(table) = self.cache.table_unless(self.plan, node, self.plan.checker.size_floor()) else {
            return Checked { anonymous: false, k_anonymous: false, summary: Default::default() };
        };
        let levels = self.plan.checker.needs_levels().then(|| self.plan.lattice.levels(node));
        self.plan.checker.check_at(&table, &self.plan.layout, levels.as_deref(), &mut self.flags)
    }

    /// The node's class table and its suppressed-class flags.
    pub fn classes(&mut self, node: NodeId) -> (std::sync::Arc<ClassTable<K>>, Vec<bool>, Checked) {
        let table = self.cache.table(self.plan, node);
        let mut flags = Vec::new();
        let levels = self.plan.checker.needs_levels().then(|| self.plan.lattice.levels(node));
        let checked = self.plan.checker.check_at(&table, &self.plan.layout, levels.as_deref(), &mut flags);
        (table, flags, checked)
    }

    pub fn report(&self, done: u64) {
        (self.progress)(Progress { done, total: self.plan.lattice.size() });
    }
}

/// Runs the plan's strategy.
pub(crate) fn run<K: PackedKey>(ctx: &mut Context<'_, '_, K>) -> Result<Found> {
    match ctx.plan.strategy {
        Strategy::Optimal => optimal::search(ctx),
        Strategy::Heuristic => heuristic::search(ctx),
        Strategy::Mondrian | Strategy::Microaggregation | Strategy::Iterative => {
            Err(crate::Error::internal("local recoding does not search the lattice"))
        }
    }
}

/// ARX's rule for replacing the best transformation: strictly lower loss, or
/// equal loss at a strictly lower total level.
pub(crate) fn improves(value: f64, level: u32, best: Option<(f64, u32)>) -> bool {
    match best {
        None => true,
        Some((v, l)) => value < v || (value == v && level < l),
    }
}

#[cfg(test)]
mod exhaustive_test;
