//! The error type of the DP layer.

use std::fmt;

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Settings that cannot work (a negative ε, a δ of 1, unknown column, ...).
    Invalid,
    /// The release would spend more than the budget has left.
    BudgetExceeded,
    /// A file could not be read or written.
    Io,
    /// OpenDP refused a measurement or failed to sample.
    OpenDp,
    /// A broken invariant inside anonlab; this is a bug.
    Internal,
}

/// An error of the DP layer: a kind and a message naming the offending value.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// A user fault.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Invalid, message: message.into() }
    }

    /// A refused release.
    pub fn budget(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::BudgetExceeded, message: message.into() }
    }

    /// A file fault.
    pub fn io(path: &std::path::Path, what: &str, e: &std::io::Error) -> Self {
        Error { kind: ErrorKind::Io, message: format!("{what} {}: {e}", path.display()) }
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

impl From<opendp::error::Error> for Error {
    fn from(e: opendp::error::Error) -> Self {
        Error {
            kind: ErrorKind::OpenDp,
            message: format!("OpenDP: {}", e.message.unwrap_or_else(|| format!("{:?}", e.variant))),
        }
    }
}

impl From<anonlab_table::Error> for Error {
    fn from(e: anonlab_table::Error) -> Self {
        Error { kind: ErrorKind::Invalid, message: e.to_string() }
    }
}
