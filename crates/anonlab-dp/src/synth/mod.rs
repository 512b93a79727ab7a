//! Differentially private synthetic data of the MST class (McKenna, Miklau &
//! Sheldon 2021, "Winning the NIST Contest: A scalable and general approach
//! to differentially private synthetic data"), following the reference
//! `mst.py`:
//!
//! 1. **1-way marginals** of every column with Gaussian noise (45 % of the
//!    modelling budget), then MST's domain compression: cells too small to
//!    tell from noise are merged.
//! 2. **Selection**: d−1 rounds of the exponential mechanism pick the pairs
//!    of a maximum spanning tree, scored by how badly the independent model
//!    explains each pair's true 2-way marginal (10 %: the reference gives
//!    each step a third, but selection needs much less, see `SELECT_SHARE`).
//! 3. **2-way marginals** of the selected pairs with Gaussian noise (45 %).
//! 4. A tree-structured graphical model fitted to all noisy marginals by
//!    mirror descent, then **i.i.d. rows** drawn from it.
//!
//! # Domains of a plain CSV
//! MST assumes a public domain. Without one ([`Settings::domain`]), it is
//! discovered privately, at a small fixed share of the budget: a noisy
//! profile decides each column's kind (numbers, dates, text), NULLs and
//! precision; text columns get their categories by thresholded partition
//! selection (OpenDP's `make_gaussian_threshold`, which doubles as their
//! 1-way measurement and costs a share of δ); numeric and date columns get
//! bounds from noisy quantiles over a data-independent grid and equal-width
//! bins in between, mapped back to values of the input's precision. Values
//! too rare to be released are never output.
//!
//! # Privacy
//! All noise comes from OpenDP; every step's cost is what OpenDP's privacy
//! map charges, added up in zCDP and reported as (ε, δ) with half of δ for the
//! conversion and half for the thresholds (all of it for the conversion when
//! a public domain covers every column). The seed only drives the sampling
//! of rows from the already-private model (post-processing). The number of
//! rows is a noisy estimate unless [`Settings::rows`] fixes it.

mod columns;
mod discover;
mod model;
mod mst;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anonlab_table::column::ColumnBuilder;
use anonlab_table::{Column, Table};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use columns::{ColumnSpec, Domain};

use crate::budget;
use crate::error::{Error, Result};
use crate::mechanisms::{gaussian_counts, gaussian_scale, gaussian_threshold};
use columns::{Cells, NumberKind, UNKNOWN};
use discover::Kind;
use model::{Clique, Forest, Observation, Sampler};
use mst::Groups;

/// Which synthesizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// MST: 1- and 2-way marginals on a spanning tree.
    #[default]
    Mst,
    /// Every column on its own (all modelling budget on 1-way marginals):
    /// the baseline MST must beat, since it keeps no relation between columns.
    Independent,
}

/// What to synthesize and at what privacy cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// ε of the whole release (every step included).
    pub epsilon: f64,
    /// δ of the whole release.
    pub delta: f64,
    /// Seeds the sampling of rows from the private model (never the noise).
    pub seed: u64,
    /// Rows to output; `None` outputs a noisy estimate of the input's count
    /// (the exact count is not private under add/remove-one neighbours).
    pub rows: Option<usize>,
    /// Bins per numeric or date column after compression (fine bins are 4×
    /// as many); more keep more shape but spread the noise thinner.
    pub bins: usize,
    /// MST or the independent baseline.
    pub method: Method,
    /// A public domain for some or all columns (skips their discovery).
    pub domain: Option<Domain>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { epsilon: 1.0, delta: 1e-9, seed: 0, rows: None, bins: 32, method: Method::Mst, domain: None }
    }
}

impl Settings {
    fn check(&self) -> Result<()> {
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(Error::invalid(format!("epsilon must be a positive number; got {}", self.epsilon)));
        }
        budget::check_delta(self.delta)?;
        if !(2..=1024).contains(&self.bins) {
            return Err(Error::invalid(format!("bins must be between 2 and 1024; got {}", self.bins)));
        }
        if self.rows == Some(0) {
            return Err(Error::invalid("rows must be at least 1 (or unset for a noisy estimate of the input's)"));
        }
        Ok(())
    }
}

/// A synthetic table and how it was made.
#[derive(Debug, Clone)]
pub struct Synthesis {
    /// The synthetic rows, with the input's column names and delimiter.
    pub table: Table,
    /// Budget, model and domain details for the release's documentation.
    pub report: SynthReport,
}

/// What a synthesis spent and built; serializable for the run's report.
#[derive(Debug, Clone, Serialize)]
pub struct SynthReport {
    /// The synthesizer.
    pub method: Method,
    /// ε of the release at `delta` (never above the requested ε).
    pub epsilon: f64,
    /// δ of the release: `delta_conversion` + `delta_thresholds`.
    pub delta: f64,
    /// Total ρ (zCDP) of all steps.
    pub rho: f64,
    /// δ used to convert ρ into ε.
    pub delta_conversion: f64,
    /// δ charged by the partition selections of text columns.
    pub delta_thresholds: f64,
    /// ρ and δ per step.
    pub steps: Vec<StepCost>,
    /// Rows output.
    pub rows: usize,
    /// The noisy estimate of the input's row count.
    pub rows_estimate: f64,
    /// How each column was modelled.
    pub columns: Vec<ColumnReport>,
    /// The pairs MST measured (the spanning tree), by column name.
    pub edges: Vec<[String; 2]>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The cost of one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepCost {
    /// What the step released.
    pub step: String,
    /// ρ charged by OpenDP's privacy maps.
    pub rho: f64,
    /// δ charged (thresholds only).
    pub delta: f64,
}

/// How one column was modelled.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    /// The column's name.
    pub name: String,
    /// `categorical`, `integer`, `decimal` or `date`.
    pub kind: String,
    /// Where its domain came from: `public` or `discovered`.
    pub domain: String,
    /// Cells measured (categories, or fine bins plus NULL).
    pub cells: usize,
    /// Cells after MST's compression (what the model sees).
    pub compressed: usize,
    /// Categories merged into one group for being too rare to tell from noise.
    pub merged: Vec<String>,
    /// Range of the bins of a numeric or date column.
    pub bounds: Option<[String; 2]>,
    /// Values of a numeric or date column frequent enough to get a cell of
    /// their own (point masses such as zero costs).
    pub points: Vec<String>,
    /// Noisy count a category needed to be released (discovered text columns).
    pub threshold: Option<i64>,
    /// Estimated share of the input's rows whose value the cells hold (the
    /// rest had values too rare to release).
    pub coverage: f64,
}

/// A column ready for modelling.
struct Prepared {
    cells: Cells,
    kind: Option<NumberKind>,
    codes: Vec<u32>,
    /// Noisy 1-way counts of the fine cells.
    noisy: Vec<f64>,
    /// Their noise standard deviation.
    sd: f64,
    public: bool,
    threshold: Option<i64>,
}

/// Accumulates the cost of each step.
#[derive(Default)]
struct Spent {
    steps: Vec<StepCost>,
}

impl Spent {
    fn add(&mut self, step: &str, rho: f64, delta: f64) {
        match self.steps.iter_mut().find(|s| s.step == step) {
            Some(s) => {
                s.rho += rho;
                s.delta += delta;
            }
            None => self.steps.push(StepCost { step: step.to_string(), rho, delta }),
        }
    }

    fn rho(&self) -> f64 {
        self.steps.iter().map(|s| s.rho).sum()
    }

    fn delta(&self) -> f64 {
        self.steps.iter().map(|s| s.delta).sum()
    }
}

/// Shares of each column's budget spent on discovering its domain: its
/// profile, and its range (numbers and dates) or extra precision for the
/// partition selection that doubles as its 1-way marginal (text).
const PROFILE_SHARE: f64 = 0.04;
const DISCOVERY_SHARE: f64 = 0.06;

/// MST's split of the modelling budget. The reference splits it in thirds;
/// selection needs far less than measurement (the scores of a dependent
/// and an independent pair differ by thousands of rows, the exponential
/// mechanism's noise by tens), and moving budget from it to the marginals
/// lowered the mean 2-way TVD on adult at ε = 1 from 0.0533 to 0.0523 (20
/// runs each; 0.0613 → 0.0588 at ε = 0.5).
const ONE_WAY_SHARE: f64 = 0.45;
const SELECT_SHARE: f64 = 0.10;
const TWO_WAY_SHARE: f64 = 0.45;

/// Rows sampled per independent random stream.
const CHUNK: usize = 1 << 14;

/// Synthesizes a table like `input` under (ε, δ)-DP (see the module docs).
/// `progress` receives a stage name and the fraction of the work done.
///
/// Column types declared on `input` (integer, decimal, date with its
/// format) are taken as public, like the header: declare them only from a
/// configuration, never from the data — a type inferred from the values
/// would reveal that no record breaks it. Undeclared (string) columns get
/// their kind from the noisy profile.
pub fn synthesize(input: &Table, settings: &Settings, progress: &dyn Fn(&str, f64)) -> Result<Synthesis> {
    let start = Instant::now();
    settings.check()?;
    let d = input.columns().len();
    if d == 0 || input.rows() == 0 {
        return Err(Error::invalid("the input table is empty: synthesis needs columns and rows"));
    }
    let empty = Domain::default();
    let domain = settings.domain.as_ref().unwrap_or(&empty);
    if let Some(name) = domain.columns.keys().find(|n| input.column_index(n).is_err()) {
        return Err(Error::invalid(format!(
            "the domain describes column '{name}', which the input lacks; it has {}",
            anonlab_table::error::list_names(input.names())
        )));
    }
    let discovered = input.names().filter(|n| !domain.columns.contains_key(*n)).count();
    let (delta_conversion, delta_thresholds) =
        if discovered > 0 { (settings.delta / 2.0, settings.delta / 2.0) } else { (settings.delta, 0.0) };
    // A hair below the target so that OpenDP's rounding of each step's cost
    // can never add up past it.
    let rho = budget::rho_for(settings.epsilon, delta_conversion)? * (1.0 - 1e-9);
    let per_column = rho / d as f64;
    let rho_model = rho - discovered as f64 * (PROFILE_SHARE + DISCOVERY_SHARE) * per_column;
    let mst = settings.method == Method::Mst && d >= 2;
    let rho_one = if mst { rho_model * ONE_WAY_SHARE } else { rho_model };
    let fine = (4 * settings.bins).min(4096);
    let mut spent = Spent::default();

    // 1. Domains and 1-way marginals.
    progress("domains and 1-way marginals", 0.0);
    let mut profiles_total = Vec::new();
    let mut prepared = Vec::with_capacity(d);
    for (j, column) in input.columns().iter().enumerate() {
        let p = match domain.columns.get(column.name()) {
            Some(spec) => prepare_public(column, spec, fine, rho_one / d as f64, &mut spent)?,
            None => {
                let shares = Shares {
                    profile: PROFILE_SHARE * per_column,
                    discovery: DISCOVERY_SHARE * per_column,
                    one_way: rho_one / d as f64,
                    delta: delta_thresholds / discovered as f64,
                };
                let (p, total) = prepare_discovered(column, &shares, fine, &mut spent)?;
                profiles_total.push(total);
                p
            }
        };
        prepared.push(p);
        progress("domains and 1-way marginals", (j + 1) as f64 / d as f64);
    }

    // 2. Compression; the estimated rows and each column's known rows.
    let groups: Vec<Groups> = prepared.iter().map(|p| mst::compress(&p.cells, &p.noisy, p.sd, settings.bins)).collect();
    let sums: Vec<f64> = prepared.iter().map(|p| p.noisy.iter().sum::<f64>()).collect();
    let rows_estimate = if profiles_total.is_empty() {
        sums.iter().sum::<f64>() / d as f64
    } else {
        profiles_total.iter().sum::<f64>() / profiles_total.len() as f64
    }
    .max(1.0);
    // Rows whose value the cells hold. Bins hold every number (clamped) and
    // the sum of their many noisy cells is a poor estimate, so they count
    // as all rows; categories drop the values too rare to release.
    let known: Vec<f64> = prepared
        .iter()
        .zip(&sums)
        .map(|(p, &sum)| match p.cells {
            Cells::Bins(_) => rows_estimate,
            Cells::Categories(_) => sum.clamp(1.0, rows_estimate),
        })
        .collect();
    let codes: Vec<Vec<u32>> = prepared
        .par_iter()
        .zip(&groups)
        .map(|(p, g)| p.codes.iter().map(|&c| if c == UNKNOWN { UNKNOWN } else { g.of_fine[c as usize] }).collect())
        .collect();
    let sizes: Vec<usize> = groups.iter().map(Groups::len).collect();
    let mut observations: Vec<Observation> = prepared
        .iter()
        .zip(&groups)
        .enumerate()
        .map(|(v, (p, g))| {
            let k = known[v];
            let values = g.sum(&p.noisy).into_iter().map(|y| y / k).collect();
            let weights = g.members.iter().map(|m| (k / p.sd).powi(2) / m.len() as f64).collect();
            Observation { clique: Clique::Node(v), values, weights }
        })
        .collect();
    // Rows known in both columns of a pair, assuming knowledge is independent.
    let pair_total = |a: usize, b: usize| (known[a] * known[b] / rows_estimate).clamp(1.0, known[a].min(known[b]));

    // 3. MST: select a spanning tree, measure its pairs.
    let mut pairs = Vec::new();
    if mst {
        progress("selecting pairs", 0.0);
        let independent = model::fit(&Forest::new(sizes.clone(), &[]), &observations, iterations(&sizes, &[]));
        let expected = |a: usize, b: usize| -> Vec<f64> {
            let t = pair_total(a, b);
            let (pa, pb) = (&independent.nodes[a], &independent.nodes[b]);
            pa.iter().flat_map(|x| pb.iter().map(move |y| t * x * y)).collect()
        };
        let (chosen, rho_select) = mst::select(&codes, &sizes, &expected, rho_model * SELECT_SHARE)?;
        spent.add("select pairs (exponential mechanism)", rho_select, 0.0);
        pairs = chosen;
        progress("measuring 2-way marginals", 0.0);
        let sd_two = gaussian_scale(rho_model * TWO_WAY_SHARE / pairs.len() as f64, 1.0)?;
        let forest = Forest::new(sizes.clone(), &pairs);
        for (i, &(a, b)) in pairs.iter().enumerate() {
            let counts = mst::pair_counts(&codes[a], sizes[a], &codes[b], sizes[b]);
            let noisy = gaussian_counts(&counts, 1, sd_two)?;
            spent.add("2-way marginals", noisy.cost, 0.0);
            let (e, forward) = forest.edge(a, b).ok_or_else(|| Error::internal("a selected pair is not an edge"))?;
            let t = pair_total(a, b);
            let mut values: Vec<f64> = noisy.values.iter().map(|&y| y as f64 / t).collect();
            if !forward {
                values = transpose(&values, sizes[a], sizes[b]);
            }
            let weights = vec![(t / sd_two).powi(2); values.len()];
            observations.push(Observation { clique: Clique::Edge(e), values, weights });
            progress("measuring 2-way marginals", (i + 1) as f64 / pairs.len() as f64);
        }
    }

    // 4. Fit and sample.
    progress("fitting the model", 0.0);
    let forest = Forest::new(sizes.clone(), &pairs);
    let mu = model::fit(&forest, &observations, iterations(&sizes, &forest.edges));
    let sampler = Sampler::new(&forest, &mu);
    let rows = settings.rows.unwrap_or(rows_estimate.round() as usize).max(1);
    let table = sample_table(input, &prepared, &groups, &sampler, rows, settings.seed, progress)?;

    let columns = input
        .columns()
        .iter()
        .zip(&prepared)
        .zip(&groups)
        .enumerate()
        .map(|(v, ((c, p), g))| column_report(c, p, g, known[v] / rows_estimate))
        .collect();
    let total_rho = spent.rho();
    let report = SynthReport {
        method: settings.method,
        epsilon: budget::epsilon(total_rho, delta_conversion)?,
        delta: delta_conversion + spent.delta(),
        rho: total_rho,
        delta_conversion,
        delta_thresholds: spent.delta(),
        steps: spent.steps,
        rows,
        rows_estimate,
        columns,
        edges: pairs
            .iter()
            .map(|&(a, b)| [input.column(a).name().to_string(), input.column(b).name().to_string()])
            .collect(),
        seconds: start.elapsed().as_secs_f64(),
    };
    progress("done", 1.0);
    Ok(Synthesis { table, report })
}

/// Writes a synthesis as CSV with the input's header, atomically (a
/// temporary file renamed into place), so a failed run leaves nothing half
/// written.
pub fn write_csv(synthesis: &Synthesis, path: &Path, delimiter: u8) -> Result<()> {
    let table = &synthesis.table;
    let header: Vec<String> = table.names().map(str::to_string).collect();
    let rows = (0..table.rows()).map(|r| table.columns().iter().map(|c| c.value(r)).collect::<Vec<&str>>());
    anonlab_table::io::csv::write_csv(path, &header, delimiter, rows)?;
    Ok(())
}

/// The budget of one discovered column.
struct Shares {
    profile: f64,
    discovery: f64,
    one_way: f64,
    delta: f64,
}

/// A column with a public domain: encode, measure the 1-way marginal.
fn prepare_public(column: &Column, spec: &ColumnSpec, fine: usize, rho: f64, spent: &mut Spent) -> Result<Prepared> {
    let (cells, kind) = columns::cells_from_spec(column.name(), spec, fine)?;
    let codes = columns::encode(column, &cells, kind.as_ref());
    let (noisy, sd) = one_way(&codes, cells.len(), rho, spent)?;
    Ok(Prepared { cells, kind, codes, noisy, sd, public: true, threshold: None })
}

/// The noisy 1-way counts of `codes` over `cells` cells at budget `rho`.
fn one_way(codes: &[u32], cells: usize, rho: f64, spent: &mut Spent) -> Result<(Vec<f64>, f64)> {
    let mut counts = vec![0i64; cells];
    for &c in codes {
        if c != UNKNOWN {
            counts[c as usize] += 1;
        }
    }
    let sd = gaussian_scale(rho, 1.0)?;
    let noisy = gaussian_counts(&counts, 1, sd)?;
    spent.add("1-way marginals", noisy.cost, 0.0);
    Ok((noisy.values.iter().map(|&y| y as f64).collect(), sd))
}

/// A column without a public domain: profile, then categories by partition
/// selection (which is also the 1-way measurement, on the column's
/// discovery and 1-way budget together) or private bounds, bins and a
/// 1-way measurement. Returns the column and its profile's row estimate.
fn prepare_discovered(column: &Column, shares: &Shares, fine: usize, spent: &mut Spent) -> Result<(Prepared, f64)> {
    let date_format = match column.data_type() {
        anonlab_table::DataType::Date { format } => format.clone(),
        _ => anonlab_table::DataType::DEFAULT_DATE_FORMAT.to_string(),
    };
    let profile = discover::profile(column, &date_format, gaussian_scale(shares.profile, 1.0)?)?;
    spent.add("profile (kinds, NULLs, precision)", profile.rho, 0.0);
    let rows = profile.total().max(1.0);
    let prepared = match profile.kind(column.data_type()) {
        Kind::Text => {
            let mut counts: HashMap<String, i64> = HashMap::new();
            for (code, n) in column.frequencies().into_iter().enumerate() {
                if n > 0 {
                    *counts.entry(column.dictionary()[code].clone()).or_default() += n as i64;
                }
            }
            let sd = gaussian_scale(shares.one_way + shares.discovery, 1.0)?;
            let selected = gaussian_threshold(counts, 1, sd, shares.delta)?;
            spent.add("1-way marginals with category discovery (partition selection)", selected.rho, selected.delta);
            if selected.kept.is_empty() {
                return Err(Error::invalid(format!(
                    "column '{}' has no value frequent enough to release under this budget (each needed a noisy \
                     count of {}): it looks like an identifier or free text, or the table is too small for this \
                     epsilon; drop the column, raise epsilon, or declare the column's domain",
                    column.name(),
                    selected.threshold
                )));
            }
            let (values, noisy): (Vec<String>, Vec<f64>) =
                selected.kept.into_iter().map(|(v, c)| (v, c as f64)).unzip();
            let cells = Cells::Categories(values);
            let codes = columns::encode(column, &cells, None);
            Prepared { cells, kind: None, codes, noisy, sd, public: false, threshold: Some(selected.threshold) }
        }
        Kind::Number(kind) => {
            let range = discover::numeric_range(column, &kind, rows, shares.discovery, shares.delta)?;
            spent.add("ranges of numbers and dates (point masses, support, quantiles)", range.rho, range.delta);
            let bins = columns::Bins::new(range.lower, range.upper, fine, kind.clone(), profile.has_nulls())
                .with_points(range.points);
            let cells = Cells::Bins(bins);
            let codes = columns::encode(column, &cells, Some(&kind));
            let (noisy, sd) = one_way(&codes, cells.len(), shares.one_way, spent)?;
            Prepared { cells, kind: Some(kind), codes, noisy, sd, public: false, threshold: None }
        }
    };
    Ok((prepared, profile.total()))
}

/// Mirror-descent steps: plenty for small models, fewer for large ones so
/// that fitting stays within seconds.
fn iterations(sizes: &[usize], edges: &[(usize, usize)]) -> usize {
    let cells: usize = sizes.iter().sum::<usize>() + edges.iter().map(|&(a, b)| sizes[a] * sizes[b]).sum::<usize>();
    (40_000_000 / cells.max(1)).clamp(300, 3000)
}

fn transpose(values: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    (0..cols).flat_map(|c| (0..rows).map(move |r| values[r * cols + c])).collect()
}

/// One sampled chunk of one column.
enum Drawn {
    /// Category indices.
    Categories(Vec<u32>),
    /// Formatted numbers or dates.
    Text(Vec<String>),
}

/// Draws `rows` i.i.d. rows in chunks, each chunk from its own ChaCha20
/// stream of `seed` (so the output does not depend on the thread count),
/// and decodes them into columns named like the input's.
fn sample_table(
    input: &Table,
    prepared: &[Prepared],
    groups: &[Groups],
    sampler: &Sampler,
    rows: usize,
    seed: u64,
    progress: &dyn Fn(&str, f64),
) -> Result<Table> {
    let d = prepared.len();
    let mut builders: Vec<ColumnBuilder> = input.names().map(ColumnBuilder::new).collect();
    let chunks = rows.div_ceil(CHUNK);
    let batch = rayon::current_num_threads().max(1) * 4;
    let mut line = 2u64;
    for first in (0..chunks).step_by(batch) {
        let drawn: Vec<Vec<Drawn>> = (first..(first + batch).min(chunks))
            .into_par_iter()
            .map(|chunk| {
                let n = CHUNK.min(rows - chunk * CHUNK);
                let mut rng = ChaCha20Rng::seed_from_u64(seed);
                rng.set_stream(chunk as u64);
                let mut out: Vec<Drawn> = prepared
                    .iter()
                    .map(|p| match p.cells {
                        Cells::Categories(_) => Drawn::Categories(Vec::with_capacity(n)),
                        Cells::Bins(_) => Drawn::Text(Vec::with_capacity(n)),
                    })
                    .collect();
                let mut cells = vec![0u32; d];
                for _ in 0..n {
                    sampler.draw(&mut rng, &mut cells);
                    for (v, o) in out.iter_mut().enumerate() {
                        let u: f64 = rng.random();
                        let fine = groups[v].fine(cells[v] as usize, u);
                        match (o, &prepared[v].cells) {
                            (Drawn::Categories(c), _) => c.push(fine),
                            (Drawn::Text(t), Cells::Bins(b)) => t.push(b.draw(fine as usize, &mut rng)),
                            (Drawn::Text(_), Cells::Categories(_)) => unreachable!("chunk columns follow the cells"),
                        }
                    }
                }
                out
            })
            .collect();
        for chunk in drawn {
            let n = match chunk.first() {
                Some(Drawn::Categories(c)) => c.len(),
                Some(Drawn::Text(t)) => t.len(),
                None => 0,
            };
            for (v, column) in chunk.into_iter().enumerate() {
                match (column, &prepared[v].cells) {
                    (Drawn::Categories(c), Cells::Categories(values)) => {
                        for (i, &x) in c.iter().enumerate() {
                            builders[v].push(&values[x as usize], line + i as u64)?;
                        }
                    }
                    (Drawn::Text(t), _) => {
                        for (i, x) in t.iter().enumerate() {
                            builders[v].push(x, line + i as u64)?;
                        }
                    }
                    (Drawn::Categories(_), Cells::Bins(_)) => {
                        return Err(Error::internal("a binned column was sampled as categories"));
                    }
                }
            }
            line += n as u64;
        }
        progress("sampling rows", ((first + batch).min(chunks)) as f64 / chunks as f64);
    }
    let columns: Vec<Column> = builders.into_iter().map(ColumnBuilder::finish).collect();
    Ok(Table::try_new(columns, None, input.delimiter())?)
}

fn column_report(column: &Column, p: &Prepared, g: &Groups, coverage: f64) -> ColumnReport {
    let (kind, bounds) = match (&p.cells, &p.kind) {
        (Cells::Bins(b), Some(k)) => {
            let (from, to) = (b.lower, b.lower + b.width * b.count as f64);
            let text = |x: f64| match k {
                NumberKind::Date(f) => columns::format_date(x as i64, f),
                NumberKind::Integer => format!("{}", x as i64),
                NumberKind::Decimal(dec) => columns::decimal(x, *dec),
            };
            let name = match k {
                NumberKind::Integer => "integer",
                NumberKind::Decimal(_) => "decimal",
                NumberKind::Date(_) => "date",
            };
            (name, Some([text(from), text(if b.integer { to - 1.0 } else { to })]))
        }
        _ => ("categorical", None),
    };
    let (merged, points) = match &p.cells {
        Cells::Categories(_) => (
            g.members.iter().filter(|m| m.len() > 1).flatten().map(|&f| p.cells.label(f as usize)).collect(),
            Vec::new(),
        ),
        Cells::Bins(b) => (Vec::new(), b.points.clone()),
    };
    ColumnReport {
        name: column.name().to_string(),
        kind: kind.to_string(),
        domain: if p.public { "public" } else { "discovered" }.to_string(),
        cells: p.cells.len(),
        compressed: g.len(),
        merged,
        bounds,
        points,
        threshold: p.threshold,
        coverage: coverage.clamp(0.0, 1.0),
    }
}
