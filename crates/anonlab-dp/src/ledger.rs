//! The budget ledger: how much of each (dataset, analyst) budget is spent,
//! kept in a file so the budget holds across runs and processes.
//!
//! The file is JSON lines: `budget` lines set an allowance, `spend` lines
//! record a release (what, when, ρ). [`Ledger::spend`] takes an exclusive
//! lock on the file, re-reads it, refuses the release if it would take the
//! total past the allowance, and otherwise appends its line and syncs it to
//! disk before returning — so concurrent releases (threads or processes)
//! are serialized and an accepted release is never lost. A line torn by a
//! crash mid-write was never acknowledged; it is cut off before the next
//! append. Composition is in zCDP (ρ adds up); every figure is also
//! reported as (ε, δ).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::budget::{Budget, epsilon};
use crate::error::{Error, Result};

/// One line of the ledger file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Line {
    /// An allowance for a dataset and analyst (the latest one counts).
    Budget {
        /// The dataset's name.
        dataset: String,
        /// The analyst's name.
        analyst: String,
        /// The allowance.
        budget: Budget,
        /// Seconds since 1970.
        at: u64,
    },
    /// A release.
    Spend {
        /// The dataset's name.
        dataset: String,
        /// The analyst's name.
        analyst: String,
        /// What was released (a query, "MST synthetic data", ...).
        what: String,
        /// Its cost in ρ.
        rho: f64,
        /// δ it spent outside the ρ accounting (thresholded key releases).
        #[serde(default)]
        delta: f64,
        /// Seconds since 1970.
        at: u64,
    },
}

/// Where a (dataset, analyst) budget stands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Standing {
    /// The allowance.
    pub budget: Budget,
    /// ρ spent so far.
    pub spent_rho: f64,
    /// ρ left.
    pub remaining_rho: f64,
    /// δ spent outside the ρ accounting (thresholded key releases).
    pub spent_delta: f64,
    /// ε spent so far, at the budget's δ.
    pub spent_epsilon: f64,
    /// The allowance's ε at its δ.
    pub budget_epsilon: f64,
}

/// A ledger file.
#[derive(Debug, Clone)]
pub struct Ledger {
    path: PathBuf,
}

/// Tolerance of the budget check: ρ sums of many small releases may exceed
/// the allowance by rounding alone.
const SLACK: f64 = 1e-12;

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Ledger {
    /// The ledger kept in `path` (created on first write).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Ledger { path: path.into() }
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_locked(&self) -> Result<File> {
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "creating", &e))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(|e| Error::io(&self.path, "opening the ledger", &e))?;
        file.lock().map_err(|e| Error::io(&self.path, "locking the ledger", &e))?;
        Ok(file)
    }

    /// Reads every complete line; returns them and the length of the complete part.
    fn read(&self, file: &mut File) -> Result<(Vec<Line>, u64)> {
        file.seek(SeekFrom::Start(0)).map_err(|e| Error::io(&self.path, "reading the ledger", &e))?;
        let mut reader = BufReader::new(&*file);
        let (mut lines, mut complete, mut number) = (Vec::new(), 0u64, 0u64);
        let mut buf = String::new();
        loop {
            buf.clear();
            let n = reader.read_line(&mut buf).map_err(|e| Error::io(&self.path, "reading the ledger", &e))?;
            if n == 0 || !buf.ends_with('\n') {
                break; // end, or a torn last line that was never acknowledged
            }
            number += 1;
            complete += n as u64;
            if buf.trim().is_empty() {
                continue;
            }
            let line: Line = serde_json::from_str(&buf).map_err(|e| {
                Error::invalid(format!("ledger {} line {number} is not a ledger entry: {e}", self.path.display()))
            })?;
            lines.push(line);
        }
        Ok((lines, complete))
    }

    fn append(&self, file: &mut File, complete: u64, line: &Line) -> Result<()> {
        let len = file.metadata().map_err(|e| Error::io(&self.path, "reading the ledger", &e))?.len();
        if len > complete {
            file.set_len(complete).map_err(|e| Error::io(&self.path, "repairing the ledger", &e))?;
        }
        let mut text = serde_json::to_string(line).map_err(|e| Error::internal(e.to_string()))?;
        text.push('\n');
        file.write_all(text.as_bytes()).map_err(|e| Error::io(&self.path, "writing the ledger", &e))?;
        file.sync_data().map_err(|e| Error::io(&self.path, "syncing the ledger", &e))
    }

    /// Sets the allowance of `analyst` on `dataset`.
    pub fn set_budget(&self, dataset: &str, analyst: &str, budget: Budget) -> Result<()> {
        let mut file = self.open_locked()?;
        let (_, complete) = self.read(&mut file)?;
        let line = Line::Budget { dataset: dataset.into(), analyst: analyst.into(), budget, at: now() };
        self.append(&mut file, complete, &line)
    }

    /// Where the budget stands, or `None` when no allowance was set.
    pub fn standing(&self, dataset: &str, analyst: &str) -> Result<Option<Standing>> {
        let mut file = self.open_locked()?;
        let (lines, _) = self.read(&mut file)?;
        standing(&lines, dataset, analyst)
    }

    /// Records a release of cost `rho` (plus `delta` spent outside the ρ
    /// accounting, by thresholded key releases), or refuses it (nothing
    /// recorded) when it would exceed the allowance or no allowance was set.
    /// Such δ may use at most half of the budget's δ; the other half converts ρ to ε.
    pub fn spend(&self, dataset: &str, analyst: &str, what: &str, rho: f64, delta: f64) -> Result<Standing> {
        if !(rho >= 0.0 && rho.is_finite()) {
            return Err(Error::invalid(format!("a release's cost must be a finite ρ ≥ 0; got {rho}")));
        }
        if !(0.0..1.0).contains(&delta) {
            return Err(Error::invalid(format!("a release's δ must lie in [0, 1); got {delta}")));
        }
        let mut file = self.open_locked()?;
        let (lines, complete) = self.read(&mut file)?;
        let Some(before) = standing(&lines, dataset, analyst)? else {
            return Err(Error::budget(format!(
                "no budget is set for analyst '{analyst}' on dataset '{dataset}' in {}",
                self.path.display()
            )));
        };
        if before.spent_rho + rho > before.budget.rho + SLACK {
            return Err(Error::budget(format!(
                "refused: '{what}' costs ρ = {rho:.6} but only ρ = {:.6} of {:.6} is left for '{analyst}' on '{dataset}' (ε = {:.4} of {:.4} spent at δ = {:e})",
                before.remaining_rho,
                before.budget.rho,
                before.spent_epsilon,
                before.budget_epsilon,
                before.budget.delta
            )));
        }
        if before.spent_delta + delta > before.budget.delta / 2.0 {
            return Err(Error::budget(format!(
                "refused: '{what}' spends δ = {delta:e} on key release, but at most half of the budget's δ = {:e} may go there ({:e} already has)",
                before.budget.delta, before.spent_delta
            )));
        }
        let line =
            Line::Spend { dataset: dataset.into(), analyst: analyst.into(), what: what.into(), rho, delta, at: now() };
        self.append(&mut file, complete, &line)?;
        let mut lines = lines;
        lines.push(line);
        standing(&lines, dataset, analyst)?.ok_or_else(|| Error::internal("the budget vanished"))
    }

    /// Every line of the ledger (its history), for reports.
    pub fn history(&self) -> Result<Vec<Line>> {
        let mut file = self.open_locked()?;
        Ok(self.read(&mut file)?.0)
    }
}

fn standing(lines: &[Line], dataset: &str, analyst: &str) -> Result<Option<Standing>> {
    let mut budget = None;
    let (mut spent, mut spent_delta) = (0.0, 0.0);
    for line in lines {
        match line {
            Line::Budget { dataset: d, analyst: a, budget: b, .. } if d == dataset && a == analyst => budget = Some(*b),
            Line::Spend { dataset: d, analyst: a, rho, delta, .. } if d == dataset && a == analyst => {
                spent += rho;
                spent_delta += delta;
            }
            _ => {}
        }
    }
    let Some(budget) = budget else { return Ok(None) };
    Ok(Some(Standing {
        budget,
        spent_rho: spent,
        remaining_rho: (budget.rho - spent).max(0.0),
        spent_delta,
        // ρ converts to ε at the δ the key releases left over.
        spent_epsilon: epsilon(spent, budget.delta - spent_delta)?,
        budget_epsilon: epsilon(budget.rho, budget.delta)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_would_exceed_the_budget_and_records_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(dir.path().join("ledger.jsonl"));
        assert!(ledger.spend("adult", "ann", "count", 0.1, 0.0).is_err(), "no budget set");
        ledger.set_budget("adult", "ann", Budget { rho: 0.5, delta: 1e-6 }).unwrap();
        ledger.spend("adult", "ann", "count", 0.3, 0.0).unwrap();
        let err = ledger.spend("adult", "ann", "sum", 0.3, 0.0).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::BudgetExceeded);
        let s = ledger.spend("adult", "ann", "sum", 0.2, 0.0).unwrap();
        assert!(s.remaining_rho < 1e-12);
        // Another analyst's budget is separate.
        assert!(ledger.spend("adult", "bob", "count", 0.01, 0.0).is_err());
        assert_eq!(ledger.history().unwrap().len(), 3);
    }

    /// Many threads race for a budget of exactly 100 releases: exactly 100 succeed.
    #[test]
    fn concurrent_releases_never_exceed_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        Ledger::new(&path).set_budget("d", "a", Budget { rho: 1.0, delta: 1e-6 }).unwrap();
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let ledger = Ledger::new(path);
                    (0..25).filter(|i| ledger.spend("d", "a", &format!("q{t}-{i}"), 0.01, 0.0).is_ok()).count()
                })
            })
            .collect();
        let accepted: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(accepted, 100);
        let s = Ledger::new(&path).standing("d", "a").unwrap().unwrap();
        assert!(s.spent_rho <= 1.0 + SLACK, "{}", s.spent_rho);
    }

    #[test]
    fn a_torn_last_line_is_cut_and_a_corrupt_one_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let ledger = Ledger::new(&path);
        ledger.set_budget("d", "a", Budget { rho: 1.0, delta: 1e-6 }).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"kind\":\"spend\",\"dataset\":\"d\"").unwrap();
        drop(f);
        ledger.spend("d", "a", "q", 0.25, 0.0).unwrap();
        let s = ledger.standing("d", "a").unwrap().unwrap();
        assert!((s.spent_rho - 0.25).abs() < 1e-15);
        std::fs::write(&path, "not json\n").unwrap();
        assert!(ledger.standing("d", "a").unwrap_err().to_string().contains("line 1"));
    }
}
