//! Seeded randomness. Each part of an attack draws from its own stream of one
//! seed, so changing how many numbers one part draws never shifts another's.

use std::hash::{BuildHasher, Hasher};

use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxBuildHasher;

/// The random stream `purpose` of `seed`.
pub fn stream(seed: u64, purpose: &str) -> ChaCha8Rng {
    let mut h = FxBuildHasher.build_hasher();
    h.write(purpose.as_bytes());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(h.finish());
    rng
}

/// `k` distinct indices below `n` (all of them when `k ≥ n`), in random order.
pub fn choose(rng: &mut ChaCha8Rng, n: usize, k: usize) -> Vec<usize> {
    index::sample(rng, n, k.min(n)).into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        assert_eq!(choose(&mut stream(7, "a"), 100, 5), choose(&mut stream(7, "a"), 100, 5));
        assert_ne!(choose(&mut stream(7, "a"), 100, 5), choose(&mut stream(7, "b"), 100, 5));
        let mut all = choose(&mut stream(1, "x"), 10, 50);
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }
}
