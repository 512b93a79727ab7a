//! Errors of the privacy layer.

use std::fmt;

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or validating the table or a hierarchy failed.
    Table,
    /// The specification is inconsistent with itself or with the table.
    Spec,
    /// No transformation satisfies the privacy models within the suppression limit.
    NoSolution,
    /// A broken invariant inside anonlab; this is a bug.
    Internal,
}

/// An error of the privacy layer.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<Box<anonlab_table::Error>>,
}

impl Error {
    /// An inconsistent or impossible specification.
    pub fn spec(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Spec, message: message.into(), source: None }
    }

    /// No solution exists.
    pub fn no_solution(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::NoSolution, message: message.into(), source: None }
    }

    /// A bug.
    pub fn internal(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Internal,
            message: format!("{} (this is a bug in anonlab; please report it)", message.into()),
            source: None,
        }
    }

    /// The kind of fault.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl From<anonlab_table::Error> for Error {
    fn from(e: anonlab_table::Error) -> Self {
        Error { kind: ErrorKind::Table, message: e.to_string(), source: Some(Box::new(e)) }
    }
}

impl Error {
    /// The table-layer error behind this one, if any (with its file/line/column).
    pub fn table_error(&self) -> Option<&anonlab_table::Error> {
        self.source.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
