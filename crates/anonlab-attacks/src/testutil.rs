//! Helpers of the unit tests.

use anonlab_table::Table;
use anonlab_table::io::csv::{CsvOptions, read_csv};

/// A table from CSV text (comma-separated).
pub fn table(text: &str) -> Table {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, text).unwrap();
    read_csv(&path, &CsvOptions { delimiter: Some(b',') }).unwrap()
}
