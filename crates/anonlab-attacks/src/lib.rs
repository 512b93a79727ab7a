//! Attacks on released tables: what an adversary holding a release (an
//! anonymized table, a synthetic table, or a perturbed copy) could learn
//! about the people in the data it came from.
//!
//! Every attack is run three ways — against the original records (members),
//! against held-out control records that did not shape the release, and as
//! random guessing (the baseline) — and reports each success rate with a
//! Wilson interval and the residual risk `(attack − control) / (1 − control)`,
//! Anonymeter's definitions (Giomi et al., PoPETs 2023), in one
//! [`AttackResult`] shape. Where an attack scores each target (membership
//! inference), the result also carries the ROC curve, its AUC, the true
//! positive rate at 0.1 % and 1 % false positives, and the ε the curve implies.
//!
//! | attack | module | the attacker ... |
//! |---|---|---|
//! | singling out | [`singling_out`] | writes predicates that match exactly one record |
//! | linkability | [`linkability`] | joins two partial records through the release |
//! | attribute inference | [`inference`] | guesses a secret column from known columns |
//! | linkage | [`linkage`] | re-identifies targets in a generalized release |
//! | membership inference | [`membership`] | tells members from non-members |
//! | model membership inference | [`model_membership`] | tells a model's training records from others, from its labels |
//!
//! Where Anonymeter 1.1.0 has known flaws we differ on purpose; each module
//! says how, and `docs/attacks.md` lists them with the tests that show it.
//!
//! ```
//! use anonlab_attacks::inference;
//! use anonlab_table::io::csv::{read_csv, CsvOptions};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let write = |name: &str, text: &str| -> std::path::PathBuf {
//! #     let p = dir.path().join(name); std::fs::write(&p, text).unwrap(); p };
//! let csv = CsvOptions::default();
//! // The release copies the diagnoses of the patients it came from.
//! let original = read_csv(&write("o.csv", "age,zip,dx\n34,10115,I10\n61,10117,E11\n47,10119,J45\n"), &csv)?;
//! let release = read_csv(&write("r.csv", "age,zip,dx\n34,10115,I10\n61,10117,E11\n47,10119,J45\n"), &csv)?;
//! let settings = inference::Settings {
//!     aux_cols: vec!["age".into(), "zip".into()],
//!     secret: "dx".into(),
//!     n_attacks: 3,
//!     tolerance: 0.05,
//!     seed: 1,
//!     confidence: 0.95,
//! };
//! let result = inference::run(&original, &release, None, &settings)?;
//! assert_eq!(result.successes.attack, 3.0); // every diagnosis guessed
//! println!("{}", serde_json::to_string(&result)?);
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod error;
pub mod frame;
pub mod inference;
pub mod linkability;
pub mod linkage;
pub mod membership;
pub mod model_membership;
pub mod neighbors;
pub mod result;
pub mod sample;
pub mod singling_out;
pub mod stats;
#[cfg(test)]
mod testutil;

pub use error::{Error, ErrorKind, Result};
pub use result::AttackResult;
