//! Running a plan end to end: search, then build the release.

use std::time::{Duration, Instant};

use crate::error::Result;
use crate::key::PackedKey;
use crate::local::{Dimension, Mondrian, RecodingStep};
use crate::metrics::NodeSummary;
use crate::plan::Plan;
use crate::plan::Strategy;
use crate::release::Release;
use crate::search::{self, Context, Found, Progress};
use anonlab_table::DataType;

/// The outcome of an anonymization.
pub struct Anonymization<'t> {
    /// The chosen transformation and its loss.
    pub found: Found,
    /// Class statistics of the chosen transformation.
    pub summary: NodeSummary,
    /// The publishable table.
    pub release: Release<'t>,
    /// Classes of the original data (the bottom node).
    pub input_classes: usize,
    /// Wall time of planning's execution (search and release).
    pub elapsed: Duration,
    /// The steps of an iterative local recoding (empty otherwise).
    pub steps: Vec<RecodingStep>,
}

impl<'t> Plan<'t> {
    /// Runs the search and builds the release, calling `progress` as it goes.
    pub fn run(&self, progress: &(dyn Fn(Progress) + Sync)) -> Result<Anonymization<'t>> {
        match self.strategy {
            Strategy::Mondrian => self.run_mondrian(),
            Strategy::Microaggregation => self.run_microaggregation(),
            Strategy::Iterative => self.run_iterative(progress),
            Strategy::Optimal | Strategy::Heuristic => self.run_lattice(progress),
        }
    }

    /// One lattice search (optimal or heuristic) and its release.
    pub(crate) fn run_lattice(&self, progress: &(dyn Fn(Progress) + Sync)) -> Result<Anonymization<'t>> {
        // The narrowest key that holds every quasi-identifier's field: smaller
        // class tables, so more of them stay cached and roll-ups touch less memory.
        match self.layout.bits() {
            0..=32 => self.run_with::<u32>(progress),
            33..=64 => self.run_with::<u64>(progress),
            _ => self.run_with::<u128>(progress),
        }
    }

    fn run_mondrian(&self) -> Result<Anonymization<'t>> {
        let started = Instant::now();
        let table = self.table;
        let dimensions: Vec<Dimension<'_>> = self
            .qis
            .iter()
            .map(|q| {
                let column = table.column(q.column);
                match column.data_type() {
                    DataType::Integer | DataType::Decimal => {
                        Dimension::Numeric { column: q.column, values: column.numbers() }
                    }
                    _ => Dimension::Categorical { column: q.column, hierarchy: &q.generalization },
                }
            })
            .collect();
        let mondrian = Mondrian::new(table, dimensions, &self.checker, &self.sensitive_columns);
        let result = mondrian.run().ok_or_else(|| {
            crate::Error::no_solution(format!(
                "Mondrian cannot satisfy {}: even all records together fail",
                self.models.iter().map(|m| m.describe()).collect::<Vec<_>>().join(" + ")
            ))
        })?;
        let groups: Vec<Vec<u32>> = result.partitions.iter().map(|p| p.rows.clone()).collect();
        let labels =
            (0..self.qis.len()).map(|d| result.partitions.iter().map(|p| mondrian.label(p, d)).collect()).collect();
        let loss = crate::metrics::Loss { value: result.ncp, per_attribute: result.per_attribute };
        self.local_release(&groups, labels, loss, vec![false; table.rows()], started)
    }

    fn run_microaggregation(&self) -> Result<Anonymization<'t>> {
        let started = Instant::now();
        let table = self.table;
        let k = self.checker.min_class_size() as usize;
        // Planning checked: numeric columns without NULLs.
        let columns: Vec<Vec<f64>> = self
            .qis
            .iter()
            .map(|q| {
                let column = table.column(q.column);
                let values = column.numbers();
                column.codes().iter().map(|&c| values[c as usize]).collect()
            })
            .collect();
        let result = crate::local::mdav(&columns, k);
        let labels =
            (0..self.qis.len()).map(|d| result.means.iter().map(|m| format!("{:.2}", m[d])).collect()).collect();
        let loss = crate::metrics::Loss { value: result.information_loss, per_attribute: Vec::new() };
        self.local_release(&result.groups, labels, loss, vec![false; table.rows()], started)
    }

    /// The release and outcome of a local recoding: `groups` of row indices,
    /// `labels[qi][group]`, and the rows in no group flagged in `suppressed`.
    pub(crate) fn local_release(
        &self,
        groups: &[Vec<u32>],
        labels: Vec<Vec<String>>,
        loss: crate::metrics::Loss,
        suppressed: Vec<bool>,
        started: Instant,
    ) -> Result<Anonymization<'t>> {
        let table = self.table;
        let mut class_of = vec![0u32; table.rows()];
        for (i, rows) in groups.iter().enumerate() {
            for &r in rows {
                class_of[r as usize] = i as u32;
            }
        }
        let sizes: Vec<u64> = groups.iter().map(|g| g.len() as u64).collect();
        let squares: u128 = sizes.iter().map(|&s| s as u128 * s as u128).sum();
        let outliers = suppressed.iter().filter(|&&s| s).count() as u64;
        let summary = NodeSummary {
            rows: table.row_count(),
            outliers,
            classes: sizes.len() as u64,
            kept_classes: sizes.len() as u64,
            min_class_size: sizes.iter().copied().min(),
            squares_all: squares,
            squares_kept: squares,
            ..NodeSummary::default()
        };
        let qi_columns: Vec<usize> = self.qis.iter().map(|q| q.column).collect();
        let found = Found { node: 0, levels: Vec::new(), loss, checked: 0, optimal: false };
        Ok(Anonymization {
            found,
            summary,
            release: Release::local(self, class_of, labels, suppressed),
            input_classes: crate::risk::ClassSizes::of_table(table, &qi_columns)?.classes as usize,
            elapsed: started.elapsed(),
            steps: Vec::new(),
        })
    }

    fn run_with<K: PackedKey>(&self, progress: &(dyn Fn(Progress) + Sync)) -> Result<Anonymization<'t>> {
        let started = Instant::now();
        let mut ctx: Context<'_, 't, K> = Context::new(self, progress);
        let found = search::run(&mut ctx)?;
        let (classes, flags, checked) = ctx.classes(found.node);
        if !checked.anonymous {
            return Err(crate::Error::internal("the chosen transformation failed its re-check"));
        }
        let release = Release::build(self, &found.levels, &classes, &flags);
        Ok(Anonymization {
            found,
            summary: checked.summary,
            release,
            input_classes: ctx.cache.bottom_classes(),
            elapsed: started.elapsed(),
            steps: Vec::new(),
        })
    }
}
