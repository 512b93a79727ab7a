//! The error type of the attack suite.

use std::fmt;

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, so callers can tell user faults from bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The attack's settings or inputs cannot work (unknown column, too few rows, ...).
    Invalid,
    /// Reading a table failed.
    Table,
    /// A broken invariant inside anonlab; this is a bug.
    Internal,
}

/// An attack-suite error: a kind and a message naming the offending value.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// A user fault in the attack's settings or inputs.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Invalid, message: message.into() }
    }

    /// A bug.
    pub fn internal(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Internal, message: message.into() }
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ErrorKind::Internal {
            write!(f, "internal error (please report): {}", self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for Error {}

impl From<anonlab_table::Error> for Error {
    fn from(e: anonlab_table::Error) -> Self {
        Error { kind: ErrorKind::Table, message: e.to_string() }
    }
}
