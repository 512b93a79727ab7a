//! The generalization lattice: every level vector over the quasi-identifiers.

/// A node of the lattice, numbered in mixed radix (quasi-identifier 0 is the
/// least significant digit, as ARX's JHPL numbers its nodes).
pub type NodeId = u64;

/// The lattice of full-domain generalizations: level vectors `t` with
/// `0 <= t[i] <= max[i]`, ordered componentwise (a node's successors generalize
/// one quasi-identifier by one more level).
#[derive(Debug, Clone)]
pub struct Lattice {
    max: Vec<u8>,
    strides: Vec<u64>,
    size: u64,
}

impl Lattice {
    /// The lattice with the given maximum level per quasi-identifier; `None`
    /// when its size does not fit in 64 bits.
    pub fn new(max: Vec<u8>) -> Option<Self> {
        let mut strides = Vec::with_capacity(max.len());
        let mut size: u64 = 1;
        for &m in &max {
            strides.push(size);
            size = size.checked_mul(m as u64 + 1)?;
        }
        Some(Lattice { max, strides, size })
    }

    /// Number of nodes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Number of quasi-identifiers.
    pub fn dimensions(&self) -> usize {
        self.max.len()
    }

    /// Maximum level per quasi-identifier.
    pub fn max(&self) -> &[u8] {
        &self.max
    }

    /// The node with all levels 0 (the original data).
    pub fn bottom(&self) -> NodeId {
        0
    }

    /// The node with all levels at their maximum.
    pub fn top(&self) -> NodeId {
        self.size - 1
    }

    /// Sum of the levels of the top node.
    pub fn height(&self) -> u32 {
        self.max.iter().map(|&m| m as u32).sum()
    }

    /// The id distance between nodes differing by one level in quasi-identifier `i`.
    pub fn stride(&self, i: usize) -> u64 {
        self.strides[i]
    }

    /// The node of a level vector (levels must be within bounds).
    pub fn id(&self, levels: &[u8]) -> NodeId {
        levels.iter().zip(&self.strides).map(|(&l, &s)| l as u64 * s).sum()
    }

    /// Writes the level vector of `node` into `out`.
    pub fn levels_into(&self, node: NodeId, out: &mut [u8]) {
        let mut rest = node;
        for (i, &m) in self.max.iter().enumerate() {
            let radix = m as u64 + 1;
            out[i] = (rest % radix) as u8;
            rest /= radix;
        }
    }

    /// The level vector of `node`.
    pub fn levels(&self, node: NodeId) -> Vec<u8> {
        let mut out = vec![0; self.max.len()];
        self.levels_into(node, &mut out);
        out
    }

    /// Sum of the levels of `node` (its height in the lattice).
    pub fn level_sum(&self, node: NodeId) -> u32 {
        let mut rest = node;
        let mut sum = 0;
        for &m in &self.max {
            let radix = m as u64 + 1;
            sum += (rest % radix) as u32;
            rest /= radix;
        }
        sum
    }

    /// Calls `f` with each direct successor of `node` (one level up in one dimension).
    pub fn for_each_successor(&self, node: NodeId, mut f: impl FnMut(NodeId)) {
        let mut rest = node;
        for (i, &m) in self.max.iter().enumerate() {
            let radix = m as u64 + 1;
            if rest % radix < m as u64 {
                f(node + self.strides[i]);
            }
            rest /= radix;
        }
    }

    /// Calls `f` with each direct predecessor of `node`.
    pub fn for_each_predecessor(&self, node: NodeId, mut f: impl FnMut(NodeId)) {
        let mut rest = node;
        for (i, &m) in self.max.iter().enumerate() {
            let radix = m as u64 + 1;
            if !rest.is_multiple_of(radix) {
                f(node - self.strides[i]);
            }
            rest /= radix;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_nodes_in_mixed_radix_and_walks_neighbours() {
        let l = Lattice::new(vec![1, 2]).unwrap();
        assert_eq!(l.size(), 6);
        assert_eq!(l.id(&[1, 2]), 5);
        assert_eq!(l.levels(3), vec![1, 1]);
        assert_eq!(l.level_sum(5), 3);
        let mut succ = Vec::new();
        l.for_each_successor(0, |s| succ.push(s));
        assert_eq!(succ, vec![1, 2]);
        let mut pred = Vec::new();
        l.for_each_predecessor(5, |p| pred.push(p));
        assert_eq!(pred, vec![4, 3]);
    }

    #[test]
    fn refuses_lattices_beyond_64_bits() {
        assert!(Lattice::new(vec![255; 9]).is_none());
    }
}
