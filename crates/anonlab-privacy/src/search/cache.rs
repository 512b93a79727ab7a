//! Class tables on demand: every table is rolled up from a small cached table
//! of a finer node, never rebuilt from rows.
//!
//! Checks run one after another, by measurement: checking disjoint search
//! paths on two threads (with per-thread caches, then with one shared cache)
//! was no faster than one thread on adult, because roll-ups are memory-bound
//! and the threads lose each other's cached tables. Grouping a large table
//! (rows, or a roll-up of 2^18 classes or more) uses every thread.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::classes::{ClassTable, Grouping, PARTITIONED_GROUPING, RollUpScratch, SizeFloor};
use crate::key::PackedKey;
use crate::lattice::NodeId;
use crate::plan::Plan;

/// At most this much weight (classes plus histogram entries, see
/// `ClassTable::weight`) is kept across cached tables (besides the bottom),
/// or `BUDGET_PER_BOTTOM_WEIGHT` times the bottom table's weight if that is
/// more: with a fixed budget, a table of a million rows has tables too heavy to
/// cache (over a quarter of the budget), and every check near the bottom rolls
/// up from the hubs again (1 M stays, k=5: 18.5 s fixed, 4.6 s scaled).
const CACHE_CLASS_BUDGET: usize = 1 << 21;
/// See [`CACHE_CLASS_BUDGET`].
const BUDGET_PER_BOTTOM_WEIGHT: usize = 4;
const CACHE_ENTRIES: usize = 1024;
/// How far below a target `near_source` looks for a cached table.
const SOURCE_DEPTH: usize = 2;

struct Entry<K> {
    node: NodeId,
    levels: Vec<u8>,
    table: Arc<ClassTable<K>>,
    last_used: u64,
}

/// A small cache of class tables keyed by node.
pub(crate) struct TableCache<K> {
    /// Weight the cached tables may hold.
    budget: usize,
    bottom: Arc<ClassTable<K>>,
    entries: Vec<Entry<K>>,
    /// Position in `entries` of each cached node.
    position: FxHashMap<NodeId, usize>,
    /// Cached nodes by last use, oldest first.
    recency: BTreeMap<u64, NodeId>,
    /// Weight (classes plus histogram entries) held by `entries`.
    classes: usize,
    /// `lifts[dim][from][to - from]` maps label codes between levels.
    lifts: Vec<Vec<Vec<Vec<u32>>>>,
    /// Reusable roll-up memory.
    scratch: RollUpScratch<K>,
    /// Whether classes must stay in order of first row (see `Grouping`).
    first_row_order: bool,
    /// Prerequisites found too big to pay for building, and small enough (see `worth_building`).
    bulky: Vec<Vec<u8>>,
    compact: Vec<Vec<u8>>,
    clock: u64,
}

impl<K: PackedKey> TableCache<K> {
    /// Groups the rows once into the bottom node's classes.
    pub fn new(plan: &Plan<'_>) -> Self {
        let table = plan.table;
        let qi_codes: Vec<&[u32]> = plan.qis.iter().map(|q| table.column(q.column).codes()).collect();
        let mut sensitive: Vec<(&[u32], usize)> =
            plan.sensitive_columns.iter().map(|&c| (table.column(c).codes(), table.column(c).distinct())).collect();
        // The research subset's hidden 0/1 attribute comes after the sensitive ones.
        sensitive.extend(plan.checker.subset().map(|s| (s.codes.as_slice(), 2)));
        let needs_histograms = plan.checker.needs_histograms();
        let first_row_order = plan.checker.needs_first_row_order();
        let sensitive = if needs_histograms { sensitive.as_slice() } else { &[] };
        let bottom = ClassTable::from_rows(&plan.layout, &qi_codes, sensitive, first_row_order);
        let lifts = plan
            .qis
            .iter()
            .map(|q| {
                let g = &q.generalization;
                (0..=g.max_level()).map(|from| (from..=g.max_level()).map(|to| g.lift(from, to)).collect()).collect()
            })
            .collect();
        TableCache {
            budget: CACHE_CLASS_BUDGET.max(BUDGET_PER_BOTTOM_WEIGHT * bottom.weight()),
            bottom: Arc::new(bottom),
            entries: Vec::new(),
            position: FxHashMap::default(),
            recency: BTreeMap::new(),
            classes: 0,
            lifts,
            scratch: RollUpScratch::default(),
            first_row_order,
            bulky: Vec::new(),
            compact: Vec::new(),
            clock: 0,
        }
    }

    /// Number of classes of the original data.
    pub fn bottom_classes(&self) -> usize {
        self.bottom.len()
    }

    /// The class table of `node`.
    ///
    /// Rolled up from the smallest cached table near the node (see
    /// [`TableCache::near_source`]) or, failing that, from the node's *hub*:
    /// the node with level 1 wherever the target is generalized and 0
    /// elsewhere, built first if needed. Hubs are far smaller than the bottom
    /// and shared by every target with the same pattern of generalized
    /// attributes, so most roll-ups start small (on adult this halves the work).
    pub fn table(&mut self, plan: &Plan<'_>, node: NodeId) -> Arc<ClassTable<K>> {
        self.table_unless(plan, node, None).expect("a table without a floor is always built")
    }

    /// [`TableCache::table`], or `None` when the node's table would fail
    /// `floor`, which large roll-ups find out before grouping every class
    /// (such a table is neither finished nor cached).
    pub fn table_unless(
        &mut self,
        plan: &Plan<'_>,
        node: NodeId,
        floor: Option<SizeFloor>,
    ) -> Option<Arc<ClassTable<K>>> {
        if let Some(&i) = self.position.get(&node) {
            let now = self.tick();
            let e = &mut self.entries[i];
            self.recency.remove(&e.last_used);
            e.last_used = now;
            self.recency.insert(now, node);
            return Some(Arc::clone(&e.table));
        }
        if node == plan.lattice.bottom() {
            return Some(Arc::clone(&self.bottom));
        }
        let target = plan.lattice.levels(node);
        let hub: Vec<u8> = target.iter().map(|&l| l.min(1)).collect();
        let hub = (hub != target).then(|| plan.lattice.id(&hub));
        let mut source = self.near_source(&plan.lattice, node, hub);
        // A hub is rolled up from its predecessor hub (one fewer generalized
        // attribute), so no hub starts from the bottom unless it generalizes a
        // single attribute; any other target starts from its hub at worst.
        let prerequisite = match hub {
            Some(h) => Some(h),
            None => target.iter().rposition(|&l| l == 1).map(|d| plan.lattice.id(&target) - plan.lattice.stride(d)),
        };
        if let Some(pre) = prerequisite.filter(|&p| p != plan.lattice.bottom())
            && source.is_none()
            && self.worth_building(plan, pre)
        {
            self.table(plan, pre);
            source = self.near_source(&plan.lattice, node, hub);
        }
        let (source_levels, source) = match source {
            Some(i) => (self.entries[i].levels.clone(), Arc::clone(&self.entries[i].table)),
            None => (vec![0; target.len()], Arc::clone(&self.bottom)),
        };
        let lifts: Vec<(usize, &[u32])> = source_levels
            .iter()
            .zip(&target)
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(d, (&a, &b))| (d, self.lifts[d][a as usize][(b - a) as usize].as_slice()))
            .collect();
        let grouping = Grouping { first_row_order: self.first_row_order, floor };
        let table = Arc::new(source.roll_up_with(&plan.layout, &lifts, grouping, &mut self.scratch)?);
        self.insert(node, target, Arc::clone(&table));
        Some(table)
    }

    /// Whether prerequisite `node` (levels 0 and 1 only) is small enough to
    /// pay for building: on tables of millions of mostly unique rows, such
    /// nodes hold nearly as many classes as the bottom (9.0–10.0 M of 10 M
    /// stays), so rolling targets up from them saves nothing, and building and
    /// caching them cost half the search. A node finer than a bulky one is
    /// bulky, one coarser than a compact one compact; the rest are estimated.
    fn worth_building(&mut self, plan: &Plan<'_>, node: NodeId) -> bool {
        if self.bottom.len() < PARTITIONED_GROUPING {
            return true;
        }
        let levels = plan.lattice.levels(node);
        let finer = |a: &[u8], b: &[u8]| a.iter().zip(b).all(|(x, y)| x <= y);
        if self.bulky.iter().any(|b| finer(&levels, b)) {
            return false;
        }
        if self.compact.iter().any(|c| finer(c, &levels)) {
            return true;
        }
        let lifts: Vec<(usize, &[u32])> = levels
            .iter()
            .enumerate()
            .filter(|&(_, &l)| l > 0)
            .map(|(d, &l)| (d, self.lifts[d][0][l as usize].as_slice()))
            .collect();
        let worth = self.bottom.estimate_roll_up(&plan.layout, &lifts) <= self.bottom.len() / 2;
        if worth {
            self.compact.push(levels)
        } else {
            self.bulky.push(levels)
        }
        worth
    }

    /// A fresh timestamp: every touch and insert gets its own, so recency keys never collide.
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The cached table with the fewest classes among the nodes near `target`:
    /// its specializations up to `SOURCE_DEPTH` levels down and its hub, each
    /// found by lookup. Scanning the whole cache for the best finer table was
    /// measured slower: the scan cost more than the better source saved.
    fn near_source(&self, lattice: &crate::lattice::Lattice, target: NodeId, hub: Option<NodeId>) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut consider = |n: NodeId| {
            if let Some(&i) = self.position.get(&n)
                && best.is_none_or(|b| self.entries[i].table.len() < self.entries[b].table.len())
            {
                best = Some(i);
            }
        };
        let mut frontier = vec![target];
        for _ in 0..SOURCE_DEPTH {
            let mut next: Vec<NodeId> = Vec::new();
            for &n in &frontier {
                lattice.for_each_predecessor(n, |p| {
                    if !next.contains(&p) {
                        next.push(p);
                    }
                });
            }
            next.iter().for_each(|&n| consider(n));
            frontier = next;
        }
        if let Some(h) = hub {
            consider(h);
        }
        best
    }

    fn insert(&mut self, node: NodeId, levels: Vec<u8>, table: Arc<ClassTable<K>>) {
        if table.weight() > self.budget / 4 {
            return;
        }
        let now = self.tick();
        self.classes += table.weight();
        self.position.insert(node, self.entries.len());
        self.recency.insert(now, node);
        self.entries.push(Entry { node, levels, table, last_used: now });
        while self.entries.len() > CACHE_ENTRIES || self.classes > self.budget {
            let (_, oldest) = self.recency.pop_first().expect("the cache is not empty while over budget");
            let i = self.position.remove(&oldest).expect("every cached node has a position");
            let evicted = self.entries.swap_remove(i);
            self.classes -= evicted.table.weight();
            if let Some(moved) = self.entries.get(i) {
                self.position.insert(moved.node, i);
            }
        }
    }
}
