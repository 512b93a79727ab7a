//! Reading and writing tables: CSV (any common delimiter) and Parquet.
//!
//! Every writer goes through [`AtomicFile`], so a failed run never leaves a
//! half-written output behind.

mod atomic;
pub use atomic::write_bytes;
mod blocks;
pub mod csv;
#[cfg(feature = "parquet")]
pub mod parquet;

pub use atomic::AtomicFile;

use std::path::Path;

use crate::error::Result;
use crate::table::Table;

/// File formats anonlab reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// Picks the format from a file extension (`.parquet`/`.pq` is Parquet, anything else CSV).
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("parquet" | "pq") => Format::Parquet,
            _ => Format::Csv,
        }
    }
}

/// Reads a table from CSV or Parquet, chosen by the file extension.
pub fn read_table(path: &Path, options: &csv::CsvOptions) -> Result<Table> {
    match Format::from_path(path) {
        Format::Csv => csv::read_csv(path, options),
        #[cfg(feature = "parquet")]
        Format::Parquet => parquet::read_parquet(path),
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => {
            Err(crate::Error::format("this build of anonlab has no Parquet support (feature 'parquet')").in_file(path))
        }
    }
}

/// Like [`read_table`], but a CSV input encodes only the selected `columns`
/// (see [`csv::read_csv_columns`]); Parquet inputs are read whole.
pub fn read_table_columns(path: &Path, options: &csv::CsvOptions, columns: csv::Columns<'_>) -> Result<Table> {
    match Format::from_path(path) {
        Format::Csv => csv::read_csv_columns(path, options, columns),
        Format::Parquet => read_table(path, options),
    }
}

/// Writes rows of string cells to CSV or Parquet, chosen by the file extension.
/// `rows` yields one `Vec` of cells per row, in header order.
pub fn write_table<'a, I>(path: &Path, header: &[String], delimiter: u8, rows: I) -> Result<()>
where
    I: Iterator<Item = Vec<&'a str>>,
{
    match Format::from_path(path) {
        Format::Csv => csv::write_csv(path, header, delimiter, rows),
        #[cfg(feature = "parquet")]
        Format::Parquet => parquet::write_parquet(path, header, rows),
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => {
            Err(crate::Error::format("this build of anonlab has no Parquet support (feature 'parquet')").in_file(path))
        }
    }
}
