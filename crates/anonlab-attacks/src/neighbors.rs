//! Exact k-nearest-neighbour search under the mixed-type distance of the
//! attacks: per column, `|a − b| / range` for numbers and 0/1 for categories,
//! summed (Gower's distance without the division by the column count, as in
//! Anonymeter).
//!
//! Anonymeter compares every target with every release row (brute force,
//! JIT-compiled). Here the release's distinct points go into a vantage-point
//! tree: the distance is a metric (each term is one), so whole subtrees are
//! skipped by the triangle inequality, and a target whose exact values occur
//! in the release is answered from a hash table without searching at all.
//!
//! Two deliberate differences from Anonymeter: NULL against NULL is distance
//! 0 and NULL against a value is 1 (Anonymeter counts NULL–NULL as 1 and
//! NULL–number as NaN, which sorts such rows last or arbitrarily); and ties
//! are broken by the lower row index, so results are reproducible (numpy's
//! unstable argsort picks an arbitrary row among equally near ones).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::frame::{Field, Frame, Kind, NULL, Values};

/// A neighbour: its distance and its row in the searched table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    /// Mixed-type distance to the query.
    pub distance: f64,
    /// Row index in the table the index was built on.
    pub row: usize,
}

impl Eq for Neighbor {}

impl Ord for Neighbor {
    fn cmp(&self, other: &Self) -> Ordering {
        self.distance.total_cmp(&other.distance).then(self.row.cmp(&other.row))
    }
}

impl PartialOrd for Neighbor {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Points in a dense row-major layout over the chosen columns: numbers
/// divided by their range (NaN for NULL), categories as their code.
#[derive(Debug, Clone)]
pub struct Points {
    categorical: Vec<bool>,
    values: Vec<f64>,
}

impl Points {
    /// The rows of `frame` over `columns` (schema positions into `fields`).
    pub fn new(frame: &Frame, fields: &[Field], columns: &[usize]) -> Self {
        let categorical: Vec<bool> =
            columns.iter().map(|&c| matches!(fields[c].kind, Kind::Categorical { .. })).collect();
        let dims = columns.len();
        let mut values = vec![0.0; frame.rows() * dims];
        for (d, &c) in columns.iter().enumerate() {
            match (frame.column(c), &fields[c].kind) {
                (Values::Numeric(v), Kind::Numeric { range, .. }) => {
                    for (r, x) in v.iter().enumerate() {
                        values[r * dims + d] = x / range;
                    }
                }
                (Values::Categorical(v), _) => {
                    for (r, &x) in v.iter().enumerate() {
                        values[r * dims + d] = if x == NULL { -1.0 } else { f64::from(x) };
                    }
                }
                (Values::Numeric(_), Kind::Categorical { .. }) => unreachable!("frame and fields disagree"),
            }
        }
        Points { categorical, values }
    }

    /// Number of dimensions.
    pub fn dims(&self) -> usize {
        self.categorical.len()
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.dims()).unwrap_or(0)
    }

    /// True when there are no points.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The coordinates of point `i`.
    pub fn point(&self, i: usize) -> &[f64] {
        let d = self.dims();
        &self.values[i * d..(i + 1) * d]
    }

    /// The mixed-type distance between two points of this layout.
    pub fn distance(&self, a: &[f64], b: &[f64]) -> f64 {
        let mut sum = 0.0;
        for ((&x, &y), &cat) in a.iter().zip(b).zip(&self.categorical) {
            sum += term(x, y, cat);
        }
        sum
    }
}

#[inline]
fn term(x: f64, y: f64, categorical: bool) -> f64 {
    if categorical {
        if x == y { 0.0 } else { 1.0 }
    } else {
        match (x.is_nan(), y.is_nan()) {
            (false, false) => (x - y).abs(),
            (true, true) => 0.0,
            _ => 1.0,
        }
    }
}

fn key(point: &[f64]) -> Vec<u64> {
    point.iter().map(|x| if x.is_nan() { f64::NAN.to_bits() } else { (x + 0.0).to_bits() }).collect()
}

/// Rounding slack of the tree's pruning bounds (distances are sums of at most
/// a few hundred terms in [0, 1]).
const SLACK: f64 = 1e-9;

/// An exact k-nearest-neighbour index over one table.

#[derive(Debug)]
pub struct Neighbors {
    points: Points,
    /// Rows of each distinct point, ascending.
    rows: Vec<Vec<usize>>,
    exact: FxHashMap<Vec<u64>, usize>,
    /// Distinct points in vantage-point-tree order (see `build`).
    order: Vec<usize>,
    /// Median distance to the vantage point at each position of `order`.
    radius: Vec<f64>,
}

impl Neighbors {
    /// Indexes the rows of `frame` over `columns`.
    pub fn build(frame: &Frame, fields: &[Field], columns: &[usize]) -> Self {
        let all = Points::new(frame, fields, columns);
        let mut exact: FxHashMap<Vec<u64>, usize> = FxHashMap::default();
        let mut rows: Vec<Vec<usize>> = Vec::new();
        let mut distinct = Vec::new();
        for r in 0..all.len() {
            let id = *exact.entry(key(all.point(r))).or_insert_with(|| {
                rows.push(Vec::new());
                distinct.push(r);
                rows.len() - 1
            });
            rows[id].push(r);
        }
        let dims = all.dims();
        let mut values = Vec::with_capacity(distinct.len() * dims);
        for &r in &distinct {
            values.extend_from_slice(all.point(r));
        }
        let points = Points { categorical: all.categorical, values };
        let mut order: Vec<usize> = (0..points.len()).collect();
        let mut radius = vec![0.0; order.len()];
        build(&points, &mut order, &mut radius, &mut Vec::new());
        Neighbors { points, rows, exact, order, radius }
    }

    /// Number of indexed rows.
    pub fn rows(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }

    /// The `k` rows nearest to `query` (a point of the same layout), nearest
    /// first; among equally near rows the lower index wins.
    pub fn nearest(&self, query: &[f64], k: usize) -> Vec<Neighbor> {
        if k == 0 || self.order.is_empty() {
            return Vec::new();
        }
        if let Some(&id) = self.exact.get(&key(query))
            && self.rows[id].len() >= k
        {
            return self.rows[id][..k].iter().map(|&row| Neighbor { distance: 0.0, row }).collect();
        }
        let mut heap = BinaryHeap::with_capacity(k + 1);
        self.search(query, k, 0, self.order.len(), &mut heap);
        heap.into_sorted_vec()
    }

    /// [`Neighbors::nearest`] for rows `targets` of `frame` (encoded with the
    /// same fields), in parallel.
    pub fn nearest_rows(
        &self,
        frame: &Frame,
        fields: &[Field],
        columns: &[usize],
        targets: &[usize],
        k: usize,
    ) -> Vec<Vec<Neighbor>> {
        let queries = Points::new(&frame.select(targets), fields, columns);
        (0..targets.len()).into_par_iter().map(|i| self.nearest(queries.point(i), k)).collect()
    }

    fn search(&self, query: &[f64], k: usize, start: usize, end: usize, heap: &mut BinaryHeap<Neighbor>) {
        if start >= end {
            return;
        }
        let id = self.order[start];
        let d = self.points.distance(query, self.points.point(id));
        for &row in &self.rows[id] {
            let candidate = Neighbor { distance: d, row };
            if heap.len() < k {
                heap.push(candidate);
            } else if candidate < *heap.peek().expect("k > 0") {
                heap.pop();
                heap.push(candidate);
            } else {
                break;
            }
        }
        let (inside_end, mu) = (start + 1 + (end - start - 1) / 2, self.radius[start]);
        let tau = |heap: &BinaryHeap<Neighbor>| {
            if heap.len() < k { f64::INFINITY } else { heap.peek().expect("k > 0").distance }
        };
        // Visit the side the query falls in first: it tightens tau sooner.
        // The bounds get a little slack: sums rounded in another order could
        // otherwise prune a point exactly as near as the k-th (a tie that the
        // lower row index must win).
        if d <= mu {
            self.search(query, k, start + 1, inside_end, heap);
            if d + tau(heap) + SLACK >= mu {
                self.search(query, k, inside_end, end, heap);
            }
        } else {
            self.search(query, k, inside_end, end, heap);
            if d - tau(heap) - SLACK <= mu {
                self.search(query, k, start + 1, inside_end, heap);
            }
        }
    }
}

/// Arranges `order[..]` as a vantage-point tree: position 0 is the vantage
/// point, the next half (rounded down) are the points within `radius[0]` of
/// it, the rest are at `radius[0]` or farther; both halves recursively so.
fn build(points: &Points, order: &mut [usize], radius: &mut [f64], scratch: &mut Vec<(f64, usize)>) {
    let n = order.len();
    if n <= 1 {
        return;
    }
    let vantage = points.point(order[0]);
    scratch.clear();
    scratch.extend(order[1..].iter().map(|&p| (points.distance(vantage, points.point(p)), p)));
    let half = (n - 1) / 2;
    if half > 0 {
        scratch.select_nth_unstable_by(half - 1, |a, b| a.0.total_cmp(&b.0));
        // The inside half's largest distance is the radius; everything after is ≥ it.
        radius[0] = scratch[..half].iter().map(|x| x.0).fold(f64::NEG_INFINITY, f64::max);
    } else {
        radius[0] = scratch[0].0;
    }
    for (slot, &(_, p)) in order[1..].iter_mut().zip(scratch.iter()) {
        *slot = p;
    }
    let (inside, outside) = order[1..].split_at_mut(half);
    let (r_inside, r_outside) = radius[1..].split_at_mut(half);
    build(points, inside, r_inside, scratch);
    build(points, outside, r_outside, scratch);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::encode;
    use anonlab_table::io::csv::{CsvOptions, read_csv};
    use proptest::prelude::*;

    fn brute(points: &Points, query: &[f64], k: usize) -> Vec<Neighbor> {
        let mut all: Vec<Neighbor> = (0..points.len())
            .map(|row| Neighbor { distance: points.distance(query, points.point(row)), row })
            .collect();
        all.sort();
        all.truncate(k);
        all
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn tree_equals_brute_force(
            rows in prop::collection::vec((0u8..6, 0u8..3, prop::option::of(0u8..20)), 1..120),
            queries in prop::collection::vec((0u8..7, 0u8..4, prop::option::of(0u8..25)), 1..10),
            k in 1usize..6,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let write = |name: &str, rows: &[(u8, u8, Option<u8>)]| {
                let mut text = String::from("a,b,c\n");
                for (a, b, c) in rows {
                    text.push_str(&format!("{a},x{b},{}\n", c.map(|c| (f64::from(c) / 3.0).to_string()).unwrap_or_default()));
                }
                let path = dir.path().join(name);
                std::fs::write(&path, text).unwrap();
                read_csv(&path, &CsvOptions::default()).unwrap()
            };
            let (t, q) = (write("t.csv", &rows), write("q.csv", &queries));
            let e = encode(&[("release", &t), ("targets", &q)], &[]).unwrap();
            let cols = [0, 1, 2];
            let index = Neighbors::build(&e.frames[0], &e.fields, &cols);
            let points = Points::new(&e.frames[0], &e.fields, &cols);
            let qp = Points::new(&e.frames[1], &e.fields, &cols);
            for i in 0..qp.len() {
                let got = index.nearest(qp.point(i), k);
                let want = brute(&points, qp.point(i), k);
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn null_matches_null_and_is_far_from_values() {
        let p = Points { categorical: vec![false, true], values: vec![] };
        assert_eq!(p.distance(&[f64::NAN, 1.0], &[f64::NAN, 1.0]), 0.0);
        assert_eq!(p.distance(&[f64::NAN, 1.0], &[0.5, 2.0]), 2.0);
        assert_eq!(p.distance(&[0.25, -1.0], &[0.5, -1.0]), 0.25);
    }
}
