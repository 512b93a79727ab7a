//! The bottom layer of anonlab (see ARCHITECTURE.md): dictionary-encoded tables,
//! attribute roles, generalization hierarchies and CSV/Parquet input and output.
//!
//! Everything above — privacy models, attacks, the platform — works on a
//! [`Table`]: columns of `u32` codes into per-column dictionaries, so grouping
//! and generalization never touch strings, and memory grows with distinct
//! values, not with rows × width. A [`hierarchy::Generalization`] is a
//! hierarchy validated against one column.
//!
//! ```
//! use anonlab_table::{hierarchy::{Builder, Generalization}, io::csv::{read_csv, CsvOptions}};
//! # fn main() -> anonlab_table::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("patients.csv");
//! # std::fs::write(&path, "zip;age\n13053;28\n13068;29\n").unwrap();
//! let table = read_csv(&path, &CsvOptions::default())?;
//! let zip = table.column(table.column_index("zip")?);
//! let masked = Builder::Masking { levels: Some(2), mask: '*' }.build(zip)?;
//! let zip_levels = Generalization::try_new(zip, &masked)?;
//! assert_eq!(zip_levels.label(0, 2), "130**");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod column;
pub mod datatype;
pub mod error;
pub mod generate;
pub mod hierarchy;
pub mod io;
pub mod profile;
pub mod role;
pub mod table;

pub use column::Column;
pub use datatype::DataType;
pub use error::{Error, ErrorKind, Result};
pub use role::AttributeRole;
pub use table::Table;
