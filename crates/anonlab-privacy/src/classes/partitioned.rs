//! Grouping millions of keys through hash partitions.
//!
//! One hash table over millions of classes misses the cache on nearly every
//! insert (50–100 ns per class measured on 10 M stays). Here the keys are first
//! scattered into partitions by the top bits of a hash, then each partition is
//! grouped with a hash table small enough to stay in cache: two sequential
//! passes and cache-resident inserts instead of one random access per key.
//!
//! A partition holds every key of its classes, so a finished partition's classes
//! are final. That lets a check stop early: when the classes found so far
//! already hold more records below the minimal class size than may be
//! suppressed, the node fails whatever the other partitions hold, and most nodes
//! near the bottom of a lattice fail in the first partition.
//!
//! When a sample of the keys shows few classes, each chunk is grouped by its
//! own small hash table instead, in one pass. Classes come out in order of
//! first appearance, as a single hash table gives them, wherever the caller
//! asks for it (sample-based models break ties by that order, ARX's "first
//! row of the class"); otherwise partitioned classes stay in partition order,
//! which spares a reordering pass over millions of classes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::key::PackedKey;

/// Keys per partition aimed at: a partition's hash table then stays in the L2 cache.
const PARTITION_KEYS: usize = 1 << 15;
/// At most 2^10 partitions: more write streams than that thrash the scatter.
const MAX_PARTITION_BITS: u32 = 10;
/// Inputs per parallel chunk.
const CHUNK: usize = 1 << 18;
/// Inputs whose distinct keys decide between one table and partitions.
const SAMPLE: usize = 1 << 16;
/// Fewer distinct keys than this in the sample: the classes are few, one
/// cache-resident hash table per chunk groups them in a single pass (with
/// tens of thousands of classes, the tables fall out of the cache and
/// partitioning is faster again).
const FEW_KEYS: usize = SAMPLE / 8;
/// Fewer keys than this are grouped by one hash table (partitioning would not pay).
pub const MIN_KEYS: usize = 1 << 18;

/// A node fails once more than `max_outliers` of its `records` records lie in
/// classes smaller than `size` (the minimal class size, which cannot be met
/// without suppressing them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeFloor {
    /// The minimal class size.
    pub size: u64,
    /// Records that may be suppressed.
    pub max_outliers: u64,
    /// Records in the table.
    pub records: u64,
}

/// Classes in order of first appearance: their keys and total weights, and a
/// hash index from key to class.
#[derive(Debug)]
pub struct Tally<K> {
    index: FxHashMap<K, u32>,
    /// Each class's key.
    pub keys: Vec<K>,
    /// Each class's total weight.
    pub counts: Vec<u64>,
}

impl<K> Default for Tally<K> {
    fn default() -> Self {
        Tally { index: FxHashMap::default(), keys: Vec::new(), counts: Vec::new() }
    }
}

impl<K: PackedKey> Tally<K> {
    fn with_capacity(classes: usize) -> Self {
        Tally {
            index: FxHashMap::with_capacity_and_hasher(classes, Default::default()),
            keys: Vec::with_capacity(classes),
            counts: Vec::with_capacity(classes),
        }
    }

    /// Adds `n` to the class of `key`: its index, and whether it is new.
    #[inline]
    pub fn add(&mut self, key: K, n: u64) -> (usize, bool) {
        let next = self.keys.len() as u32;
        let c = *self.index.entry(key).or_insert(next);
        let new = c == next;
        if new {
            self.keys.push(key);
            self.counts.push(0);
        }
        self.counts[c as usize] += n;
        (c as usize, new)
    }

    /// Forgets every class, keeping the memory.
    pub fn clear(&mut self) {
        self.index.clear();
        self.keys.clear();
        self.counts.clear();
    }

    /// Forgets the index only: later keys start new classes (a new partition).
    fn forget_index(&mut self) {
        self.index.clear();
    }
}

/// A key scattered to its partition: key, weight and input index.
type Scattered<K> = (K, u32, u32);

/// Buffers reused across groupings (sized by the largest input seen).
#[derive(Debug)]
pub struct PartitionScratch<K> {
    /// Each input's key.
    targets: Vec<K>,
    /// By partition, each in input order: key, weight and input index
    /// (weights are carried along: fetching them by index in the grouping pass
    /// missed the cache on nearly every key, as a partition's indices are far apart).
    scattered: Vec<Scattered<K>>,
    /// The sample's distinct keys.
    sample: FxHashSet<K>,
    /// Class by input index of its first key (`u32::MAX`: none), for restoring input order.
    slot: Vec<u32>,
}

impl<K> Default for PartitionScratch<K> {
    fn default() -> Self {
        PartitionScratch { targets: Vec::new(), scattered: Vec::new(), sample: FxHashSet::default(), slot: Vec::new() }
    }
}

/// Groups `len` inputs: input `i` has key `key_of(i)` and weight `count_of(i)`
/// (weights add up to less than 2^32). Returns the classes' keys and total
/// weights, in order of first appearance if `in_input_order` (else in an order
/// fixed by the keys), or `None` as soon as the classes found so far fail `floor`.
pub fn group<K: PackedKey>(
    len: usize,
    key_of: impl Fn(usize) -> K + Sync,
    count_of: impl Fn(usize) -> u32 + Sync,
    floor: Option<SizeFloor>,
    in_input_order: bool,
    scratch: &mut PartitionScratch<K>,
) -> Option<(Vec<K>, Vec<u64>)> {
    assert!(len < u32::MAX as usize, "inputs are indexed by u32");
    let sample = &mut scratch.sample;
    sample.clear();
    for i in 0..len.min(SAMPLE) {
        sample.insert(key_of(i));
    }
    if sample.len() < FEW_KEYS {
        return Some(few(len, &key_of, &count_of, sample.len()));
    }

    // Many classes: through hash partitions.
    let bits = (len / PARTITION_KEYS).next_power_of_two().trailing_zeros().clamp(1, MAX_PARTITION_BITS);
    let partitions = 1usize << bits;
    let partition = |k: K| k.partition(bits);
    let PartitionScratch { targets, scattered, slot, .. } = scratch;

    // Every input's key and, per chunk, how many keys fall in each partition
    // and the classes of the first partition. A node far below the border
    // fails on that partition alone, found out before paying for the scatter
    // (where the limit is low enough for one partition to exceed it).
    let probe = floor.filter(|f| f.max_outliers.saturating_mul(partitions as u64) < f.records);
    targets.clear();
    targets.resize(len, K::ZERO);
    let chunks: Vec<(Vec<u32>, Tally<K>)> = targets
        .par_chunks_mut(CHUNK)
        .enumerate()
        .map(|(chunk, out)| {
            let mut histogram = vec![0u32; partitions];
            let mut first_partition = Tally::default();
            for (j, target) in out.iter_mut().enumerate() {
                let i = chunk * CHUNK + j;
                let k = key_of(i);
                *target = k;
                let p = partition(k);
                histogram[p] += 1;
                if p == 0 && probe.is_some() {
                    first_partition.add(k, u64::from(count_of(i)));
                }
            }
            (histogram, first_partition)
        })
        .collect();
    let mut histograms = Vec::with_capacity(chunks.len());
    let mut first_partition = Tally::default();
    for (histogram, chunk_classes) in chunks {
        histograms.push(histogram);
        for (k, n) in chunk_classes.keys.into_iter().zip(chunk_classes.counts) {
            first_partition.add(k, n);
        }
    }
    if let Some(floor) = probe {
        let outliers: u64 = first_partition.counts.iter().filter(|&&n| n < floor.size).sum();
        if outliers > floor.max_outliers {
            return None;
        }
    }

    // Scatter the keys stably by partition: every chunk writes its own piece
    // of every partition, so the chunks scatter in parallel.
    let mut starts = vec![0usize; partitions + 1];
    for histogram in &histograms {
        for (p, &n) in histogram.iter().enumerate() {
            starts[p + 1] += n as usize;
        }
    }
    for p in 0..partitions {
        starts[p + 1] += starts[p];
    }
    scattered.clear();
    scattered.resize(len, (K::ZERO, 0, 0));
    let mut pieces: Vec<Vec<&mut [Scattered<K>]>> = histograms.iter().map(|_| Vec::with_capacity(partitions)).collect();
    let mut rest: &mut [Scattered<K>] = scattered;
    for p in 0..partitions {
        for (chunk, histogram) in histograms.iter().enumerate() {
            let (piece, tail) = std::mem::take(&mut rest).split_at_mut(histogram[p] as usize);
            pieces[chunk].push(piece);
            rest = tail;
        }
    }
    let targets = &*targets;
    pieces.into_par_iter().zip(targets.par_chunks(CHUNK)).enumerate().for_each(|(chunk, (mut pieces, keys))| {
        let mut fill = vec![0usize; partitions];
        for (i, &k) in (chunk * CHUNK..).zip(keys) {
            let p = partition(k);
            pieces[p][fill[p]] = (k, count_of(i), i as u32);
            fill[p] += 1;
        }
    });

    // Group the partitions, in parallel runs of consecutive ones; a
    // partition's classes are final once it is done, so a floor is checked
    // after each (with the outliers of every run so far).
    let scattered = &*scattered;
    let outliers = AtomicU64::new(0);
    let failed = AtomicBool::new(false);
    let runs = (partitions / 8).max(1);
    let per_run = partitions / runs;
    let grouped: Vec<(Tally<K>, Vec<u32>)> = (0..runs)
        .into_par_iter()
        .map(|run| {
            let (mut tally, mut first) = (Tally::default(), Vec::new());
            for p in run * per_run..(run + 1) * per_run {
                if failed.load(Ordering::Relaxed) {
                    break;
                }
                tally.forget_index();
                let from = tally.keys.len();
                for &(k, n, i) in &scattered[starts[p]..starts[p + 1]] {
                    if tally.add(k, u64::from(n)).1 {
                        first.push(i);
                    }
                }
                if let Some(floor) = floor {
                    let small = tally.counts[from..].iter().filter(|&&n| n < floor.size).sum::<u64>();
                    if outliers.fetch_add(small, Ordering::Relaxed) + small > floor.max_outliers {
                        failed.store(true, Ordering::Relaxed);
                    }
                }
            }
            (tally, first)
        })
        .collect();
    if failed.load(Ordering::Relaxed) {
        return None;
    }
    let (mut keys, mut counts, mut first) = (Vec::new(), Vec::new(), Vec::new());
    for (tally, run_first) in grouped {
        keys.extend(tally.keys);
        counts.extend(tally.counts);
        first.extend(run_first);
    }
    if !in_input_order {
        return Some((keys, counts));
    }

    // Back to order of first appearance.
    slot.clear();
    slot.resize(len, u32::MAX);
    for (c, &i) in first.iter().enumerate() {
        slot[i as usize] = c as u32;
    }
    let mut out_keys = Vec::with_capacity(keys.len());
    let mut out_counts = Vec::with_capacity(keys.len());
    for &c in slot.iter().filter(|&&c| c != u32::MAX) {
        out_keys.push(keys[c as usize]);
        out_counts.push(counts[c as usize]);
    }
    Some((out_keys, out_counts))
}

/// Estimates how many distinct keys `len` inputs have: counts those among the
/// 1/64 of the keys that fall in the first of 64 hash partitions (whole
/// classes, unlike a sample of inputs, which sees mostly singletons).
pub fn estimate_classes<K: PackedKey>(len: usize, key_of: impl Fn(usize) -> K + Sync) -> usize {
    const BITS: u32 = 6;
    let sampled: Vec<FxHashSet<K>> = (0..len.div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let mut seen = FxHashSet::default();
            for i in chunk * CHUNK..((chunk + 1) * CHUNK).min(len) {
                let k = key_of(i);
                if k.partition(BITS) == 0 {
                    seen.insert(k);
                }
            }
            seen
        })
        .collect();
    let mut seen: FxHashSet<K> = FxHashSet::default();
    sampled.into_iter().for_each(|s| seen.extend(s));
    seen.len() << BITS
}

/// Grouping into few classes (about `expected` in a chunk): each chunk into
/// its own small hash table, in parallel, then the chunks' classes merged in
/// chunk order (so in order of first appearance).
fn few<K: PackedKey>(
    len: usize,
    key_of: &(impl Fn(usize) -> K + Sync),
    count_of: &(impl Fn(usize) -> u32 + Sync),
    expected: usize,
) -> (Vec<K>, Vec<u64>) {
    let chunks: Vec<Tally<K>> = (0..len.div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let mut tally = Tally::with_capacity(expected);
            for i in chunk * CHUNK..((chunk + 1) * CHUNK).min(len) {
                tally.add(key_of(i), u64::from(count_of(i)));
            }
            tally
        })
        .collect();
    let mut tally = Tally::with_capacity(expected);
    for chunk in chunks {
        for (k, n) in chunk.keys.into_iter().zip(chunk.counts) {
            tally.add(k, n);
        }
    }
    (tally.keys, tally.counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The single-hash-table grouping the partitioned one must reproduce.
    fn by_one_table(keys: &[u64], counts: &[u32]) -> (Vec<u64>, Vec<u64>) {
        let mut index: FxHashMap<u64, usize> = FxHashMap::default();
        let (mut out_keys, mut out_counts) = (Vec::new(), Vec::new());
        for (&k, &n) in keys.iter().zip(counts) {
            let c = *index.entry(k).or_insert_with(|| {
                out_keys.push(k);
                out_counts.push(0);
                out_keys.len() - 1
            });
            out_counts[c] += u64::from(n);
        }
        (out_keys, out_counts)
    }

    fn input(len: usize, distinct: u64) -> (Vec<u64>, Vec<u32>) {
        // A multiplicative sequence: keys repeat irregularly, counts vary.
        let keys: Vec<u64> = (0..len as u64).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) % distinct).collect();
        let counts: Vec<u32> = (0..len as u32).map(|i| 1 + i % 3).collect();
        (keys, counts)
    }

    #[test]
    fn groups_like_one_hash_table_in_order_of_first_appearance() {
        let mut scratch = PartitionScratch::default();
        for (len, distinct) in [(MIN_KEYS, 50_000), (300_000, 290_000), (70_000, 7)] {
            let (keys, counts) = input(len, distinct);
            let got =
                group(len, |i| keys[i], |i| counts[i], None, true, &mut scratch).expect("no floor, no early stop");
            assert_eq!(got, by_one_table(&keys, &counts), "{len} keys, {distinct} distinct");
        }
    }

    #[test]
    fn stops_only_when_the_floor_is_certainly_missed() {
        let mut scratch = PartitionScratch::default();
        let (keys, counts) = input(MIN_KEYS, 100_000);
        let records: u64 = counts.iter().map(|&n| u64::from(n)).sum();
        let (_, full) = by_one_table(&keys, &counts);
        let small: u64 = full.iter().filter(|&&n| n < 8).sum();
        assert!(small > 0 && small < records);
        for max_outliers in [0, small / 3, small - 1] {
            let floor = SizeFloor { size: 8, max_outliers, records };
            assert!(group(MIN_KEYS, |i| keys[i], |i| counts[i], Some(floor), true, &mut scratch).is_none());
        }
        let floor = SizeFloor { size: 8, max_outliers: small, records };
        let got = group(MIN_KEYS, |i| keys[i], |i| counts[i], Some(floor), true, &mut scratch);
        assert_eq!(got, Some(by_one_table(&keys, &counts)), "exactly at the limit the node holds");
    }
}
