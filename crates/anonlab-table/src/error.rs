//! The error type of the table layer: every user fault says what is wrong and where.

use std::fmt;
use std::path::{Path, PathBuf};

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, so callers can react (a CLI maps user faults to exit code 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be opened, read or written.
    Io,
    /// The input is not well-formed CSV or Parquet (ragged rows, bad UTF-8, ...).
    Format,
    /// The table's shape does not fit what was asked (unknown column, empty table, ...).
    Schema,
    /// A value does not parse as the column's declared data type.
    Type,
    /// A generalization hierarchy is malformed or does not cover the data.
    Hierarchy,
    /// A broken invariant inside anonlab; this is a bug.
    Internal,
}

/// Where an error happened: any of file, 1-based line, column name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file the fault is in.
    pub file: Option<PathBuf>,
    /// 1-based line number in that file (the header is line 1).
    pub line: Option<u64>,
    /// The column's name.
    pub column: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            parts.push(file.display().to_string());
        }
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if let Some(column) = &self.column {
            parts.push(format!("column '{column}'"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// An error of the table layer, carrying its kind, a message and a location.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    location: Location,
}

impl Error {
    /// Creates an error of `kind` with a lowercase message naming the offending value.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), location: Location::default() }
    }

    /// Shorthand for an input-format error.
    pub fn format(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Format, message)
    }

    /// Shorthand for a schema error.
    pub fn schema(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Schema, message)
    }

    /// Shorthand for a hierarchy error.
    pub fn hierarchy(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Hierarchy, message)
    }

    /// Shorthand for a data type error.
    pub fn data_type(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Type, message)
    }

    /// An I/O error on `path`, phrased for a person.
    pub fn io(path: &Path, action: &str, err: &std::io::Error) -> Self {
        Self::new(ErrorKind::Io, format!("cannot {action}: {err}")).in_file(path)
    }

    /// Marks the error as happening in `file` (keeps a file already set).
    pub fn in_file(mut self, file: &Path) -> Self {
        self.location.file.get_or_insert_with(|| file.to_path_buf());
        self
    }

    /// Marks the error as happening on 1-based `line`.
    pub fn at_line(mut self, line: u64) -> Self {
        self.location.line.get_or_insert(line);
        self
    }

    /// Marks the error as concerning `column`.
    pub fn in_column(mut self, column: &str) -> Self {
        self.location.column.get_or_insert_with(|| column.to_string());
        self
    }

    /// The kind of fault.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where it happened.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The message without the location.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.location.to_string();
        if location.is_empty() { f.write_str(&self.message) } else { write!(f, "{location}: {}", self.message) }
    }
}

impl std::error::Error for Error {}

/// Lists names for an "unknown column" message, so the user sees what exists.
pub fn list_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
}
