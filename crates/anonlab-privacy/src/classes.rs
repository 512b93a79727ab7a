//! Equivalence-class tables: counts (and sensitive-value histograms) per
//! generalized record, built once from rows and then rolled up.
//!
//! The bottom node's table is built from the rows; every other node's table is
//! rolled up from the table of a finer node by rewriting key fields and
//! merging classes, so rows are scanned exactly once per search.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::key::{KeyLayout, PackedKey};

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
}

/// Memory reused across roll-ups: the hash map and the working vectors.
/// A roll-up fills the working vectors (reserved once at the source's size, so
/// they never grow) and copies the result out at its exact size; without this,
/// allocating and page-faulting in fresh buffers took a quarter of the run time.
#[derive(Debug)]
pub struct RollUpScratch<K> {
    index: FxHashMap<K, u32>,
    keys: Vec<K>,
    counts: Vec<u64>,
}

impl<K> Default for RollUpScratch<K> {
    fn default() -> Self {
        RollUpScratch { index: FxHashMap::default(), keys: Vec::new(), counts: Vec::new() }
    }
}

/// Rows are grouped in parallel chunks of this many rows when there is no histogram to build.
const PARALLEL_CHUNK: usize = 1 << 18;
/// Tables with at least this many rows are grouped on several threads.
pub const PARALLEL_GROUPING_ROWS: usize = 2 * PARALLEL_CHUNK;

impl<K: PackedKey> ClassTable<K> {
    /// Groups rows: `qi_codes[i][row]` is quasi-identifier `i`'s code,
    /// `sensitive[j]` is sensitive attribute `j`'s (codes, domain size).
    pub fn from_rows(layout: &KeyLayout, qi_codes: &[&[u32]], sensitive: &[(&[u32], usize)]) -> Self {
        let rows = qi_codes.first().map_or(0, |c| c.len());
        let key_of = |r: usize| layout.pack::<K>(qi_codes.iter().map(|c| c[r]));
        if sensitive.is_empty() && rows >= PARALLEL_GROUPING_ROWS && rayon::current_num_threads() > 1 {
            return Self::from_rows_parallel(rows, key_of);
        }
        let mut index: FxHashMap<K, u32> = FxHashMap::default();
        let mut keys = Vec::new();
        let mut counts: Vec<u64> = Vec::new();
        let mut row_class: Vec<u32> = Vec::with_capacity(if sensitive.is_empty() { 0 } else { rows });
        for r in 0..rows {
            let key = key_of(r);
            let c = *index.entry(key).or_insert_with(|| {
                keys.push(key);
                counts.push(0);
                keys.len() as u32 - 1
            });
            counts[c as usize] += 1;
            if !sensitive.is_empty() {
                row_class.push(c);
            }
        }
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
        ClassTable { keys, counts, histograms }
    }

    fn from_rows_parallel(rows: usize, key_of: impl Fn(usize) -> K + Sync) -> Self {
        let partial: Vec<FxHashMap<K, u64>> = (0..rows.div_ceil(PARALLEL_CHUNK))
            .into_par_iter()
            .map(|chunk| {
                let mut local: FxHashMap<K, u64> = FxHashMap::default();
                for r in chunk * PARALLEL_CHUNK..((chunk + 1) * PARALLEL_CHUNK).min(rows) {
                    *local.entry(key_of(r)).or_insert(0) += 1;
                }
                local
            })
            .collect();
        let mut merged: FxHashMap<K, u64> = FxHashMap::default();
        for local in partial {
            for (k, n) in local {
                *merged.entry(k).or_insert(0) += n;
            }
        }
        let mut pairs: Vec<(K, u64)> = merged.into_iter().collect();
        pairs.sort_unstable_by_key(|p| p.0);
        let (keys, counts) = pairs.into_iter().unzip();
        ClassTable { keys, counts, histograms: Vec::new() }
    }

    /// Rolls this table up to a coarser node: `lifts` holds, for every
    /// quasi-identifier whose level changes, its index and the map from this
    /// node's label codes to the coarser node's. `scratch` holds reusable
    /// memory. (A dense mixed-radix counter was measured slower here than
    /// hashing: it must decode every field.)
    pub fn roll_up(&self, layout: &KeyLayout, lifts: &[(usize, &[u32])], scratch: &mut RollUpScratch<K>) -> Self {
        let RollUpScratch { index, keys, counts } = scratch;
        index.clear();
        keys.clear();
        counts.clear();
        keys.reserve(self.keys.len());
        counts.reserve(self.keys.len());
        let mut target = Vec::with_capacity(if self.histograms.is_empty() { 0 } else { self.keys.len() });
        for (&key, &n) in self.keys.iter().zip(&self.counts) {
            let mut k = key;
            for &(dim, lift) in lifts {
                let (shift, mask) = (layout.shift(dim), layout.mask(dim));
                k = k.with_field(shift, mask, lift[k.field(shift, mask) as usize]);
            }
            let c = *index.entry(k).or_insert_with(|| {
                keys.push(k);
                counts.push(0);
                keys.len() as u32 - 1
            });
            counts[c as usize] += n;
            if !self.histograms.is_empty() {
                target.push(c);
            }
        }
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
        ClassTable { keys: keys.as_slice().to_vec(), counts: counts.as_slice().to_vec(), histograms }
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
        let bottom = ClassTable::<u64>::from_rows(&layout, &[&qi0, &qi1], &[(&sa, 3)]);
        assert_eq!(bottom.len(), 4);
        let lift = [0u32, 0, 1];
        let rolled = bottom.roll_up(&layout, &[(1, &lift)], &mut RollUpScratch::default());
        let qi1_up: Vec<u32> = qi1.iter().map(|&c| lift[c as usize]).collect();
        let direct = ClassTable::<u64>::from_rows(&layout, &[&qi0, &qi1_up], &[(&sa, 3)]);
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
