//! The privacy layer of anonlab (see ARCHITECTURE.md): privacy models, quality
//! metrics and the search for the best full-domain generalization.
//!
//! The entry point is [`AnonymizationSpec`], the logical plan: quasi-identifiers
//! with hierarchies, sensitive attributes, [`models::PrivacyModel`]s, a
//! suppression limit and a [`metrics::MetricKind`]. [`AnonymizationSpec::plan`]
//! validates it against a table and returns a [`Plan`]; [`Plan::run`] searches
//! and returns an [`Anonymization`] with its publishable [`Release`]. Semantics
//! follow ARX 3.9 so results can be compared with ARX exactly.
//!
//! ```
//! use anonlab_privacy::{AnonymizationSpec, QuasiIdentifierSpec, models::{KAnonymity, PrivacyModel}};
//! use anonlab_table::{hierarchy::Builder, io::csv::{read_csv, CsvOptions}};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("patients.csv");
//! # std::fs::write(&path, "zip,disease\n13053,flu\n13068,flu\n13068,cold\n14850,cold\n14853,flu\n")?;
//! let table = read_csv(&path, &CsvOptions::default())?;
//! let zip = table.column(table.column_index("zip")?);
//! let spec = AnonymizationSpec {
//!     quasi_identifiers: vec![QuasiIdentifierSpec {
//!         column: "zip".into(),
//!         hierarchy: Builder::Masking { levels: None, mask: '*' }.build(zip)?,
//!     }],
//!     models: vec![PrivacyModel::KAnonymity(KAnonymity { k: 2 })],
//!     ..Default::default()
//! };
//! let result = spec.plan(&table)?.run(&|_| {})?;
//! assert_eq!(result.found.levels, vec![2]); // 130** (3 records), 148** (2)
//! assert_eq!(result.release.row(0), vec!["130**", "flu"]);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod anonymize;
pub mod check;
pub mod classes;
pub mod error;
pub mod identifiers;
pub mod key;
pub mod lattice;
pub mod local;
mod memory;
pub mod metrics;
pub mod models;
mod plan;
pub mod release;
pub mod report;
pub mod risk;
pub mod search;
pub mod subset;

pub use anonymize::Anonymization;
pub use error::{Error, ErrorKind, Result};
pub use plan::{AnonymizationSpec, Plan, PlannedQuasiIdentifier, QuasiIdentifierSpec, SensitiveSpec, Strategy};
pub use release::Release;
pub use report::Report;
