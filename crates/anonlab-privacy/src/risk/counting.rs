//! Counting equivalence classes of millions of rows: the one costly step of
//! risk analysis, done once for the quasi-identifiers and once per attribute
//! combination. Only the sizes are needed: how many classes have each size.
//!
//! Every combination of codes has a slot in a mixed-radix numbering. When
//! there are few slots, each thread counts its rows in a cache-resident array
//! (one pass, no hashing). With up to 2^28 slots, the rows' slots are first
//! scattered into ranges of 2^16–2^17 slots, in parallel chunks, and each
//! range is counted in an array that stays in the L2 cache. Beyond that the
//! bit-packed keys are scattered into hash partitions of a few thousand keys
//! and each partition is sorted on its own. A counter of tens of megabytes,
//! one hash table, or one sort of all keys (160 MB for 10 M rows of 68-bit
//! keys, one pass over memory per level) missed the cache on nearly every row.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::key::{KeyLayout, PackedKey};
use crate::memory::written_zeros;

/// Largest dense counter (slots): 4 bytes each, so 4 MiB, within the last-level cache.
const DENSE_SLOTS: u128 = 1 << 20;

/// Most slots counted through slot ranges: 2^11 ranges of at most 2^17 slots.
const RANGED_SLOTS: u128 = 1 << 28;

/// At most 2^11 slot ranges (write streams of the scatter).
const MAX_RANGE_FANOUT_BITS: u32 = 11;

/// Slots per range at least: 2^16 (a 256 KiB counter).
const MIN_RANGE_BITS: u32 = 16;

/// Rows per parallel chunk.
const CHUNK_ROWS: usize = 1 << 16;

/// Keys per partition aimed at: a partition sorts within the L2 cache.
const PARTITION_KEYS: usize = 1 << 13;

/// At most 2^10 partitions: more write streams than that thrash the scatter.
const MAX_PARTITION_BITS: u32 = 10;

/// Sizes below this are counted in an array, larger ones in a map.
const SMALL_SIZES: usize = 64;

/// Which rows to leave out (suppressed records), if any.
pub(super) type Skip<'a> = Option<&'a (dyn Fn(usize) -> bool + Sync)>;

/// Class size → number of classes of that size, for the classes formed by
/// `columns` (codes per row, `distinct[i]` codes in column `i`), leaving out
/// the rows for which `skip` (if any) is true.
pub(super) fn class_sizes(columns: &[&[u32]], distinct: &[usize], skip: Skip<'_>) -> BTreeMap<u64, u64> {
    let rows = columns.first().map_or(0, |c| c.len());
    let slots = distinct.iter().try_fold(1u128, |p, &d| p.checked_mul(d.max(1) as u128)).unwrap_or(u128::MAX);
    if slots <= DENSE_SLOTS {
        return dense(columns, distinct, slots as usize, rows, skip);
    }
    if slots <= RANGED_SLOTS {
        return by_slot_ranges(columns, distinct, slots as usize, rows, skip);
    }
    let layout = KeyLayout::new(distinct);
    if layout.bits() <= 64 {
        by_partitions::<u64>(columns, &layout, rows, skip)
    } else {
        by_partitions::<u128>(columns, &layout, rows, skip)
    }
}

/// Counts of class sizes, small sizes in an array.
#[derive(Debug, Clone)]
struct Histogram {
    small: [u64; SMALL_SIZES],
    large: BTreeMap<u64, u64>,
}

impl Histogram {
    fn new() -> Self {
        Histogram { small: [0; SMALL_SIZES], large: BTreeMap::new() }
    }

    fn add(&mut self, size: u64) {
        match self.small.get_mut(size as usize) {
            Some(n) => *n += 1,
            None => *self.large.entry(size).or_insert(0) += 1,
        }
    }

    fn merge(mut self, other: Histogram) -> Histogram {
        self.small.iter_mut().zip(other.small).for_each(|(a, b)| *a += b);
        for (size, n) in other.large {
            *self.large.entry(size).or_insert(0) += n;
        }
        self
    }

    fn into_map(self) -> BTreeMap<u64, u64> {
        let mut map = self.large;
        map.extend(self.small.into_iter().enumerate().filter(|&(s, n)| s > 0 && n > 0).map(|(s, n)| (s as u64, n)));
        map
    }
}

/// The mixed-radix slots (fewer than 2^32) of the rows of chunk `chunk`, into
/// `slots`: column by column over the chunk, sequential reads, the slots
/// staying in cache.
fn chunk_slots(columns: &[&[u32]], distinct: &[usize], chunk: usize, slots: &mut Vec<u32>) {
    let rows = columns[0].len();
    let (start, end) = (chunk * CHUNK_ROWS, ((chunk + 1) * CHUNK_ROWS).min(rows));
    slots.clear();
    slots.resize(end - start, 0);
    for (codes, &d) in columns.iter().zip(distinct) {
        for (slot, &c) in slots.iter_mut().zip(&codes[start..end]) {
            *slot = *slot * d as u32 + c;
        }
    }
}

/// Drops from `items` (one per row of chunk `chunk`) those of skipped rows.
fn retain_kept<T>(items: &mut Vec<T>, chunk: usize, skip: Skip<'_>) {
    if let Some(skip) = skip {
        let mut r = chunk * CHUNK_ROWS;
        items.retain(|_| {
            r += 1;
            !skip(r - 1)
        });
    }
}

/// Counting in a mixed-radix array with one slot per combination of codes:
/// each thread counts its chunks into its own array.
fn dense(columns: &[&[u32]], distinct: &[usize], slots: usize, rows: usize, skip: Skip<'_>) -> BTreeMap<u64, u64> {
    let counts = (0..rows.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .fold(
            || (written_zeros(slots, 0u32), Vec::new()),
            |(mut counts, mut row_slots), chunk| {
                chunk_slots(columns, distinct, chunk, &mut row_slots);
                for (r, &slot) in (chunk * CHUNK_ROWS..).zip(row_slots.iter()) {
                    if skip.is_none_or(|skip| !skip(r)) {
                        counts[slot as usize] += 1;
                    }
                }
                (counts, row_slots)
            },
        )
        .map(|(counts, _)| counts)
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
            a
        })
        .unwrap_or_default();
    let mut histogram = Histogram::new();
    counts.into_iter().filter(|&c| c > 0).for_each(|c| histogram.add(u64::from(c)));
    histogram.into_map()
}

/// Counting through ranges of slots: the rows' slots (fewer than 2^28) are
/// scattered by range, and each range is counted in its own small array.
fn by_slot_ranges(
    columns: &[&[u32]],
    distinct: &[usize],
    slots: usize,
    rows: usize,
    skip: Skip<'_>,
) -> BTreeMap<u64, u64> {
    let slot_bits = usize::BITS - (slots - 1).leading_zeros();
    let range_bits = slot_bits.saturating_sub(MAX_RANGE_FANOUT_BITS).max(MIN_RANGE_BITS);
    let ranges = ((slots - 1) >> range_bits) + 1;
    let mask = (1u32 << range_bits) - 1;
    let parts = scatter(
        rows,
        ranges,
        |slot: &u32| (slot >> range_bits) as usize,
        |chunk, out: &mut Vec<u32>| {
            chunk_slots(columns, distinct, chunk, out);
            retain_kept(out, chunk, skip);
        },
    );
    parts
        .into_par_iter()
        .fold(
            || (Histogram::new(), written_zeros(1 << range_bits, 0u32)),
            |(mut histogram, mut counts), part| {
                for &slot in part.iter() {
                    counts[(slot & mask) as usize] += 1;
                }
                // Each slot's count once, at its first row; zeroed for the next range.
                for &slot in part.iter() {
                    let count = &mut counts[(slot & mask) as usize];
                    if *count > 0 {
                        histogram.add(u64::from(*count));
                        *count = 0;
                    }
                }
                (histogram, counts)
            },
        )
        .map(|(histogram, _)| histogram)
        .reduce(Histogram::new, Histogram::merge)
        .into_map()
}

/// The keys of the rows of chunk `chunk`, into `keys`: column by column, each
/// pass a sequential read and a shift-or the compiler vectorizes.
fn chunk_keys<K: PackedKey>(columns: &[&[u32]], layout: &KeyLayout, chunk: usize, keys: &mut Vec<K>) {
    let rows = columns[0].len();
    let (start, end) = (chunk * CHUNK_ROWS, ((chunk + 1) * CHUNK_ROWS).min(rows));
    keys.clear();
    keys.extend(columns[0][start..end].iter().map(|&c| K::ZERO.with_field(layout.shift(0), layout.mask(0), c)));
    for (i, codes) in columns.iter().enumerate().skip(1) {
        let (shift, mask) = (layout.shift(i), layout.mask(i));
        for (key, &c) in keys.iter_mut().zip(&codes[start..end]) {
            *key = key.with_field(shift, mask, c);
        }
    }
}

/// Scatters the kept rows' items into `partitions` partitions, in parallel
/// chunks of rows; `items(chunk, out)` puts a chunk's items (kept rows only,
/// in row order) into `out`, once to count them by partition and once to
/// place them (computing them twice is cheaper than holding them all).
/// Returns each partition's items, each in row order.
fn scatter<T, P, I>(rows: usize, partitions: usize, partition: P, items: I) -> Vec<Vec<T>>
where
    T: Copy + Default + Send + Sync,
    P: Fn(&T) -> usize + Sync,
    I: Fn(usize, &mut Vec<T>) + Sync,
{
    let chunks = rows.div_ceil(CHUNK_ROWS);
    // How many items of each chunk fall in each partition.
    let histograms: Vec<Vec<u32>> = (0..chunks)
        .into_par_iter()
        .map_init(Vec::new, |buffer, chunk| {
            items(chunk, buffer);
            let mut histogram = vec![0u32; partitions];
            buffer.iter().for_each(|t| histogram[partition(t)] += 1);
            histogram
        })
        .collect();
    // Every chunk writes its own piece of every partition, so the chunks scatter in parallel.
    let mut parts: Vec<Vec<T>> =
        (0..partitions).map(|p| written_zeros(histograms.iter().map(|h| h[p] as usize).sum(), T::default())).collect();
    let mut pieces: Vec<Vec<&mut [T]>> = histograms.iter().map(|_| Vec::with_capacity(partitions)).collect();
    for (p, part) in parts.iter_mut().enumerate() {
        let mut rest: &mut [T] = part;
        for (chunk, histogram) in histograms.iter().enumerate() {
            let (piece, tail) = std::mem::take(&mut rest).split_at_mut(histogram[p] as usize);
            pieces[chunk].push(piece);
            rest = tail;
        }
    }
    pieces.into_par_iter().enumerate().for_each_init(Vec::new, |buffer, (chunk, mut pieces)| {
        items(chunk, buffer);
        let mut fill = vec![0usize; partitions];
        for &t in buffer.iter() {
            let p = partition(&t);
            pieces[p][fill[p]] = t;
            fill[p] += 1;
        }
    });
    parts
}

/// Counting through hash partitions of the bit-packed keys, each sorted on its own.
fn by_partitions<K: PackedKey + Default>(
    columns: &[&[u32]],
    layout: &KeyLayout,
    rows: usize,
    skip: Skip<'_>,
) -> BTreeMap<u64, u64> {
    let bits = (rows / PARTITION_KEYS).next_power_of_two().trailing_zeros().min(MAX_PARTITION_BITS);
    let partition = |k: &K| k.partition(bits);
    let parts = scatter(rows, 1 << bits, partition, |chunk, out: &mut Vec<K>| {
        chunk_keys(columns, layout, chunk, out);
        retain_kept(out, chunk, skip);
    });
    // A partition holds whole classes: sort it and count the runs.
    parts
        .into_par_iter()
        .fold(Histogram::new, |mut histogram, mut part| {
            part.sort_unstable();
            for run in part.chunk_by(|a, b| a == b) {
                histogram.add(run.len() as u64);
            }
            histogram
        })
        .reduce(Histogram::new, Histogram::merge)
        .into_map()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every strategy (dense, slot ranges, hash partitions of 64-bit and of
    /// 128-bit keys) against a hash-map count, over several chunks and partitions.
    #[test]
    fn every_strategy_counts_like_a_hash_map() {
        let rows = 200_000usize;
        let a: Vec<u32> = (0..rows).map(|r| (r / 7 % 13) as u32).collect();
        let b: Vec<u32> = (0..rows).map(|r| ((r / 7) * (r / 7) % 1_000) as u32).collect();
        let c: Vec<u32> = (0..rows).map(|r| (r / 21 % 40_000) as u32).collect();
        let d: Vec<u32> = (0..rows).map(|r| (r / 6 % 30_000) as u32).collect();
        let e: Vec<u32> = (0..rows).map(|r| (r / 4 % 25_000) as u32).collect();
        let skip = |r: usize| r.is_multiple_of(11);
        let reference = |cols: &[&[u32]]| {
            let mut m = std::collections::HashMap::new();
            for r in (0..rows).filter(|&r| !skip(r)) {
                *m.entry(cols.iter().map(|c| c[r]).collect::<Vec<_>>()).or_insert(0u64) += 1;
            }
            let mut histogram = BTreeMap::new();
            m.into_values().for_each(|s| *histogram.entry(s).or_insert(0) += 1);
            histogram
        };
        let cases = [
            (vec![&a[..], &b[..]], vec![13, 1_000]),
            (vec![&b[..], &c[..]], vec![1_000, 40_000]),
            (vec![&a[..], &b[..], &c[..]], vec![13, 1_000, 40_000]),
            (vec![&c[..], &d[..], &c[..], &d[..], &e[..]], vec![40_000, 30_000, 40_000, 30_000, 25_000]),
        ];
        for (cols, distinct) in cases {
            let expected = reference(&cols);
            assert!(expected.len() > 2, "{distinct:?}: sizes vary: {expected:?}");
            assert_eq!(class_sizes(&cols, &distinct, Some(&skip)), expected, "{distinct:?}");
        }
        assert!(KeyLayout::new(&[40_000, 30_000, 40_000, 30_000, 25_000]).bits() > 64);
    }
}
