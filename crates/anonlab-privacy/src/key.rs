//! Bit-packed class keys: one field per quasi-identifier.
//!
//! A generalized record is packed into one integer with a fixed bit field per
//! quasi-identifier, wide enough for the column's level-0 codes (codes at any
//! higher level are smaller). Rolling a class up one dimension rewrites one
//! field with a shift and a mask, with no division.

use std::hash::Hash;

/// An unsigned integer used as a packed class key.
pub trait PackedKey:
    Copy
    + Eq
    + Hash
    + Ord
    + Send
    + Sync
    + std::fmt::Debug
    + std::ops::BitAnd<Output = Self>
    + std::ops::BitOr<Output = Self>
    + std::ops::Not<Output = Self>
    + std::ops::Shl<u32, Output = Self>
    + From<u32>
    + 'static
{
    /// Number of bits available.
    const BITS: u32;
    /// The all-zero key.
    const ZERO: Self;
    /// Reads the field at `shift` of width `mask`.
    fn field(self, shift: u32, mask: u32) -> u32;
    /// Returns the key with the field at `shift` set to `value` (which fits `mask`).
    fn with_field(self, shift: u32, mask: u32, value: u32) -> Self;
    /// The key folded into 64 bits, for hashing.
    fn spread(self) -> u64;

    /// The key's partition among 2^`bits` partitions (at most 64 bits): the
    /// top bits of a Fibonacci hash, which mix every key bit; 0 for no bits.
    #[inline]
    fn partition(self, bits: u32) -> usize {
        const FIBONACCI: u64 = 0x9E37_79B9_7F4A_7C15;
        if bits == 0 { 0 } else { (self.spread().wrapping_mul(FIBONACCI) >> (64 - bits)) as usize }
    }
}

macro_rules! packed_key {
    ($t:ty) => {
        impl PackedKey for $t {
            const BITS: u32 = <$t>::BITS;
            const ZERO: Self = 0;
            #[inline]
            fn field(self, shift: u32, mask: u32) -> u32 {
                ((self >> shift) as u32) & mask
            }
            #[inline]
            fn with_field(self, shift: u32, mask: u32, value: u32) -> Self {
                (self & !((mask as $t) << shift)) | ((value as $t) << shift)
            }
            #[inline]
            #[allow(clippy::unnecessary_cast)]
            fn spread(self) -> u64 {
                (self as u64) ^ ((self as u128 >> 64) as u64).rotate_left(32)
            }
        }
    };
}
packed_key!(u32);
packed_key!(u64);
packed_key!(u128);

/// The field layout of keys for a set of quasi-identifiers.
#[derive(Debug, Clone)]
pub struct KeyLayout {
    shifts: Vec<u32>,
    masks: Vec<u32>,
    bits: u32,
}

impl KeyLayout {
    /// Lays out fields for columns with `domains[i]` level-0 codes each.
    pub fn new(domains: &[usize]) -> Self {
        let mut shifts = Vec::with_capacity(domains.len());
        let mut masks = Vec::with_capacity(domains.len());
        let mut bits = 0;
        for &d in domains {
            let width = usize::BITS - d.saturating_sub(1).leading_zeros();
            shifts.push(bits);
            masks.push(if width == 0 { 0 } else { u32::MAX >> (32 - width) });
            bits += width;
        }
        KeyLayout { shifts, masks, bits }
    }

    /// Number of fields.
    pub fn dimensions(&self) -> usize {
        self.shifts.len()
    }

    /// Total bits needed.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Shift of field `i`.
    #[inline]
    pub fn shift(&self, i: usize) -> u32 {
        self.shifts[i]
    }

    /// Mask of field `i`.
    #[inline]
    pub fn mask(&self, i: usize) -> u32 {
        self.masks[i]
    }

    /// Packs codes into a key.
    #[inline]
    pub fn pack<K: PackedKey>(&self, codes: impl IntoIterator<Item = u32>) -> K {
        let mut key = K::ZERO;
        for (i, c) in codes.into_iter().enumerate() {
            key = key.with_field(self.shifts[i], self.masks[i], c);
        }
        key
    }

    /// Reads field `i` of `key`.
    #[inline]
    pub fn get<K: PackedKey>(&self, key: K, i: usize) -> u32 {
        key.field(self.shifts[i], self.masks[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_rewrites_fields() {
        let layout = KeyLayout::new(&[2, 74, 1, 5]);
        assert_eq!(layout.bits(), 1 + 7 + 3);
        let key: u64 = layout.pack([1, 73, 0, 4]);
        assert_eq!(layout.get(key, 1), 73);
        assert_eq!(layout.get(key, 3), 4);
        let rolled = key.with_field(layout.shift(1), layout.mask(1), 5);
        assert_eq!(layout.get(rolled, 1), 5);
        assert_eq!(layout.get(rolled, 0), 1);
        assert_eq!(layout.get(rolled, 3), 4);
    }
}
