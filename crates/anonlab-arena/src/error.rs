//! The arena's error: user faults (invalid input, not found, conflicts, denied
//! access) kept apart from failures of the store, the vault and broken invariants,
//! so the server can map the first to 4xx and the rest to a generic 500.

use std::fmt;

/// What went wrong, as the HTTP layer needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request or the uploaded data is malformed or impossible.
    Invalid,
    /// No such object (or the caller may not know it exists).
    NotFound,
    /// The object changed or exists already (a unique name, a stale version).
    Conflict,
    /// The caller is not signed in, or the credentials are wrong or expired.
    Unauthenticated,
    /// The caller is signed in but may not do this.
    Forbidden,
    /// Too large an upload.
    TooLarge,
    /// The database failed or is unreachable.
    Store,
    /// The vault could not read, write or authenticate a file.
    Vault,
    /// An evaluation failed while running a submission.
    Evaluation,
    /// A remote submission did not answer (the queue retries it).
    Unreachable,
    /// A broken invariant: a bug to report.
    Internal,
}

/// An arena error: a kind and a message that is safe to show (no patient values, no secrets).
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// The arena's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into() }
    }
    /// Malformed or impossible input.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }
    /// No such `what` with id `id`.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("no {what} '{id}'"))
    }
    /// A conflicting change.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }
    /// Not allowed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }
    /// Missing or bad credentials.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, message)
    }
    /// A broken invariant.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// The message, safe to show to the caller for user faults.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// Whether the caller caused it (and may be told the message).
    pub fn is_user_fault(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Invalid
                | ErrorKind::NotFound
                | ErrorKind::Conflict
                | ErrorKind::Unauthenticated
                | ErrorKind::Forbidden
                | ErrorKind::TooLarge
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return Error::conflict("an object with this name or key exists already");
        }
        if let sqlx::Error::RowNotFound = e {
            return Error::new(ErrorKind::NotFound, "not found");
        }
        Error::new(ErrorKind::Store, format!("database: {e}"))
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::new(ErrorKind::Store, format!("database migration: {e}"))
    }
}

impl From<anonlab_table::Error> for Error {
    fn from(e: anonlab_table::Error) -> Self {
        Error::invalid(e.to_string())
    }
}

impl From<anonlab_privacy::Error> for Error {
    fn from(e: anonlab_privacy::Error) -> Self {
        Error::new(ErrorKind::Evaluation, e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::invalid(format!("JSON: {e}"))
    }
}
