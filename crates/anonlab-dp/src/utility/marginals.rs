//! Total-variation distance of k-way marginals, and which marginals to count.

use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashSet;

use super::encode::EncodedTable;

/// Counting cells in arrays is fastest while the cross product of the
/// columns' cells stays small; past this, keys are sorted instead.
const DENSE_CELLS: u128 = 1 << 16;

/// The column combinations of size `k` among `columns`: all of them, or
/// `cap` drawn at random (seeded) when there are more. Returns the chosen
/// combinations in lexicographic order and the number there are in all.
pub(crate) fn combinations(columns: usize, k: usize, cap: Option<usize>, seed: u64) -> (Vec<Vec<usize>>, u128) {
    let total = binomial(columns as u128, k as u128);
    let cap = cap.map(|c| c as u128).filter(|&c| c < total);
    let mut chosen = match cap {
        // Enumerating is cheap when most combinations are kept anyway.
        None => all_combinations(columns, k),
        Some(cap) if cap * 2 >= total => {
            let all = all_combinations(columns, k);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            index::sample(&mut rng, all.len(), cap as usize).into_iter().map(|i| all[i].clone()).collect()
        }
        Some(cap) => {
            // Few of very many: draw subsets until enough distinct ones.
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut seen = FxHashSet::default();
            let mut out = Vec::with_capacity(cap as usize);
            while (out.len() as u128) < cap {
                let mut combo = index::sample(&mut rng, columns, k).into_vec();
                combo.sort_unstable();
                if seen.insert(combo.clone()) {
                    out.push(combo);
                }
            }
            out
        }
    };
    chosen.sort();
    (chosen, total)
}

fn binomial(n: u128, k: u128) -> u128 {
    if k > n {
        return 0;
    }
    (0..k).fold(1u128, |acc, i| acc * (n - i) / (i + 1))
}

fn all_combinations(columns: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut combo: Vec<usize> = (0..k).collect();
    if k > columns {
        return out;
    }
    loop {
        out.push(combo.clone());
        // Advance the rightmost position that can still move.
        let Some(i) = (0..k).rev().find(|&i| combo[i] < columns - k + i) else { return out };
        combo[i] += 1;
        for j in i + 1..k {
            combo[j] = combo[j - 1] + 1;
        }
    }
}

/// TVD = ½·Σ|p − q| between the real and the synthetic distribution over the
/// joint cells of `combo`: 0 for equal distributions, 1 for disjoint ones.
/// `cells[j]` is how many cells column `j` has in all tables.
pub(crate) fn tvd(real: &EncodedTable, synthetic: &EncodedTable, cells: &[u32], combo: &[usize]) -> f64 {
    let product: u128 = combo.iter().map(|&j| u128::from(cells[j])).product();
    if product <= DENSE_CELLS.max(2 * (real.rows + synthetic.rows) as u128) {
        let strides = strides(cells, combo);
        let key = |t: &EncodedTable, row: usize| -> usize {
            combo.iter().zip(&strides).map(|(&j, &s)| t.columns[j].cells[row] as usize * s as usize).sum()
        };
        let (nr, ns) = (real.rows as f64, synthetic.rows as f64);
        let mut r = vec![0u32; product as usize];
        let mut s = vec![0u32; product as usize];
        for row in 0..real.rows {
            r[key(real, row)] += 1;
        }
        for row in 0..synthetic.rows {
            s[key(synthetic, row)] += 1;
        }
        0.5 * r.iter().zip(&s).map(|(&a, &b)| (f64::from(a) / nr - f64::from(b) / ns).abs()).sum::<f64>()
    } else if product <= u128::from(u64::MAX) {
        let strides: Vec<u64> = strides(cells, combo).into_iter().map(|s| s as u64).collect();
        let keys = |t: &EncodedTable| -> Vec<u64> {
            (0..t.rows)
                .map(|row| combo.iter().zip(&strides).map(|(&j, &s)| u64::from(t.columns[j].cells[row]) * s).sum())
                .collect()
        };
        sorted_tvd(keys(real), keys(synthetic))
    } else {
        // Cells of up to three 32-bit columns always fit a 128-bit key.
        let strides = strides(cells, combo);
        let keys = |t: &EncodedTable| -> Vec<u128> {
            (0..t.rows)
                .map(|row| combo.iter().zip(&strides).map(|(&j, &s)| u128::from(t.columns[j].cells[row]) * s).sum())
                .collect()
        };
        sorted_tvd(keys(real), keys(synthetic))
    }
}

/// TVD between the distributions of two lists of cell keys, by sorting.
fn sorted_tvd<K: Ord + Copy>(mut r: Vec<K>, mut s: Vec<K>) -> f64 {
    let (nr, ns) = (r.len() as f64, s.len() as f64);
    r.sort_unstable();
    s.sort_unstable();
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < r.len() || j < s.len() {
        let key = match (r.get(i), s.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => unreachable!(),
        };
        let (i0, j0) = (i, j);
        while r.get(i) == Some(&key) {
            i += 1;
        }
        while s.get(j) == Some(&key) {
            j += 1;
        }
        sum += ((i - i0) as f64 / nr - (j - j0) as f64 / ns).abs();
    }
    0.5 * sum
}

/// Mixed-radix place values of the columns of `combo`.
fn strides(cells: &[u32], combo: &[usize]) -> Vec<u128> {
    let mut stride = 1u128;
    combo
        .iter()
        .map(|&j| {
            let s = stride;
            stride *= u128::from(cells[j]);
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_counting_agrees_with_hand_computation() {
        // ½·(|½ − ¼| + |½ − 0| + |0 − ¾|) = 0.75
        assert!((sorted_tvd(vec![3u64, 1, 3, 1], vec![7, 1, 7, 7]) - 0.75).abs() < 1e-12);
        assert_eq!(sorted_tvd(vec![5u128, 9], vec![9, 5]), 0.0);
    }

    #[test]
    fn combinations_enumerate_or_sample() {
        assert_eq!(all_combinations(4, 2).len(), 6);
        assert_eq!(all_combinations(9, 3).len(), 84);
        assert_eq!(all_combinations(3, 3), vec![vec![0, 1, 2]]);
        assert!(all_combinations(2, 3).is_empty());
        let (all, total) = combinations(9, 3, None, 1);
        assert_eq!((all.len(), total), (84, 84));
        // Capped: the same seed draws the same distinct combinations.
        for (columns, cap) in [(9, 50), (60, 100)] {
            let (a, total) = combinations(columns, 3, Some(cap), 7);
            let (b, _) = combinations(columns, 3, Some(cap), 7);
            assert_eq!(total, binomial(columns as u128, 3));
            assert_eq!(a.len(), cap);
            assert_eq!(a, b);
            assert_eq!(a.iter().collect::<FxHashSet<_>>().len(), cap);
            assert!(a.iter().all(|c| c[0] < c[1] && c[1] < c[2] && c[2] < columns));
        }
    }
}
