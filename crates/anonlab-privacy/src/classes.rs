//! Equivalence-class tables: counts (and sensitive-value histograms) per
//! generalized record, built once from rows and then rolled up.
//!
//! The bottom node's table is built from the rows; every other node's table is
//! rolled up from the table of a finer node by rewriting key fields and
//! merging classes, so rows are scanned exactly once per search.

mod dense;
mod partitioned;

pub use partitioned::SizeFloor;

use crate::key::{KeyLayout, PackedKey};
use dense::Dense;
use partitioned::{PartitionScratch, Tally};

/// Per-class value counts of one sensitive attribute, in compressed rows:
/// class `c` holds `codes[offsets[c]..offsets[c + 1]]` with matching `counts`.
#[derive(Debug, Clone, Default)]
pub struct Histograms {
    domain: usize,
    offsets: Vec<usize>,
    codes: Vec<u32>,
    counts: Vec<u64>,
}

/// One class's histogram of a sensitive attribute.
#[derive(Debug, Clone, Copy)]
pub struct Histogram<'a> {
    /// Sensitive value codes present in the class.
    pub codes: &'a [u32],
    /// How many records of the class hold each of `codes`.
    pub counts: &'a [u64],
}

impl Histograms {
    /// The histogram of class `c`.
    #[inline]
    pub fn class(&self, c: usize) -> Histogram<'_> {
        let range = self.offsets[c]..self.offsets[c + 1];
        Histogram { codes: &self.codes[range.clone()], counts: &self.counts[range] }
    }

    /// Builds histograms for `classes` groups: `members(c)` lists the (code, count)
    /// pairs that fall into group `c`, possibly repeating codes, which are merged.
    fn build<'a, I>(classes: usize, domain: usize, mut members: impl FnMut(usize) -> I) -> Self
    where
        I: Iterator<Item = (u32, u64)> + 'a,
    {
        let mut scratch = vec![0u64; domain];
        let mut touched: Vec<u32> = Vec::new();
        let mut out =
            Histograms { domain, offsets: Vec::with_capacity(classes + 1), codes: Vec::new(), counts: Vec::new() };
        out.offsets.push(0);
        for c in 0..classes {
            for (code, n) in members(c) {
                if scratch[code as usize] == 0 {
                    touched.push(code);
                }
                scratch[code as usize] += n;
            }
            touched.sort_unstable();
            for &code in &touched {
                out.codes.push(code);
                out.counts.push(std::mem::take(&mut scratch[code as usize]));
            }
            touched.clear();
            out.offsets.push(out.codes.len());
        }
        out
    }
}

/// The equivalence classes of one lattice node.
#[derive(Debug, Clone)]
pub struct ClassTable<K> {
    keys: Vec<K>,
    counts: Vec<u64>,
    histograms: Vec<Histograms>,
    /// Records in all classes.
    records: u64,
}

/// Memory reused across roll-ups: the hash map and the working vectors.
/// A roll-up fills the working vectors (reserved once at the source's size, so
/// they never grow) and copies the result out at its exact size; without this,
/// allocating and page-faulting in fresh buffers took a quarter of the run time.
#[derive(Debug)]
pub struct RollUpScratch<K> {
    tally: Tally<K>,
    partitions: PartitionScratch<K>,
}

impl<K> Default for RollUpScratch<K> {
    fn default() -> Self {
        RollUpScratch { tally: Tally::default(), partitions: PartitionScratch::default() }
    }
}

/// How a table is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grouping {
    /// Classes in order of their first row, as ARX orders them (sample-based
    /// models break ties by it); otherwise in any order fixed by the data,
    /// which spares tables of millions of classes a reordering pass.
    pub first_row_order: bool,
    /// Give up as soon as the table certainly fails this floor.
    pub floor: Option<SizeFloor>,
}

impl Grouping {
    /// Every class, in order of first row.
    pub const COMPLETE: Grouping = Grouping { first_row_order: true, floor: None };
}

/// Tables with at least this many rows (or classes) and no histograms are
/// grouped through hash partitions (see `partitioned`).
pub const PARTITIONED_GROUPING: usize = partitioned::MIN_KEYS;
/// Partitions carry class sizes in 32 bits, so larger tables are grouped by one hash table.
const PARTITIONED_RECORDS: u64 = u32::MAX as u64;

impl<K: PackedKey> ClassTable<K> {
    /// Groups rows: `qi_codes[i][row]` is quasi-identifier `i`'s code,
    /// `sensitive[j]` is sensitive attribute `j`'s (codes, domain size).
    /// Classes come in order of first row unless `first_row_order` is false.
    pub fn from_rows(
        layout: &KeyLayout,
        qi_codes: &[&[u32]],
        sensitive: &[(&[u32], usize)],
        first_row_order: bool,
    ) -> Self {
        let rows = qi_codes.first().map_or(0, |c| c.len());
        let key_of = |r: usize| layout.pack::<K>(qi_codes.iter().map(|c| c[r]));
        let records = rows as u64;
        if sensitive.is_empty() && rows >= PARTITIONED_GROUPING && records <= PARTITIONED_RECORDS {
            let (keys, counts) =
                partitioned::group(rows, key_of, |_| 1, None, first_row_order, &mut PartitionScratch::default())
                    .expect("grouping without a floor never stops early");
            return ClassTable { keys, counts, histograms: Vec::new(), records };
        }
        let mut tally = Tally::default();
        let mut row_class: Vec<u32> = Vec::with_capacity(if sensitive.is_empty() { 0 } else { rows });
        for r in 0..rows {
            let (c, _) = tally.add(key_of(r), 1);
            if !sensitive.is_empty() {
                row_class.push(c as u32);
            }
        }
        let Tally { keys, counts, .. } = tally;
        let histograms = if sensitive.is_empty() {
            Vec::new()
        } else {
            let members = rows_by_class(&row_class, keys.len());
            sensitive
                .iter()
                .map(|&(codes, domain)| {
                    Histograms::build(keys.len(), domain, |c| {
                        members.group(c).iter().map(|&r| (codes[r as usize], 1u64))
                    })
                })
                .collect()
        };
        ClassTable { keys, counts, histograms, records }
    }

    /// Rolls this table up to a coarser node: `lifts` holds, for every
    /// quasi-identifier whose level changes, its index and the map from this
    /// node's label codes to the coarser node's. `scratch` holds reusable
    /// memory. (On small tables a dense mixed-radix counter was measured
    /// slower than hashing: it must decode every field. Tables of 2^18 classes
    /// or more are counted densely where few combinations allow it.)
    pub fn roll_up(&self, layout: &KeyLayout, lifts: &[(usize, &[u32])], scratch: &mut RollUpScratch<K>) -> Self {
        self.roll_up_with(layout, lifts, Grouping::COMPLETE, scratch).expect("a roll-up without a floor never stops")
    }

    /// [`ClassTable::roll_up`] as `grouping` says: `None` when the coarser
    /// table would fail its floor, found out early where possible (large
    /// tables stop as soon as the classes grouped so far prove it; smaller
    /// ones are grouped whole and left to the check). A source in order of
    /// first row gives a table in that order.
    pub fn roll_up_with(
        &self,
        layout: &KeyLayout,
        lifts: &[(usize, &[u32])],
        grouping: Grouping,
        scratch: &mut RollUpScratch<K>,
    ) -> Option<Self> {
        let lifter = Lifter::new(layout, lifts);
        let lift = |key: K| lifter.lift(key);
        if self.histograms.is_empty() && self.keys.len() >= PARTITIONED_GROUPING && self.records <= PARTITIONED_RECORDS
        {
            if !grouping.first_row_order
                && let Some(dense) = Dense::plan(layout, lifts)
            {
                let (keys, counts) = dense.roll_up(&self.keys, &self.counts);
                return Some(ClassTable { keys, counts, histograms: Vec::new(), records: self.records });
            }
            let (keys, counts) = partitioned::group(
                self.keys.len(),
                |i| lift(self.keys[i]),
                |i| self.counts[i] as u32,
                grouping.floor,
                grouping.first_row_order,
                &mut scratch.partitions,
            )?;
            return Some(ClassTable { keys, counts, histograms: Vec::new(), records: self.records });
        }
        let tally = &mut scratch.tally;
        tally.clear();
        tally.keys.reserve(self.keys.len());
        tally.counts.reserve(self.keys.len());
        let mut target = Vec::with_capacity(if self.histograms.is_empty() { 0 } else { self.keys.len() });
        for (&key, &n) in self.keys.iter().zip(&self.counts) {
            let (c, _) = tally.add(lift(key), n);
            if !self.histograms.is_empty() {
                target.push(c as u32);
            }
        }
        let (keys, counts) = (&tally.keys, &tally.counts);
        let histograms = if self.histograms.is_empty() {
            Vec::new()
        } else {
            let members = rows_by_class(&target, keys.len());
            self.histograms
                .iter()
                .map(|h| {
                    Histograms::build(keys.len(), h.domain, |c| {
                        members.group(c).iter().flat_map(|&old| {
                            let hist = h.class(old as usize);
                            hist.codes.iter().copied().zip(hist.counts.iter().copied())
                        })
                    })
                })
                .collect()
        };
        Some(ClassTable { keys: keys.clone(), counts: counts.clone(), histograms, records: self.records })
    }

    /// About how many classes [`ClassTable::roll_up`] would give, for
    /// deciding whether a table is worth building (one pass, no grouping).
    pub fn estimate_roll_up(&self, layout: &KeyLayout, lifts: &[(usize, &[u32])]) -> usize {
        let lifter = Lifter::new(layout, lifts);
        partitioned::estimate_classes(self.keys.len(), |i| lifter.lift(self.keys[i]))
    }

    /// Memory held, in class-sized units: one per class plus one per
    /// sensitive-value entry of its histograms (roughly the same bytes each).
    pub fn weight(&self) -> usize {
        self.keys.len() + self.histograms.iter().map(|h| h.codes.len()).sum::<usize>()
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the table has no classes (an empty input).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The packed key of each class.
    pub fn keys(&self) -> &[K] {
        &self.keys
    }

    /// The number of records in each class.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Histograms of sensitive attribute `j`.
    pub fn histograms(&self, j: usize) -> &Histograms {
        &self.histograms[j]
    }
}

/// Maps keys to a coarser node's: the fields of `lifts` through their tables.
/// Shifts, masks and tables are gathered once per roll-up, and every field is
/// read from the original key, so the lookups do not wait on each other
/// (looked up through the layout and chained through the rewritten key, a
/// key took 20 ns on 10 M stays).
struct Lifter<'a, K> {
    fields: Vec<(u32, u32, &'a [u32])>,
    /// The bits of the fields that stay.
    keep: K,
}

impl<'a, K: PackedKey> Lifter<'a, K> {
    fn new(layout: &KeyLayout, lifts: &[(usize, &'a [u32])]) -> Self {
        let fields: Vec<(u32, u32, &[u32])> =
            lifts.iter().map(|&(dim, table)| (layout.shift(dim), layout.mask(dim), table)).collect();
        let lifted = fields.iter().fold(K::ZERO, |bits, &(shift, mask, _)| bits | (K::from(mask) << shift));
        Lifter { fields, keep: !lifted }
    }

    #[inline]
    fn lift(&self, key: K) -> K {
        self.fields.iter().fold(key & self.keep, |lifted, &(shift, mask, table)| {
            lifted | (K::from(table[key.field(shift, mask) as usize]) << shift)
        })
    }
}

/// Members (row or old-class indices) grouped by their class, in compressed rows.
struct Grouped {
    offsets: Vec<u32>,
    members: Vec<u32>,
}

impl Grouped {
    fn group(&self, c: usize) -> &[u32] {
        &self.members[self.offsets[c] as usize..self.offsets[c + 1] as usize]
    }
}

/// Counting sort of member indices by class.
fn rows_by_class(class_of: &[u32], classes: usize) -> Grouped {
    let mut offsets = vec![0u32; classes + 1];
    for &c in class_of {
        offsets[c as usize + 1] += 1;
    }
    for i in 0..classes {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut members = vec![0u32; class_of.len()];
    for (m, &c) in class_of.iter().enumerate() {
        members[fill[c as usize] as usize] = m as u32;
        fill[c as usize] += 1;
    }
    Grouped { offsets, members }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_up_equals_grouping_the_rows_again() {
        // Two QIs; QI 1 generalizes codes {0,1}->0, {2}->1.
        let qi0 = [0u32, 0, 1, 1, 0];
        let qi1 = [0u32, 1, 2, 2, 2];
        let sa = [0u32, 1, 1, 2, 0];
        let layout = KeyLayout::new(&[2, 3]);
        let bottom = ClassTable::<u64>::from_rows(&layout, &[&qi0, &qi1], &[(&sa, 3)], true);
        assert_eq!(bottom.len(), 4);
        let lift = [0u32, 0, 1];
        let rolled = bottom.roll_up(&layout, &[(1, &lift)], &mut RollUpScratch::default());
        let qi1_up: Vec<u32> = qi1.iter().map(|&c| lift[c as usize]).collect();
        let direct = ClassTable::<u64>::from_rows(&layout, &[&qi0, &qi1_up], &[(&sa, 3)], true);
        let mut a: Vec<_> = (0..rolled.len())
            .map(|c| (rolled.keys()[c], rolled.counts()[c], rolled.histograms(0).class(c).codes.to_vec()))
            .collect();
        let mut b: Vec<_> = (0..direct.len())
            .map(|c| (direct.keys()[c], direct.counts()[c], direct.histograms(0).class(c).codes.to_vec()))
            .collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        let class = rolled.keys().iter().position(|&k| k == layout.pack([0, 0])).unwrap();
        assert_eq!(rolled.histograms(0).class(class).counts, &[1, 1]);
    }
}
