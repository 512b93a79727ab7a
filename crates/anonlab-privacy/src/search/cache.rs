//! Class tables on demand: every table is rolled up from the smallest cached
//! table of a finer node, never rebuilt from rows.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::classes::{ClassTable, RollUpScratch};
use crate::key::PackedKey;
use crate::lattice::NodeId;
use crate::plan::Plan;

/// At most this many class entries are kept across cached tables (besides the bottom).
const CACHE_CLASS_BUDGET: usize = 1 << 21;
const CACHE_ENTRIES: usize = 1024;

struct Entry<K> {
    node: NodeId,
    levels: Vec<u8>,
    table: Arc<ClassTable<K>>,
    last_used: u64,
}

/// A small cache of class tables keyed by node.
pub(crate) struct TableCache<K> {
    bottom: Arc<ClassTable<K>>,
    entries: Vec<Entry<K>>,
    /// Position in `entries` of each cached node.
    position: FxHashMap<NodeId, usize>,
    /// Cached nodes by last use, oldest first.
    recency: BTreeMap<u64, NodeId>,
    /// Classes held by `entries`.
    classes: usize,
    /// `lifts[dim][from][to - from]` maps label codes between levels.
    lifts: Vec<Vec<Vec<Vec<u32>>>>,
    /// Reusable roll-up memory.
    scratch: RollUpScratch<K>,
    clock: u64,
}

impl<K: PackedKey> TableCache<K> {
    /// Groups the rows once into the bottom node's classes.
    pub fn new(plan: &Plan<'_>) -> Self {
        let table = plan.table;
        let qi_codes: Vec<&[u32]> = plan.qis.iter().map(|q| table.column(q.column).codes()).collect();
        let sensitive: Vec<(&[u32], usize)> =
            plan.sensitive_columns.iter().map(|&c| (table.column(c).codes(), table.column(c).distinct())).collect();
        let needs_histograms = plan.checker.criteria().iter().any(|c| c.sensitive().is_some());
        let bottom = ClassTable::from_rows(&plan.layout, &qi_codes, if needs_histograms { &sensitive } else { &[] });
        let lifts = plan
            .qis
            .iter()
            .map(|q| {
                let g = &q.generalization;
                (0..=g.max_level()).map(|from| (from..=g.max_level()).map(|to| g.lift(from, to)).collect()).collect()
            })
            .collect();
        TableCache {
            bottom: Arc::new(bottom),
            entries: Vec::new(),
            position: FxHashMap::default(),
            recency: BTreeMap::new(),
            classes: 0,
            lifts,
            scratch: RollUpScratch::default(),
            clock: 0,
        }
    }

    /// Number of classes of the original data.
    pub fn bottom_classes(&self) -> usize {
        self.bottom.len()
    }

    /// The class table of `node`.
    ///
    /// Rolled up from the cached finer table with the fewest classes. Unless a
    /// cached table at least as coarse exists, the node's *hub* is built first:
    /// the node with level 1 wherever the target is generalized and 0
    /// elsewhere. Hubs are far smaller than the bottom and shared by every
    /// target with the same pattern of generalized attributes, so most roll-ups
    /// start small (on adult this halves the work).
    pub fn table(&mut self, plan: &Plan<'_>, node: NodeId) -> Arc<ClassTable<K>> {
        if let Some(&i) = self.position.get(&node) {
            let now = self.tick();
            let e = &mut self.entries[i];
            self.recency.remove(&e.last_used);
            e.last_used = now;
            self.recency.insert(now, node);
            return Arc::clone(&e.table);
        }
        if node == plan.lattice.bottom() {
            return Arc::clone(&self.bottom);
        }
        let target = plan.lattice.levels(node);
        let mut source = self.best_source(&target);
        let is_hub = target.iter().all(|&l| l <= 1);
        // A hub is rolled up from its predecessor hub (one fewer generalized
        // attribute), built first if needed, so no hub starts from the bottom
        // unless it generalizes a single attribute.
        let prerequisite = if is_hub {
            target.iter().rposition(|&l| l == 1).map(|d| {
                let mut p = target.clone();
                p[d] = 0;
                p
            })
        } else {
            Some(target.iter().map(|&l| l.min(1)).collect())
        };
        if let Some(pre) = prerequisite.filter(|p| p.iter().any(|&l| l > 0))
            && !source.is_some_and(|i| self.entries[i].levels.iter().zip(&pre).all(|(a, h)| a >= h))
        {
            self.table(plan, plan.lattice.id(&pre));
            source = self.best_source(&target);
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
        let table = Arc::new(source.roll_up(&plan.layout, &lifts, &mut self.scratch));
        self.insert(node, target, Arc::clone(&table));
        table
    }

    /// A fresh timestamp: every touch and insert gets its own, so recency keys never collide.
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The cached entry with the fewest classes whose node is finer than `target`.
    fn best_source(&self, target: &[u8]) -> Option<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.levels.iter().zip(target).all(|(a, b)| a <= b))
            .min_by_key(|(_, e)| e.table.len())
            .map(|(i, _)| i)
    }

    fn insert(&mut self, node: NodeId, levels: Vec<u8>, table: Arc<ClassTable<K>>) {
        if table.len() > CACHE_CLASS_BUDGET / 4 {
            return;
        }
        let now = self.tick();
        self.classes += table.len();
        self.position.insert(node, self.entries.len());
        self.recency.insert(now, node);
        self.entries.push(Entry { node, levels, table, last_used: now });
        while self.entries.len() > CACHE_ENTRIES || self.classes > CACHE_CLASS_BUDGET {
            let (_, oldest) = self.recency.pop_first().expect("the cache is not empty while over budget");
            let i = self.position.remove(&oldest).expect("every cached node has a position");
            let evicted = self.entries.swap_remove(i);
            self.classes -= evicted.table.len();
            if let Some(moved) = self.entries.get(i) {
                self.position.insert(moved.node, i);
            }
        }
    }
}
