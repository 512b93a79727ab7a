//! The graphical model MST fits to its noisy marginals: a forest over the
//! columns (the selected pairs are its edges), parameterized by log-potentials
//! on every node and edge. Marginals are exact (belief propagation on a
//! tree); the potentials are fitted by entropic mirror descent on the
//! weighted squared error to the measurements, as private-pgm's
//! `FactoredInference` does (McKenna, Sheldon & Miklau 2019), so the result is
//! the consistent, non-negative distribution closest to what was measured,
//! not a clipped copy of the noise. Everything here is post-processing.

use rand::Rng;

/// A forest over `sizes.len()` nodes, each tree rooted at its lowest node.
#[derive(Debug, Clone)]
pub(crate) struct Forest {
    /// Cells of each node.
    pub sizes: Vec<usize>,
    /// Edges oriented parent → child.
    pub edges: Vec<(usize, usize)>,
    /// Nodes with every parent before its children.
    pub order: Vec<usize>,
    /// The edge to each node's parent (`None` for roots).
    pub up: Vec<Option<usize>>,
    /// Edges to each node's children.
    pub down: Vec<Vec<usize>>,
}

impl Forest {
    /// Orients the undirected `pairs` (which must not form a cycle).
    pub fn new(sizes: Vec<usize>, pairs: &[(usize, usize)]) -> Forest {
        let n = sizes.len();
        let mut adjacent: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(a, b) in pairs {
            adjacent[a].push(b);
            adjacent[b].push(a);
        }
        let (mut edges, mut order, mut up, mut down) = (Vec::new(), Vec::new(), vec![None; n], vec![Vec::new(); n]);
        let mut seen = vec![false; n];
        for root in 0..n {
            if seen[root] {
                continue;
            }
            seen[root] = true;
            let start = order.len();
            order.push(root);
            let mut next = start;
            while next < order.len() {
                let v = order[next];
                next += 1;
                for &w in &adjacent[v] {
                    if !seen[w] {
                        seen[w] = true;
                        up[w] = Some(edges.len());
                        down[v].push(edges.len());
                        edges.push((v, w));
                        order.push(w);
                    }
                }
            }
        }
        Forest { sizes, edges, order, up, down }
    }

    fn cells(&self, clique: Clique) -> usize {
        match clique {
            Clique::Node(v) => self.sizes[v],
            Clique::Edge(e) => self.sizes[self.edges[e].0] * self.sizes[self.edges[e].1],
        }
    }

    /// The edge joining `a` and `b` and whether it runs `a` → `b`.
    pub fn edge(&self, a: usize, b: usize) -> Option<(usize, bool)> {
        self.edges.iter().position(|&e| e == (a, b) || e == (b, a)).map(|e| (e, self.edges[e] == (a, b)))
    }
}

/// A node or an edge of the forest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clique {
    /// A single column.
    Node(usize),
    /// A pair of columns, laid out parent-major.
    Edge(usize),
}

/// A measured marginal in probability units: `values` (noisy, may be
/// negative) and the weight 1/σ² of each cell.
#[derive(Debug, Clone)]
pub(crate) struct Observation {
    /// Which marginal.
    pub clique: Clique,
    /// The noisy frequencies.
    pub values: Vec<f64>,
    /// Inverse noise variance of each cell.
    pub weights: Vec<f64>,
}

/// One table per node and per edge (log-potentials, gradients, marginals).
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    /// Per node.
    pub nodes: Vec<Vec<f64>>,
    /// Per edge, parent-major.
    pub edges: Vec<Vec<f64>>,
}

impl Tables {
    fn zeros(forest: &Forest) -> Tables {
        Tables {
            nodes: forest.sizes.iter().map(|&k| vec![0.0; k]).collect(),
            edges: forest.edges.iter().map(|&(p, c)| vec![0.0; forest.sizes[p] * forest.sizes[c]]).collect(),
        }
    }

    fn get_mut(&mut self, clique: Clique) -> &mut Vec<f64> {
        match clique {
            Clique::Node(v) => &mut self.nodes[v],
            Clique::Edge(e) => &mut self.edges[e],
        }
    }

    fn get(&self, clique: Clique) -> &[f64] {
        match clique {
            Clique::Node(v) => &self.nodes[v],
            Clique::Edge(e) => &self.edges[e],
        }
    }

    fn all(&self) -> impl Iterator<Item = &f64> {
        self.nodes.iter().chain(&self.edges).flatten()
    }

    /// `self − step·other`.
    fn minus(&self, step: f64, other: &Tables) -> Tables {
        let f = |a: &Vec<Vec<f64>>, b: &Vec<Vec<f64>>| {
            a.iter().zip(b).map(|(x, y)| x.iter().zip(y).map(|(x, y)| x - step * y).collect()).collect()
        };
        Tables { nodes: f(&self.nodes, &other.nodes), edges: f(&self.edges, &other.edges) }
    }
}

fn log_sum_exp(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = values.clone().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + values.map(|v| (v - max).exp()).sum::<f64>().ln()
}

fn normalize_exp(logs: &[f64]) -> Vec<f64> {
    let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut p: Vec<f64> = logs.iter().map(|&l| (l - max).exp()).collect();
    let sum: f64 = p.iter().sum();
    p.iter_mut().for_each(|x| *x /= sum);
    p
}

/// Exact node and edge marginals of the model with log-potentials `theta`
/// (sum-product belief propagation in log space).
pub(crate) fn marginals(forest: &Forest, theta: &Tables) -> Tables {
    let n = forest.sizes.len();
    // Upward: each node's potential plus its children's messages.
    let mut up_belief = theta.nodes.clone();
    let mut up_msg: Vec<Vec<f64>> = vec![Vec::new(); forest.edges.len()];
    for &v in forest.order.iter().rev() {
        if let Some(e) = forest.up[v] {
            let p = forest.edges[e].0;
            let kc = forest.sizes[v];
            let msg: Vec<f64> = theta.edges[e]
                .chunks_exact(kc)
                .map(|row| log_sum_exp(row.iter().zip(&up_belief[v]).map(|(t, b)| t + b)))
                .collect();
            for (b, m) in up_belief[p].iter_mut().zip(&msg) {
                *b += m;
            }
            up_msg[e] = msg;
        }
    }
    // Downward: the rest of the tree's evidence flows to each child.
    let mut full: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut down_msg: Vec<Vec<f64>> = vec![Vec::new(); forest.edges.len()];
    let mut out = Tables::zeros(forest);
    for &v in &forest.order {
        let mut belief = up_belief[v].clone();
        if let Some(e) = forest.up[v] {
            belief.iter_mut().zip(&down_msg[e]).for_each(|(b, m)| *b += m);
        }
        for &e in &forest.down[v] {
            let c = forest.edges[e].1;
            let kc = forest.sizes[c];
            let cavity: Vec<f64> = belief.iter().zip(&up_msg[e]).map(|(b, m)| b - m).collect();
            let table = &theta.edges[e];
            let mut msg = vec![f64::NEG_INFINITY; kc];
            for (row, &cav) in table.chunks_exact(kc).zip(&cavity) {
                for (m, &t) in msg.iter_mut().zip(row) {
                    *m = m.max(t + cav);
                }
            }
            let mut sum = vec![0.0; kc];
            for (row, &cav) in table.chunks_exact(kc).zip(&cavity) {
                for ((s, &t), &m) in sum.iter_mut().zip(row).zip(&msg) {
                    *s += (t + cav - m).exp();
                }
            }
            msg.iter_mut().zip(&sum).for_each(|(m, s)| *m += s.ln());
            // The edge's joint: potential + parent's cavity + child's upward belief.
            let logs: Vec<f64> = table
                .chunks_exact(kc)
                .zip(&cavity)
                .flat_map(|(row, &cav)| row.iter().zip(&up_belief[c]).map(move |(t, b)| t + cav + b))
                .collect();
            out.edges[e] = normalize_exp(&logs);
            down_msg[e] = msg;
        }
        out.nodes[v] = normalize_exp(&belief);
        full[v] = belief;
    }
    out
}

/// The loss ½·Σ w·(μ − y)² and its gradient with respect to the marginals.
fn evaluate(forest: &Forest, observations: &[Observation], mu: &Tables) -> (f64, Tables) {
    let mut grad = Tables::zeros(forest);
    let mut loss = 0.0;
    for o in observations {
        let m = mu.get(o.clique);
        let g = grad.get_mut(o.clique);
        for (((g, &m), &y), &w) in g.iter_mut().zip(m).zip(&o.values).zip(&o.weights) {
            let r = m - y;
            loss += 0.5 * w * r * r;
            *g += w * r;
        }
    }
    (loss, grad)
}

fn dot_difference(grad: &Tables, a: &Tables, b: &Tables) -> f64 {
    grad.all().zip(a.all().zip(b.all())).map(|(g, (x, y))| g * (x - y)).sum()
}

/// Fits the forest's potentials to `observations` by mirror descent with
/// Armijo backtracking (private-pgm's `mirror_descent`), for at most
/// `iterations` steps or until the loss stops improving. Returns the
/// fitted marginals.
pub(crate) fn fit(forest: &Forest, observations: &[Observation], iterations: usize) -> Tables {
    for o in observations {
        debug_assert_eq!(o.values.len(), forest.cells(o.clique));
    }
    let mut theta = Tables::zeros(forest);
    let mut mu = marginals(forest, &theta);
    let (mut loss, mut grad) = evaluate(forest, observations, &mu);
    let heaviest = observations.iter().flat_map(|o| o.weights.iter().copied()).fold(1.0, f64::max);
    let mut alpha = 1.0 / heaviest;
    let mut stalled = 0;
    for _ in 0..iterations {
        let (omega, nu, current, direction) = (theta.clone(), mu.clone(), loss, grad.clone());
        alpha *= 2.0;
        let mut accepted = false;
        for _ in 0..40 {
            let candidate = omega.minus(alpha, &direction);
            let m = marginals(forest, &candidate);
            let (l, g) = evaluate(forest, observations, &m);
            if current - l >= 0.5 * alpha * dot_difference(&direction, &nu, &m) {
                (theta, mu, loss, grad) = (candidate, m, l, g);
                accepted = true;
                break;
            }
            alpha *= 0.5;
        }
        if !accepted {
            break;
        }
        // Stop once a hundred steps in a row gain less than a millionth.
        if current - loss <= 1e-6 * current.abs().max(1e-300) {
            stalled += 1;
            if stalled >= 100 {
                break;
            }
        } else {
            stalled = 0;
        }
    }
    mu
}

/// Draws i.i.d. rows from a fitted forest: each root from its marginal, each
/// child from its conditional given the parent's drawn cell. Every row uses
/// fresh randomness only, so rows are independent of each other and of
/// their position.
#[derive(Debug, Clone)]
pub(crate) struct Sampler {
    forest: Forest,
    /// Cumulative marginal of each root (empty for non-roots).
    roots: Vec<Vec<f64>>,
    /// Per edge, per parent cell: the child's cumulative conditional.
    conditionals: Vec<Vec<Vec<f64>>>,
}

fn cumulative(p: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    let mut c: Vec<f64> = p
        .map(|x| {
            acc += x.max(0.0);
            acc
        })
        .collect();
    let total = acc;
    if total > 0.0 && total.is_finite() {
        c.iter_mut().for_each(|x| *x /= total);
    } else {
        let n = c.len() as f64;
        c.iter_mut().enumerate().for_each(|(i, x)| *x = (i + 1) as f64 / n);
    }
    c
}

/// The index a uniform draw `u` falls on in a cumulative table.
pub(crate) fn pick(cumulative: &[f64], u: f64) -> usize {
    cumulative.partition_point(|&c| c <= u).min(cumulative.len() - 1)
}

impl Sampler {
    /// Prepares sampling from the marginals `mu` of `forest`.
    pub fn new(forest: &Forest, mu: &Tables) -> Sampler {
        let roots = (0..forest.sizes.len())
            .map(|v| if forest.up[v].is_none() { cumulative(mu.nodes[v].iter().copied()) } else { Vec::new() })
            .collect();
        let conditionals = forest
            .edges
            .iter()
            .enumerate()
            .map(|(e, &(_, c))| {
                let kc = forest.sizes[c];
                mu.edges[e]
                    .chunks_exact(kc)
                    .map(|row| {
                        // A parent cell the model deems impossible still needs a
                        // child: fall back on the child's marginal.
                        if row.iter().sum::<f64>() > 1e-300 {
                            cumulative(row.iter().copied())
                        } else {
                            cumulative(mu.nodes[c].iter().copied())
                        }
                    })
                    .collect()
            })
            .collect();
        Sampler { forest: forest.clone(), roots, conditionals }
    }

    /// Draws one row's cells into `out` (one per node).
    pub fn draw(&self, rng: &mut impl Rng, out: &mut [u32]) {
        for &v in &self.forest.order {
            let u: f64 = rng.random();
            out[v] = match self.forest.up[v] {
                None => pick(&self.roots[v], u) as u32,
                Some(e) => {
                    let parent = self.forest.edges[e].0;
                    pick(&self.conditionals[e][out[parent] as usize], u) as u32
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn belief_propagation_matches_brute_force() {
        // Chain 0 - 1 - 2 plus 3 alone, arbitrary potentials.
        let forest = Forest::new(vec![2, 3, 2, 2], &[(1, 0), (1, 2)]);
        let mut theta = Tables::zeros(&forest);
        let mut x = 0.3;
        for t in theta.nodes.iter_mut().chain(theta.edges.iter_mut()).flatten() {
            x = (x * 7.3 + 0.11) % 1.9;
            *t = x - 0.9;
        }
        let mu = marginals(&forest, &theta);
        // Brute force over the 2·3·2 joint of the chain.
        let mut joint = [0.0; 12];
        for a in 0..2 {
            for b in 0..3 {
                for c in 0..2 {
                    let mut s = theta.nodes[0][a] + theta.nodes[1][b] + theta.nodes[2][c];
                    for (e, &(p, ch)) in forest.edges.iter().enumerate() {
                        let val = |v: usize| [a, b, c][v];
                        s += theta.edges[e][val(p) * forest.sizes[ch] + val(ch)];
                    }
                    joint[a * 6 + b * 2 + c] = s.exp();
                }
            }
        }
        let z: f64 = joint.iter().sum();
        let p0: Vec<f64> = (0..2).map(|a| (0..6).map(|r| joint[a * 6 + r]).sum::<f64>() / z).collect();
        assert!((mu.nodes[0][0] - p0[0]).abs() < 1e-12);
        let p2_1: f64 = (0..2).flat_map(|a| (0..3).map(move |b| (a, b))).map(|(a, b)| joint[a * 6 + b * 2 + 1]).sum();
        assert!((mu.nodes[2][1] - p2_1 / z).abs() < 1e-12);
        let total: f64 = mu.edges.iter().map(|e| e.iter().sum::<f64>()).sum();
        assert!((total - 2.0).abs() < 1e-12);
    }

    #[test]
    fn fit_recovers_a_consistent_pair() {
        let forest = Forest::new(vec![2, 2], &[(0, 1)]);
        let truth = [0.4, 0.1, 0.1, 0.4];
        let obs = vec![
            Observation { clique: Clique::Edge(0), values: truth.to_vec(), weights: vec![1e4; 4] },
            Observation { clique: Clique::Node(0), values: vec![0.5, 0.5], weights: vec![1e4; 2] },
        ];
        let mu = fit(&forest, &obs, 2000);
        for (m, t) in mu.edges[0].iter().zip(truth) {
            assert!((m - t).abs() < 1e-3, "{:?}", mu.edges[0]);
        }
        let sampler = Sampler::new(&forest, &mu);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut row = [0u32; 2];
        let same = (0..10_000)
            .filter(|_| {
                sampler.draw(&mut rng, &mut row);
                row[0] == row[1]
            })
            .count();
        assert!((7_700..8_300).contains(&same), "{same}");
    }
}
