//! Class tables on demand: every table is rolled up from the smallest cached
//! table of a finer node, never rebuilt from rows.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::classes::ClassTable;
use crate::key::PackedKey;
use crate::lattice::NodeId;
use crate::plan::Plan;

/// At most this many class entries are kept across cached tables (besides the bottom).
const CACHE_CLASS_BUDGET: usize = 1 << 20;
const CACHE_ENTRIES: usize = 256;

struct Entry<K> {
    levels: Vec<u8>,
    table: Arc<ClassTable<K>>,
    last_used: u64,
}

/// A small cache of class tables keyed by node.
pub(crate) struct TableCache<K> {
    bottom: Arc<ClassTable<K>>,
    entries: Vec<(NodeId, Entry<K>)>,
    /// `lifts[dim][from][to - from]` maps label codes between levels.
    lifts: Vec<Vec<Vec<Vec<u32>>>>,
    /// Scratch hash map for roll-ups.
    index: FxHashMap<K, u32>,
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
        TableCache { bottom: Arc::new(bottom), entries: Vec::new(), lifts, index: FxHashMap::default(), clock: 0 }
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
        self.clock += 1;
        if let Some((_, e)) = self.entries.iter_mut().find(|(n, _)| *n == node) {
            e.last_used = self.clock;
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
            && !source.is_some_and(|i| self.entries[i].1.levels.iter().zip(&pre).all(|(a, h)| a >= h))
        {
            self.table(plan, plan.lattice.id(&pre));
            source = self.best_source(&target);
        }
        let (source_levels, source) = match source {
            Some(i) => (self.entries[i].1.levels.clone(), Arc::clone(&self.entries[i].1.table)),
            None => (vec![0; target.len()], Arc::clone(&self.bottom)),
        };
        let lifts: Vec<(usize, &[u32])> = source_levels
            .iter()
            .zip(&target)
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(d, (&a, &b))| (d, self.lifts[d][a as usize][(b - a) as usize].as_slice()))
            .collect();
        let table = Arc::new(source.roll_up(&plan.layout, &lifts, &mut self.index));
        self.insert(node, target, Arc::clone(&table));
        table
    }

    /// The cached entry with the fewest classes whose node is finer than `target`.
    fn best_source(&self, target: &[u8]) -> Option<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, (_, e))| e.levels.iter().zip(target).all(|(a, b)| a <= b))
            .min_by_key(|(_, (_, e))| e.table.len())
            .map(|(i, _)| i)
    }

    fn insert(&mut self, node: NodeId, levels: Vec<u8>, table: Arc<ClassTable<K>>) {
        if table.len() > CACHE_CLASS_BUDGET / 4 {
            return;
        }
        self.entries.push((node, Entry { levels, table, last_used: self.clock }));
        while self.entries.len() > CACHE_ENTRIES
            || self.entries.iter().map(|(_, e)| e.table.len()).sum::<usize>() > CACHE_CLASS_BUDGET
        {
            let oldest = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, e))| e.last_used)
                .map(|(i, _)| i)
                .expect("the cache is not empty while over budget");
            self.entries.swap_remove(oldest);
        }
    }
}
