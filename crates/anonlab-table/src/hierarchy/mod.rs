//! Generalization hierarchies: ARX-format files, builders, and their encoding
//! against a column's dictionary.
//!
//! A [`Hierarchy`] is ARX's shape: one row per original value, cell `l` holding
//! the value at generalization level `l`. [`Generalization`] is the same
//! hierarchy validated and encoded against one column, which is what the search
//! engine uses: per level a code for every data value and an `up` map to the next
//! level, so class tables can be rolled up without touching strings.

mod builders;
mod encoded;

pub use builders::{Builder, DateLevel};
pub use encoded::{Generalization, Level};

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A generalization hierarchy as rows of labels (ARX format).
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchy {
    rows: Vec<Vec<String>>,
    /// 1-based line in the source file of each row (0 when built).
    lines: Vec<u64>,
    source: Option<PathBuf>,
}

impl Hierarchy {
    /// Creates a hierarchy from rows; every row must have the same number of levels (≥ 1).
    pub fn try_new(rows: Vec<Vec<String>>) -> Result<Self> {
        let lines = vec![0; rows.len()];
        Self::checked(rows, lines, None)
    }

    fn checked(rows: Vec<Vec<String>>, lines: Vec<u64>, source: Option<PathBuf>) -> Result<Self> {
        let with_place = |e: Error, line: u64| {
            let e = if line > 0 { e.at_line(line) } else { e };
            match &source {
                Some(p) => e.in_file(p),
                None => e,
            }
        };
        let Some(first) = rows.first() else {
            return Err(with_place(Error::hierarchy("the hierarchy has no rows"), 0));
        };
        let width = first.len();
        if width == 0 {
            return Err(with_place(Error::hierarchy("the hierarchy rows have no values"), lines[0]));
        }
        for (row, &line) in rows.iter().zip(&lines) {
            if row.len() != width {
                return Err(with_place(
                    Error::hierarchy(format!(
                        "row for '{}' has {} levels but the first row has {width}",
                        row[0],
                        row.len()
                    )),
                    line,
                ));
            }
        }
        Ok(Hierarchy { rows, lines, source })
    }

    /// Loads an ARX-format hierarchy: no header, `delimiter`-separated (ARX uses `;`),
    /// one row per original value, column `i` = level `i`.
    pub fn from_arx_csv(path: &Path, delimiter: u8) -> Result<Self> {
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_path(path)
            .map_err(|e| Error::hierarchy(format!("cannot open hierarchy: {e}")).in_file(path))?;
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line());
                let err = Error::hierarchy(format!("malformed hierarchy file: {e}")).in_file(path);
                match line {
                    Some(l) => err.at_line(l),
                    None => err,
                }
            })?;
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().all(str::is_empty) {
                continue;
            }
            let mut cells: Vec<String> = record.iter().map(str::to_string).collect();
            if let Some(first) = cells.first_mut()
                && let Some(stripped) = first.strip_prefix('\u{feff}')
            {
                *first = stripped.to_string();
            }
            rows.push(cells);
            lines.push(line);
        }
        Self::checked(rows, lines, Some(path.to_path_buf()))
    }

    /// The rows: original value first, then one label per level.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// Number of levels including level 0 (the original values).
    pub fn levels(&self) -> usize {
        self.rows[0].len()
    }

    /// The file the hierarchy came from.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// Line of row `i` in the source file, if loaded from a file.
    pub fn line(&self, i: usize) -> Option<u64> {
        self.lines.get(i).copied().filter(|&l| l > 0)
    }

    /// Attaches file and line to a hierarchy error about row `i`.
    fn locate(&self, err: Error, row: usize) -> Error {
        let err = match self.line(row) {
            Some(l) => err.at_line(l),
            None => err,
        };
        match &self.source {
            Some(p) => err.in_file(p),
            None => err,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_arx_format_and_rejects_ragged_rows() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("h.csv");
        std::fs::write(&good, "Male;*\r\nFemale;*\r\n").unwrap();
        let h = Hierarchy::from_arx_csv(&good, b';').unwrap();
        assert_eq!(h.levels(), 2);
        assert_eq!(h.rows()[1], vec!["Female", "*"]);

        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "1;0-4;*\n2;*\n").unwrap();
        let err = Hierarchy::from_arx_csv(&bad, b';').unwrap_err();
        assert_eq!(err.location().line, Some(2));
        assert!(err.to_string().contains("levels"), "{err}");
    }
}
