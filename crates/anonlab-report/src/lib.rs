//! The report layer of anonlab (see ARCHITECTURE.md): turns one anonymization
//! into a self-contained HTML page for the data steward who signs off a release.
//!
//! The entry point is [`render`], from a [`ReportPage`]: the settings that were
//! used, the privacy layer's [`Report`] of the anonymization, and the
//! [`RiskReport`]s of the input and of the release. The page has no scripts and
//! no external assets: styles are inline and the charts are SVG drawn by
//! `plotters` and inlined, so the file opens offline and can be archived with
//! the release. Every string taken from data is HTML-escaped.
//!
//! ```
//! use anonlab_privacy::{AnonymizationSpec, QuasiIdentifierSpec, Report, models::{KAnonymity, PrivacyModel}};
//! use anonlab_privacy::risk::{PopulationModel, RiskReport};
//! use anonlab_report::{ReportPage, Settings, QuasiIdentifierSetting, render};
//! use anonlab_table::{Table, column::ColumnBuilder, hierarchy::Builder, io::csv::{read_csv, CsvOptions}};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("patients.csv");
//! # std::fs::write(&path, "zip,disease\n13053,flu\n13068,flu\n13068,cold\n14850,cold\n14853,flu\n")?;
//! let table = read_csv(&path, &CsvOptions::default())?;
//! let zip = table.column(0);
//! let spec = AnonymizationSpec {
//!     quasi_identifiers: vec![QuasiIdentifierSpec {
//!         column: "zip".into(),
//!         hierarchy: Builder::Masking { levels: None, mask: '*' }.build(zip)?,
//!     }],
//!     models: vec![PrivacyModel::KAnonymity(KAnonymity { k: 2 })],
//!     ..Default::default()
//! };
//! let plan = spec.plan(&table)?;
//! let result = plan.run(&|_| {})?;
//! let population = PopulationModel::of_size(1000);
//! let before = RiskReport::analyze(&table, &[0], &population, 1)?;
//! // The release's quasi-identifier column as a table of its own, to measure its risk.
//! let mut zips = ColumnBuilder::new("zip");
//! for (line, row) in result.release.iter_rows().enumerate() {
//!     zips.push(row[0], line as u64 + 2)?;
//! }
//! let release = Table::try_new(vec![zips.finish()], None, b',')?;
//! let after = RiskReport::analyze(&release, &[0], &population, 1)?;
//! let html = render(&ReportPage {
//!     settings: &Settings {
//!         input: "patients.csv".into(),
//!         quasi_identifiers: vec![QuasiIdentifierSetting { name: "zip".into(), hierarchy: "masking".into() }],
//!         ..Default::default()
//!     },
//!     anonymization: &Report::new(&plan, &result),
//!     before: &before,
//!     after: &after,
//! })?;
//! assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod charts;
pub mod error;
mod escape;
mod figures;
mod page;

use anonlab_privacy::Report;
use anonlab_privacy::risk::RiskReport;

pub use charts::{inline as inline_svg, shorten};
pub use error::{Error, Result};
pub use escape::escape;

/// Everything one report page shows.
#[derive(Debug, Clone, Copy)]
pub struct ReportPage<'a> {
    /// What the anonymization was asked to do, beyond what [`Report`] records.
    pub settings: &'a Settings,
    /// The anonymization: models, transformation, loss, suppression, search.
    pub anonymization: &'a Report,
    /// Risk of the input over the quasi-identifiers (with their combinations).
    pub before: &'a RiskReport,
    /// Risk of the release over the same quasi-identifiers, suppressed records left out.
    pub after: &'a RiskReport,
}

/// The configuration as the user gave it, for the settings section.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The configuration file, as given.
    pub config: Option<String>,
    /// The input table.
    pub input: String,
    /// Quasi-identifiers with their hierarchies, in input column order.
    pub quasi_identifiers: Vec<QuasiIdentifierSetting>,
    /// Sensitive attributes.
    pub sensitive: Vec<String>,
    /// Direct identifiers and what happened to them.
    pub identifying: Vec<IdentifyingSetting>,
    /// An earlier JSON report found to describe the same result, if one was checked.
    pub checked_report: Option<String>,
}

/// A quasi-identifier and where its hierarchy came from.
#[derive(Debug, Clone)]
pub struct QuasiIdentifierSetting {
    /// Column name.
    pub name: String,
    /// The hierarchy file or builder, described.
    pub hierarchy: String,
}

/// A direct identifier and its treatment in the release.
#[derive(Debug, Clone)]
pub struct IdentifyingSetting {
    /// Column name.
    pub name: String,
    /// Removed, pseudonymized or masked, described.
    pub treatment: String,
}

/// Renders the page as one HTML document.
///
/// # Errors
/// Fails only when a chart cannot be drawn, which means its data broke an
/// invariant (a series without a value per category).
pub fn render(page: &ReportPage<'_>) -> Result<String> {
    page::render(page)
}

#[cfg(test)]
mod tests;
