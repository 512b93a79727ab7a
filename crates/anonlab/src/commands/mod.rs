//! One module per subcommand.

use std::path::Path;

use anonlab_table::Table;
use anonlab_table::io::csv::{CsvOptions, parse_delimiter};
use anonlab_table::io::read_table;
use anyhow::{Context, Result};

pub mod anonymize;
pub mod attack;
pub mod dp;
pub mod generate;
pub mod inspect;
pub mod models;
pub mod report;
pub mod risk;
pub mod serve;
pub mod synth;
pub mod utility;

/// Reads a table a command was given (CSV or Parquet), with the delimiter the
/// user typed (detected when `None`); an error names the file.
pub fn read_input(path: &Path, delimiter: Option<&str>) -> Result<Table> {
    let delimiter = delimiter.map(parse_delimiter).transpose()?;
    read_table(path, &CsvOptions { delimiter }).with_context(|| format!("reading {}", path.display()))
}
