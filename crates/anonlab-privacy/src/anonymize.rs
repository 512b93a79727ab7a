//! Running a plan end to end: search, then build the release.

use std::time::{Duration, Instant};

use crate::error::Result;
use crate::key::PackedKey;
use crate::metrics::NodeSummary;
use crate::plan::Plan;
use crate::release::Release;
use crate::search::{self, Context, Found, Progress};

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
}

impl<'t> Plan<'t> {
    /// Runs the search and builds the release, calling `progress` as it goes.
    pub fn run(&self, progress: &(dyn Fn(Progress) + Sync)) -> Result<Anonymization<'t>> {
        // The narrowest key that holds every quasi-identifier's field: smaller
        // class tables, so more of them stay cached and roll-ups touch less memory.
        match self.layout.bits() {
            0..=32 => self.run_with::<u32>(progress),
            33..=64 => self.run_with::<u64>(progress),
            _ => self.run_with::<u128>(progress),
        }
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
        })
    }
}
