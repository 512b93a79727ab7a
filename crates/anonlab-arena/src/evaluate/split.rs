//! The seeded division of a challenge's dataset into train, control and test.

use anonlab_table::Table;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::challenge::SplitSpec;
use crate::error::{Error, Result};

/// A challenge's dataset divided three ways; the parts are disjoint and
/// together hold every row.
///
/// All three keep the dataset's column dictionaries, so a code means the
/// same value in every part (utility scoring relies on it).
#[derive(Debug, Clone)]
pub struct Split {
    /// What anonymizers see, and what attacks call the members.
    pub train: Table,
    /// Held out: Anonymeter's control records and the membership non-members.
    pub control: Table,
    /// Held out: the records utility classifiers are scored on.
    pub test: Table,
}

/// Leading bytes of the shuffle's key after the seed, so this stream can
/// never coincide with another ChaCha use of the same seed.
const DOMAIN: &[u8; 16] = b"anonlab split v1";

/// Splits `table`'s rows by `spec`, the same way for the same seed always.
///
/// Every submission of a challenge must be evaluated on the same rows, and a
/// challenge must keep its split across releases of anonlab, so the algorithm
/// is fixed here rather than left to a library's shuffle:
///
/// 1. A ChaCha20 stream keyed by the seed (little-endian, bytes 0–7), the tag
///    `anonlab split v1` (bytes 8–23) and zeros, from stream position 0.
/// 2. A Fisher–Yates shuffle of the row indices `0..n`: for `i` from `n − 1`
///    down to 1, swap `i` with `j = ⌊u · (i + 1) / 2⁶⁴⌋`, `u` the stream's next
///    64-bit word (little-endian). The bias of this multiply-shift is below
///    `n / 2⁶⁴`, far below anything a split could show.
/// 3. The first `round(train · n)` shuffled rows are `train`, the next
///    `round(control · n)` are `control`, the rest `test`; each part keeps
///    the dataset's row order.
///
/// # Errors
/// Shares that are not positive or leave no test part, or a dataset too small
/// to give every part a row.
pub fn split(table: &Table, spec: &SplitSpec) -> Result<Split> {
    let SplitSpec { seed, train, control } = *spec;
    if !(train > 0.0 && control > 0.0 && train + control < 1.0) {
        return Err(Error::invalid(format!(
            "split shares must be positive and leave a test part: train {train} + control {control} must be < 1"
        )));
    }
    let n = table.rows();
    let n_train = (train * n as f64).round() as usize;
    let n_control = (control * n as f64).round() as usize;
    if n_train == 0 || n_control == 0 || n_train + n_control >= n {
        return Err(Error::invalid(format!(
            "the dataset has {n} rows: too few to give train ({train}), control ({control}) and test a row each"
        )));
    }
    let order = shuffled(n, seed, DOMAIN);
    let part = |rows: &[u32]| {
        let mut rows = rows.to_vec();
        rows.sort_unstable();
        table.select_rows(&rows)
    };
    Ok(Split {
        train: part(&order[..n_train]),
        control: part(&order[n_train..n_train + n_control]),
        test: part(&order[n_train + n_control..]),
    })
}

/// The row indices `0..n` in the order of [`split`]'s shuffle; other fixed
/// divisions (the AnoMed challenge's) use it under their own `domain` tag.
pub(crate) fn shuffled(n: usize, seed: u64, domain: &[u8; 16]) -> Vec<u32> {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..24].copy_from_slice(domain);
    let mut rng = ChaCha20Rng::from_seed(key);
    let mut order: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
        order.swap(i, j);
    }
    order
}
