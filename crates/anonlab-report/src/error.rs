//! Errors of the report renderer.

/// What went wrong while rendering a report.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart '{chart}': {message}")]
pub struct Error {
    chart: String,
    message: String,
}

impl Error {
    /// A plotting failure in the chart titled `chart`. Drawing into a string
    /// cannot fail on I/O, so this means a broken invariant of the chart's data.
    pub(crate) fn chart(chart: &str, cause: impl std::fmt::Display) -> Self {
        Error { chart: chart.to_string(), message: cause.to_string() }
    }
}

/// The renderer's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
