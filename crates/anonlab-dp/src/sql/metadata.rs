//! What the data owner declares public about a table, so queries can be
//! answered privately: the bounds of numeric columns (a sum's sensitivity),
//! the keys of grouping columns (released without spending budget on key
//! discovery), and how many rows one person may contribute.
//!
//! ```toml
//! max_contributions = 1        # rows per person (default 1)
//! privacy_unit = "patient_id"  # optional: enforce it by keeping each person's first rows
//!
//! [columns.age]
//! lower = 17
//! upper = 90
//!
//! [columns.sex]
//! keys = ["Male", "Female"]
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// A table's public facts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// The most rows one person contributes.
    #[serde(default = "one")]
    pub max_contributions: u32,
    /// A column identifying the person, to enforce `max_contributions`.
    pub privacy_unit: Option<String>,
    /// Per-column facts.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnMeta>,
}

fn one() -> u32 {
    1
}

impl Default for Metadata {
    fn default() -> Self {
        Metadata { max_contributions: 1, privacy_unit: None, columns: BTreeMap::new() }
    }
}

/// One column's public facts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMeta {
    /// Smallest value a record may have (values below are clamped).
    pub lower: Option<f64>,
    /// Largest value a record may have (values above are clamped).
    pub upper: Option<f64>,
    /// Every value the column may take, for GROUP BY without key discovery.
    pub keys: Option<Vec<String>>,
}

impl Metadata {
    /// Reads a TOML metadata file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "reading", &e))?;
        let m: Metadata = toml::from_str(&text).map_err(|e| {
            // One line: the file, where, and what.
            let line = e.span().map(|s| format!(", line {}", text[..s.start].matches('\n').count() + 1));
            Error::invalid(format!("metadata {}{}: {}", path.display(), line.unwrap_or_default(), e.message()))
        })?;
        if m.max_contributions == 0 {
            return Err(Error::invalid(format!("metadata {}: max_contributions must be at least 1", path.display())));
        }
        for (name, c) in &m.columns {
            if let (Some(l), Some(u)) = (c.lower, c.upper)
                && !(l.is_finite() && u.is_finite() && l < u)
            {
                return Err(Error::invalid(format!(
                    "metadata {}: column '{name}' needs finite bounds with lower < upper; got {l} and {u}",
                    path.display()
                )));
            }
        }
        Ok(m)
    }

    /// The declared bounds of `column`, or an error saying how to declare them.
    pub fn bounds(&self, column: &str) -> Result<(f64, f64)> {
        match self.columns.get(column).map(|c| (c.lower, c.upper)) {
            Some((Some(l), Some(u))) if l < u => Ok((l, u)),
            _ => Err(Error::invalid(format!(
                "column '{column}' needs public bounds for this aggregate: add [columns.{column}] lower = ... and upper = ... to the metadata file"
            ))),
        }
    }

    /// The declared keys of `column`, if any.
    pub fn keys(&self, column: &str) -> Option<&[String]> {
        self.columns.get(column).and_then(|c| c.keys.as_deref())
    }
}
