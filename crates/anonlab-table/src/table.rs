//! A table: named dictionary-encoded columns of equal length.

use std::path::{Path, PathBuf};

use crate::column::Column;
use crate::error::{Error, Result, list_names};

/// A raw input table. It may hold identifying data, so nothing in anonlab
/// publishes a `Table` directly: the privacy layer turns it into a release.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<Column>,
    rows: usize,
    source: Option<PathBuf>,
    delimiter: u8,
    /// Columns of the input that were deliberately not read.
    unread: Vec<String>,
}

impl Table {
    /// Assembles a table from columns of equal length.
    pub fn try_new(columns: Vec<Column>, source: Option<PathBuf>, delimiter: u8) -> Result<Self> {
        let rows = columns.first().map_or(0, |c| c.codes().len());
        if let Some(bad) = columns.iter().find(|c| c.codes().len() != rows) {
            return Err(Error::new(
                crate::ErrorKind::Internal,
                format!("column '{}' has {} rows, expected {rows}", bad.name(), bad.codes().len()),
            ));
        }
        let mut seen = rustc_hash::FxHashSet::default();
        for c in &columns {
            if !seen.insert(c.name()) {
                let e = Error::schema(format!("column '{}' appears twice in the header", c.name()));
                return Err(match &source {
                    Some(p) => e.in_file(p).at_line(1),
                    None => e,
                });
            }
        }
        Ok(Table { columns, rows, source, delimiter, unread: Vec::new() })
    }

    /// Number of rows (64-bit on every platform anonlab supports).
    pub fn row_count(&self) -> u64 {
        self.rows as u64
    }

    /// Number of rows as an index bound.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// All columns in input order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column at `index`.
    pub fn column(&self, index: usize) -> &Column {
        &self.columns[index]
    }

    /// Mutable access for declaring data types.
    pub fn column_mut(&mut self, index: usize) -> &mut Column {
        &mut self.columns[index]
    }

    /// Replaces the column at `index` by one of the same length (e.g. shifted dates).
    pub fn replace_column(&mut self, index: usize, column: Column) -> Result<()> {
        if column.codes().len() != self.rows {
            return Err(Error::new(
                crate::ErrorKind::Internal,
                format!(
                    "replacement column '{}' has {} rows, expected {}",
                    column.name(),
                    column.codes().len(),
                    self.rows
                ),
            ));
        }
        self.columns[index] = column;
        Ok(())
    }

    /// The rows `rows` (indices into this table), every column keeping its
    /// dictionary, so codes mean the same in the subset as here.
    pub fn select_rows(&self, rows: &[u32]) -> Table {
        Table {
            columns: self.columns.iter().map(|c| c.select(rows)).collect(),
            rows: rows.len(),
            source: self.source.clone(),
            delimiter: self.delimiter,
            unread: self.unread.clone(),
        }
    }

    /// Records that the input's columns `names` exist but were deliberately not read.
    pub fn with_unread(mut self, names: Vec<String>) -> Self {
        self.unread = names;
        self
    }

    /// True when the input has a column `name` that was deliberately not read
    /// (see [`crate::io::csv::Columns::Except`]).
    pub fn is_unread(&self, name: &str) -> bool {
        self.unread.iter().any(|n| n == name)
    }

    /// Column names in input order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(Column::name)
    }

    /// Finds a column by name; an unknown name is an error listing the existing ones.
    pub fn column_index(&self, name: &str) -> Result<usize> {
        self.columns.iter().position(|c| c.name() == name).ok_or_else(|| {
            let e = Error::schema(format!("unknown column '{name}'; the table has {}", list_names(self.names())));
            match &self.source {
                Some(p) => e.in_file(p),
                None => e,
            }
        })
    }

    /// The file the table was read from.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// The field delimiter of the input (kept for output by default).
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }
}
