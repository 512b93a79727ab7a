//! Rolling up into a dense array: when the coarser node's fields span few
//! combinations (a slot per combination fits in the cache or near it), every
//! class of the source adds its count to its combination's slot, with no
//! hashing at all, and the non-empty slots are the coarser classes.
//!
//! On 10 M stays the nodes that satisfy k-anonymity have a few thousand to a
//! few hundred thousand combinations; counting their classes this way takes a
//! third of the time of hashing them. Classes come out in slot order, so this
//! path serves only searches that need no order of first row.

use rayon::prelude::*;

use crate::key::{KeyLayout, PackedKey};

/// Most slots counted densely: 4 Mi × 4 bytes per thread.
const MAX_SLOTS: u64 = 1 << 22;

/// One field of the coarser key as a digit of the slot number.
struct Digit<'a> {
    shift: u32,
    mask: u32,
    /// Source code → coarser code, for the fields that change.
    lift: Option<&'a [u32]>,
    /// Codes this field can take in the coarser node.
    radix: u64,
    /// Place value of the digit.
    stride: u64,
}

/// The slot layout of one roll-up.
pub struct Dense<'a> {
    digits: Vec<Digit<'a>>,
    slots: usize,
}

impl<'a> Dense<'a> {
    /// The slot layout for rolling keys of `layout` up through `lifts`, or
    /// `None` when the coarser fields span too many combinations. A field
    /// that does not change spans its mask (at most twice its codes).
    pub fn plan(layout: &KeyLayout, lifts: &[(usize, &'a [u32])]) -> Option<Self> {
        let mut digits = Vec::with_capacity(layout.dimensions());
        let mut slots = 1u64;
        for dim in 0..layout.dimensions() {
            let lift = lifts.iter().find(|&&(d, _)| d == dim).map(|&(_, table)| table);
            let radix = match lift {
                Some(table) => u64::from(table.iter().copied().max().unwrap_or(0)) + 1,
                None => u64::from(layout.mask(dim)) + 1,
            };
            digits.push(Digit { shift: layout.shift(dim), mask: layout.mask(dim), lift, radix, stride: slots });
            slots = slots.checked_mul(radix).filter(|&s| s <= MAX_SLOTS)?;
        }
        Some(Dense { digits, slots: slots as usize })
    }

    fn slot<K: PackedKey>(&self, key: K) -> usize {
        self.digits.iter().fold(0u64, |slot, d| {
            let code = key.field(d.shift, d.mask);
            let digit = d.lift.map_or(code, |lift| lift[code as usize]);
            slot + u64::from(digit) * d.stride
        }) as usize
    }

    fn key<K: PackedKey>(&self, slot: usize) -> K {
        self.digits.iter().fold(K::ZERO, |key, d| {
            let digit = (slot as u64 / d.stride) % d.radix;
            key.with_field(d.shift, d.mask, digit as u32)
        })
    }

    /// The coarser classes of `keys` with `counts` (which add up to less
    /// than 2^32), in slot order; each thread counts its share of the keys
    /// into its own array.
    pub fn roll_up<K: PackedKey>(&self, keys: &[K], counts: &[u64]) -> (Vec<K>, Vec<u64>) {
        let share = keys.len().div_ceil(rayon::current_num_threads().max(1)).max(1);
        let totals = keys
            .par_chunks(share)
            .zip(counts.par_chunks(share))
            .map(|(keys, counts)| {
                let mut slots = crate::memory::written_zeros(self.slots, 0u32);
                for (&k, &n) in keys.iter().zip(counts) {
                    slots[self.slot(k)] += n as u32;
                }
                slots
            })
            .reduce_with(|mut a, b| {
                a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
                a
            })
            .unwrap_or_default();
        let (mut out_keys, mut out_counts) = (Vec::new(), Vec::new());
        for (slot, &n) in totals.iter().enumerate().filter(|&(_, &n)| n > 0) {
            out_keys.push(self.key(slot));
            out_counts.push(u64::from(n));
        }
        (out_keys, out_counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolls_up_like_lifting_each_key() {
        // Three fields of 5, 3 and 200 codes; the first and last are lifted.
        let layout = KeyLayout::new(&[5, 3, 200]);
        let first: Vec<u32> = vec![0, 0, 1, 1, 2];
        let last: Vec<u32> = (0..200).map(|c| c / 10).collect();
        let lifts = [(0, first.as_slice()), (2, last.as_slice())];
        let keys: Vec<u64> = (0..3000u32).map(|i| layout.pack([i % 5, i % 3, (i * 7) % 200])).collect();
        let counts: Vec<u64> = (0..3000u64).map(|i| 1 + i % 4).collect();
        let dense = Dense::plan(&layout, &lifts).expect("few combinations");
        let (got_keys, got_counts) = dense.roll_up(&keys, &counts);

        let mut expected = std::collections::BTreeMap::<u64, u64>::new();
        for (&k, &n) in keys.iter().zip(&counts) {
            let lifted: u64 =
                layout.pack([first[layout.get(k, 0) as usize], layout.get(k, 1), last[layout.get(k, 2) as usize]]);
            *expected.entry(lifted).or_default() += n;
        }
        let mut got: Vec<(u64, u64)> = got_keys.into_iter().zip(got_counts).collect();
        got.sort_unstable();
        assert_eq!(got, expected.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn refuses_too_many_combinations() {
        let layout = KeyLayout::new(&[1 << 12, 1 << 12]);
        assert!(Dense::plan(&layout, &[]).is_none());
        let top = vec![0u32; 1 << 12];
        assert!(Dense::plan(&layout, &[(0, top.as_slice())]).is_some());
    }
}
