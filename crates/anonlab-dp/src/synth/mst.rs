//! MST's own steps between the measurements: domain compression after the
//! 1-way marginals, the per-pair counts, and the maximum-spanning-tree
//! selection by the exponential mechanism (McKenna's reference `mst.py`).

use rayon::prelude::*;

use super::columns::{Cells, UNKNOWN};
use super::model::pick;
use crate::error::Result;
use crate::mechanisms::{noisy_max, noisy_max_scale};

/// A column's cells after compression: groups of fine cells that the model
/// treats as one, with how to pick a fine cell inside a group when sampling.
#[derive(Debug, Clone)]
pub(crate) struct Groups {
    /// The fine cells of each group.
    pub members: Vec<Vec<u32>>,
    /// The group of each fine cell.
    pub of_fine: Vec<u32>,
    /// Per group, the cumulative chance of each member.
    pub within: Vec<Vec<f64>>,
}

impl Groups {
    /// Number of groups: the compressed domain size.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// The fine cell a draw `u` picks inside `group`.
    pub fn fine(&self, group: usize, u: f64) -> u32 {
        let members = &self.members[group];
        members[pick(&self.within[group], u)]
    }

    /// Sums fine-cell values into groups.
    pub fn sum(&self, fine: &[f64]) -> Vec<f64> {
        self.members.iter().map(|m| m.iter().map(|&f| fine[f as usize]).sum()).collect()
    }
}

/// MST's domain compression, a post-processing of the noisy 1-way counts
/// `noisy` (each of standard deviation `sd`): cells too small to tell from
/// noise (below 3σ) would only add noisy cells to every 2-way marginal, so
/// they are merged. Categories: every small one goes into one group, as in
/// MST. Bins: neighbours are merged left to right into about `bins` groups of
/// similar mass, each beyond 3σ; point masses and NULL stay on their own. Inside a group
/// the sampler picks a member in proportion to its noisy count less 2σ (so
/// pure noise rarely wins), falling back on the plain counts, then uniform.
pub(crate) fn compress(cells: &Cells, noisy: &[f64], sd: f64, bins: usize) -> Groups {
    let n = noisy.len();
    let mut members: Vec<Vec<u32>> = Vec::new();
    match cells {
        Cells::Categories(_) => {
            let mut small = Vec::new();
            for (i, &y) in noisy.iter().enumerate() {
                if y >= 3.0 * sd { members.push(vec![i as u32]) } else { small.push(i as u32) }
            }
            if !small.is_empty() {
                members.push(small);
            }
        }
        Cells::Bins(b) => {
            let total: f64 = noisy[..b.count].iter().map(|y| y.max(0.0)).sum();
            let target = total / bins.max(1) as f64;
            let mut current: Vec<u32> = Vec::new();
            let mut mass = 0.0;
            for (i, &y) in noisy[..b.count].iter().enumerate() {
                current.push(i as u32);
                mass += y;
                if mass >= target.max(3.0 * sd * (current.len() as f64).sqrt()) {
                    members.push(std::mem::take(&mut current));
                    mass = 0.0;
                }
            }
            if !current.is_empty() {
                match members.last_mut() {
                    Some(last) if mass < target / 2.0 => last.extend(current),
                    _ => members.push(current),
                }
            }
            members.extend((b.count..b.cells()).map(|c| vec![c as u32]));
        }
    }
    let mut of_fine = vec![0u32; n];
    for (g, m) in members.iter().enumerate() {
        for &f in m {
            of_fine[f as usize] = g as u32;
        }
    }
    let within = members
        .iter()
        .map(|m| {
            let weights =
                |shift: f64| -> Vec<f64> { m.iter().map(|&f| (noisy[f as usize] - shift).max(0.0)).collect() };
            let mut w = weights(2.0 * sd);
            if w.iter().sum::<f64>() <= 0.0 {
                w = weights(0.0);
            }
            if w.iter().sum::<f64>() <= 0.0 {
                w = vec![1.0; m.len()];
            }
            let total: f64 = w.iter().sum();
            let mut acc = 0.0;
            w.iter()
                .map(|x| {
                    acc += x / total;
                    acc
                })
                .collect()
        })
        .collect();
    Groups { members, of_fine, within }
}

/// The count of every cell pair of two columns (row-major in `a`), rows
/// unknown in either column left out.
pub(crate) fn pair_counts(a: &[u32], ka: usize, b: &[u32], kb: usize) -> Vec<i64> {
    let mut counts = vec![0i64; ka * kb];
    for (&x, &y) in a.iter().zip(b) {
        if x != UNKNOWN && y != UNKNOWN {
            counts[x as usize * kb + y as usize] += 1;
        }
    }
    counts
}

/// The pairs MST measures: d−1 rounds of the exponential mechanism (report
/// noisy max through OpenDP, `rho` split evenly over the rounds), each
/// picking among the pairs that join two not-yet-connected parts of the
/// tree, scored by the L1 distance between the true 2-way counts and those
/// the current independent estimate `expected` implies. A pair the model
/// already explains scores low; a strongly dependent pair scores high. One
/// person moves a score by at most 1. Returns the pairs and the ρ spent.
pub(crate) fn select(
    codes: &[Vec<u32>],
    sizes: &[usize],
    expected: &(dyn Fn(usize, usize) -> Vec<f64> + Sync),
    rho: f64,
) -> Result<(Vec<(usize, usize)>, f64)> {
    let d = codes.len();
    if d < 2 {
        return Ok((Vec::new(), 0.0));
    }
    let pairs: Vec<(usize, usize)> = (0..d).flat_map(|a| (a + 1..d).map(move |b| (a, b))).collect();
    let scores: Vec<f64> = pairs
        .par_iter()
        .map(|&(a, b)| {
            let counts = pair_counts(&codes[a], sizes[a], &codes[b], sizes[b]);
            counts.iter().zip(expected(a, b)).map(|(&x, e)| (x as f64 - e).abs()).sum()
        })
        .collect();
    let rounds = d - 1;
    let scale = noisy_max_scale(rho / rounds as f64, 1.0)?;
    // Union-find over columns.
    let mut parent: Vec<usize> = (0..d).collect();
    fn root(parent: &mut [usize], mut v: usize) -> usize {
        while parent[v] != v {
            parent[v] = parent[parent[v]];
            v = parent[v];
        }
        v
    }
    let (mut chosen, mut spent) = (Vec::with_capacity(rounds), 0.0);
    for _ in 0..rounds {
        let open: Vec<usize> = (0..pairs.len())
            .filter(|&i| {
                let (a, b) = pairs[i];
                root(&mut parent, a) != root(&mut parent, b)
            })
            .collect();
        let open_scores: Vec<f64> = open.iter().map(|&i| scores[i]).collect();
        let (pick, rho) = noisy_max(&open_scores, 1.0, scale)?;
        spent += rho;
        let (a, b) = pairs[open[pick]];
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        parent[ra] = rb;
        chosen.push((a, b));
    }
    Ok((chosen, spent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::columns::{Bins, NumberKind};

    #[test]
    fn small_categories_merge_into_one_group() {
        let cells = Cells::Categories(vec!["a".into(), "b".into(), "c".into(), "d".into()]);
        let g = compress(&cells, &[1000.0, 5.0, 800.0, -3.0], 10.0, 32);
        assert_eq!(g.members, vec![vec![0], vec![2], vec![1, 3]]);
        assert_eq!(g.of_fine, vec![0, 2, 1, 2]);
        // Inside the rare group, b (5) is picked over d (negative).
        assert_eq!(g.fine(2, 0.5), 1);
    }

    #[test]
    fn bins_merge_into_neighbours_of_similar_mass() {
        let b = Bins::new(0.0, 9.0, 10, NumberKind::Integer, true);
        let noisy = [100.0, 100.0, 100.0, 100.0, 2.0, -1.0, 0.0, 1.0, 400.0, 3.0, 50.0];
        let g = compress(&Cells::Bins(b), &noisy, 1.0, 4);
        // Target mass ≈ 857/4 ≈ 214: [0,1,2], [3..=8], [9] merges back; NULL alone.
        assert_eq!(g.members.last().unwrap(), &vec![10]);
        assert!(g.members.len() >= 3 && g.members.len() <= 5, "{:?}", g.members);
        let flat: Vec<u32> = g.members.iter().flatten().copied().collect();
        assert_eq!(flat, (0..11).collect::<Vec<u32>>());
    }

    #[test]
    fn pair_counts_skip_unknown_rows() {
        let c = pair_counts(&[0, 1, UNKNOWN, 1], 2, &[1, 1, 0, UNKNOWN], 2);
        assert_eq!(c, vec![0, 1, 0, 1]);
    }
}
