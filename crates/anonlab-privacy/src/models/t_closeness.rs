//! t-closeness: equal, ordered and hierarchical earth mover's distance.

use serde::{Deserialize, Serialize};

use crate::classes::Histogram;

/// Which ground distance the earth mover's distance uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TClosenessVariant {
    /// Every pair of values is at distance 1 (categorical data).
    Equal,
    /// Values at distance |i − j| / (m − 1) in the column's type order.
    Ordered,
    /// Distance is the height of the lowest common ancestor in the attribute's hierarchy.
    Hierarchical,
}

/// t-closeness on one sensitive attribute.
///
/// # Definition
/// For every class, the earth mover's distance between the class's sensitive
/// distribution P and the whole table's Q is at most t.
///
/// # Citations
/// N. Li, T. Li, S. Venkatasubramanian, "t-closeness: privacy beyond k-anonymity
/// and l-diversity", ICDE 2007.
///
/// # ARX semantics
/// Q is taken over all input records, suppressed ones included. Equal:
/// ½ Σ |pᵢ − qᵢ|. Ordered: Σᵢ |Σ_{j≤i} (pⱼ − qⱼ)| ≤ t (m − 1) over all m values in
/// type order (NULL last). Hierarchical: Σ over inner nodes of
/// (level / H) · min(positive, negative extra), divided by |table| · |class|.
/// Unlike ARX we accumulate the hierarchical extras in 128-bit integers, so
/// large tables do not overflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TCloseness {
    /// The sensitive attribute.
    pub attribute: String,
    /// The ground distance.
    pub variant: TClosenessVariant,
    /// The largest acceptable distance, in [0, 1].
    pub t: f64,
}

/// The whole table's view of the sensitive attribute that t-closeness needs.
#[derive(Debug, Clone, Copy)]
pub struct Reference<'a> {
    /// Records per sensitive code over the whole input.
    pub frequencies: &'a [u64],
    /// Sensitive codes in the type's order (NULL last).
    pub order: &'a [u32],
    /// For the hierarchical variant, `up[level][code]` = parent code at `level + 1`.
    pub up: Option<&'a [&'a [u32]]>,
}

impl TCloseness {
    /// Human description.
    pub fn describe(&self) -> String {
        let v = match self.variant {
            TClosenessVariant::Equal => "equal",
            TClosenessVariant::Ordered => "ordered",
            TClosenessVariant::Hierarchical => "hierarchical",
        };
        format!("{v}-distance-{}-closeness({})", self.t, self.attribute)
    }

    /// Validates `t` and prepares the check against the table's distribution.
    pub fn prepare(&self, reference: Reference<'_>) -> Result<Check, String> {
        if !(0.0..=1.0).contains(&self.t) {
            return Err(format!("t must lie in [0, 1], got {}", self.t));
        }
        let total: u64 = reference.frequencies.iter().sum();
        if total == 0 {
            return Err("t-closeness needs a non-empty table".into());
        }
        let q: Vec<f64> = reference.frequencies.iter().map(|&f| f as f64 / total as f64).collect();
        Ok(match self.variant {
            TClosenessVariant::Equal => Check::Equal { t: self.t, q },
            TClosenessVariant::Ordered => {
                let m = reference.order.len();
                let mut rank = vec![0u32; m];
                for (r, &code) in reference.order.iter().enumerate() {
                    rank[code as usize] = r as u32;
                }
                let q_ordered = reference.order.iter().map(|&c| q[c as usize]).collect();
                Check::Ordered { threshold: self.t * (m as f64 - 1.0), rank, q_ordered }
            }
            TClosenessVariant::Hierarchical => {
                let up = reference
                    .up
                    .ok_or_else(|| format!("hierarchical t-closeness needs a hierarchy for '{}'", self.attribute))?;
                Check::Hierarchical {
                    t: self.t,
                    total,
                    frequencies: reference.frequencies.to_vec(),
                    up: up.iter().map(|u| u.to_vec()).collect(),
                }
            }
        })
    }
}

/// The prepared per-class check.
#[derive(Debug, Clone)]
pub enum Check {
    /// Equal-distance EMD.
    Equal {
        /// t
        t: f64,
        /// Table distribution per code.
        q: Vec<f64>,
    },
    /// Ordered-distance EMD.
    Ordered {
        /// t · (m − 1)
        threshold: f64,
        /// Rank of each code in the order.
        rank: Vec<u32>,
        /// Table distribution in rank order.
        q_ordered: Vec<f64>,
    },
    /// Hierarchical EMD.
    Hierarchical {
        /// t
        t: f64,
        /// Records in the table.
        total: u64,
        /// Records per code in the table.
        frequencies: Vec<u64>,
        /// Parent maps per level.
        up: Vec<Vec<u32>>,
    },
}

impl Check {
    /// The distance of one class from the table (for reports and tests).
    pub fn distance(&self, count: u64, h: Histogram<'_>) -> f64 {
        let n = count as f64;
        match self {
            Check::Equal { q, .. } => {
                let mut val = 1.0;
                for (&code, &f) in h.codes.iter().zip(h.counts) {
                    let qi = q[code as usize];
                    val += (qi - f as f64 / n).abs() - qi;
                }
                val / 2.0
            }
            Check::Ordered { rank, q_ordered, .. } => {
                let m = q_ordered.len();
                let dist = ordered_walk(rank, q_ordered, count, h, f64::INFINITY);
                if m > 1 { dist / (m as f64 - 1.0) } else { 0.0 }
            }
            Check::Hierarchical { total, frequencies, up, .. } => {
                let (big_p, big_q) = (*total as i128, count as i128);
                let mut extra: Vec<i128> = frequencies.iter().map(|&f| -(f as i128) * big_q).collect();
                for (&code, &f) in h.codes.iter().zip(h.counts) {
                    extra[code as usize] += f as i128 * big_p;
                }
                let height = up.len() as f64;
                let mut cost = 0.0;
                for (level, parent) in up.iter().enumerate() {
                    let nodes = parent.iter().max().map_or(0, |&m| m as usize + 1);
                    let (mut pos, mut neg) = (vec![0i128; nodes], vec![0i128; nodes]);
                    for (child, &e) in extra.iter().enumerate() {
                        let p = parent[child] as usize;
                        if e > 0 { pos[p] += e } else { neg[p] -= e }
                    }
                    let weight = (level + 1) as f64 / height;
                    for (p, n) in pos.iter().zip(&neg) {
                        cost += weight * (*p.min(n) as f64);
                    }
                    extra = pos.iter().zip(&neg).map(|(p, n)| p - n).collect();
                }
                cost / (*total as f64 * count as f64)
            }
        }
    }

    /// Checks one class of `count` records.
    pub fn passes(&self, count: u64, h: Histogram<'_>) -> bool {
        match self {
            Check::Equal { t, .. } | Check::Hierarchical { t, .. } => self.distance(count, h) <= *t,
            Check::Ordered { threshold, rank, q_ordered } => {
                ordered_walk(rank, q_ordered, count, h, *threshold) <= *threshold
            }
        }
    }
}

/// Σᵢ |Σ_{j≤i} (pⱼ − qⱼ)| over the values in type order (ARX's unnormalized
/// ordered distance), stopping as soon as it exceeds `stop`.
fn ordered_walk(rank: &[u32], q_ordered: &[f64], count: u64, h: Histogram<'_>, stop: f64) -> f64 {
    let n = count as f64;
    let mut p = vec![0.0; q_ordered.len()];
    for (&code, &f) in h.codes.iter().zip(h.counts) {
        p[rank[code as usize] as usize] = f as f64 / n;
    }
    let (mut sum, mut dist) = (0.0, 0.0);
    for (pi, qi) in p.iter().zip(q_ordered) {
        sum += pi - qi;
        dist += f64::abs(sum);
        if dist > stop {
            break;
        }
    }
    dist
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist<'a>(codes: &'a [u32], counts: &'a [u64]) -> Histogram<'a> {
        Histogram { codes, counts }
    }

    /// The salary example of Li et al. (ICDE 2007): salaries 3k..11k, one each;
    /// the class {3k, 4k, 5k} is at ordered distance 0.375 and {6k, 8k, 11k} at 0.167.
    #[test]
    fn ordered_distance_matches_the_paper() {
        let freq = [1u64; 9];
        let order: Vec<u32> = (0..9).collect();
        let model = TCloseness { attribute: "salary".into(), variant: TClosenessVariant::Ordered, t: 0.2 };
        let check = model.prepare(Reference { frequencies: &freq, order: &order, up: None }).unwrap();
        let low = check.distance(3, hist(&[0, 1, 2], &[1, 1, 1]));
        assert!((low - 0.375).abs() < 1e-12, "{low}");
        let spread = check.distance(3, hist(&[3, 5, 8], &[1, 1, 1]));
        assert!((spread - 1.0 / 6.0).abs() < 1e-12, "{spread}");
        assert!(!check.passes(3, hist(&[0, 1, 2], &[1, 1, 1])));
        assert!(check.passes(3, hist(&[3, 5, 8], &[1, 1, 1])));
    }

    #[test]
    fn equal_distance_is_half_the_l1_distance() {
        let freq = [2u64, 1, 1];
        let model = TCloseness { attribute: "d".into(), variant: TClosenessVariant::Equal, t: 0.5 };
        let check = model.prepare(Reference { frequencies: &freq, order: &[0, 1, 2], up: None }).unwrap();
        // class {0, 0}: |1 - .5| + .25 + .25 = 1 -> 0.5
        assert!((check.distance(2, hist(&[0], &[2])) - 0.5).abs() < 1e-12);
        assert!(check.passes(2, hist(&[0], &[2])));
    }

    /// A class holding one record of each leaf of one subtree, in a three-level tree
    /// over nine equally frequent values. By hand: leaf extras (class·P − table·Q)
    /// are +6 ×3 and −3 ×6; level 1 cancels nothing; level 2 moves 6 at weight ⅔
    /// (cost 4); the root moves 12 at weight 1; total 16 / (9 · 3) = 16/27.
    #[test]
    fn hierarchical_distance_matches_hand_computation() {
        let freq = [1u64; 9];
        let level1: Vec<u32> = vec![0, 0, 0, 1, 1, 2, 2, 2, 3];
        let level2: Vec<u32> = vec![0, 0, 1, 1];
        let level3: Vec<u32> = vec![0, 0];
        let up: Vec<&[u32]> = vec![&level1, &level2, &level3];
        let model = TCloseness { attribute: "disease".into(), variant: TClosenessVariant::Hierarchical, t: 0.5 };
        let order: Vec<u32> = (0..9).collect();
        let check = model.prepare(Reference { frequencies: &freq, order: &order, up: Some(&up) }).unwrap();
        let d = check.distance(3, hist(&[0, 1, 2], &[1, 1, 1]));
        assert!((d - 16.0 / 27.0).abs() < 1e-12, "{d}");
        assert!(!check.passes(3, hist(&[0, 1, 2], &[1, 1, 1])));
        let all = check.distance(9, hist(&order, &freq));
        assert!(all.abs() < 1e-12);
    }
}
